//! The bucket lifecycle (API.md "Expiry"), on both backends, with the clock moved by the test.

mod common;

use std::sync::Arc;

use causeway::service::ports::{Delivery, MailSender, OutboxMail};
use causeway::service::rules::mail::LEASE;
use common::{assert_error, p2pkh, Backend, TestServer};
use time::Duration;

conformance!(
    expiring_bucket_moves_its_pairs_to_a_live_bucket,
    pairs_that_fit_nowhere_stay_unserved_and_the_owner_is_mailed_once,
    stranded_pairs_are_deleted_only_after_retention,
    free_and_paid_buckets_keep_their_own_terms,
    retention_counts_from_the_expiry_pass_not_the_term,
    a_mail_claimed_by_a_sender_that_died_goes_out_once_its_lease_ends,
    unpaid_buckets_are_dropped_and_free_the_capacity_they_held,
    the_outbox_backlog_counts_due_unsent_mails_and_the_oldest_wait,
);

async fn server(backend: Backend) -> TestServer {
    TestServer::with(backend, |c| {
        c.price_sats = 1_000;
        c.free_bucket_term_days = 30;
        c.bucket_term_days = 365;
        c.expired_retention_days = 30;
    })
    .await
}

async fn buy_funded_bucket(server: &TestServer, owner: &causeway::auth::Signer) {
    server
        .service
        .credit(&owner.address, 1_000, "test")
        .await
        .unwrap();
    let nonce = server.nonce(owner).await;
    let signature = owner.sign(&format!("{}{nonce}", owner.address));
    let (status, body) = server
        .get_query(
            "/buy",
            &[
                ("address", owner.address.as_str()),
                ("nonce", &nonce),
                ("signature", &signature),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

async fn put_keys(server: &TestServer, owner: &causeway::auth::Signer, keys: &[&str]) {
    let nonce = server.nonce(owner).await;
    for key in keys {
        let (status, body) = server.put(owner, key, "0123456789", &nonce).await;
        assert_eq!(status, 201, "{body}");
    }
}

async fn expiring_bucket_moves_its_pairs_to_a_live_bucket(backend: Backend) {
    let server = server(backend).await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    put_keys(&server, &owner, &["a", "b", "c"]).await;
    buy_funded_bucket(&server, &owner).await;
    assert_eq!(
        server.bytes_free(&owner).await,
        vec![1_048_576 - 33, 1_048_576]
    );

    server.clock.advance(Duration::days(31));
    let report = server.service.expire_buckets().await.unwrap().expect("ran");
    assert_eq!(report.expired.len(), 1);
    assert_eq!(
        (report.expired[0].moved, report.expired[0].stranded),
        (3, 0)
    );
    assert_eq!(report.mails_queued, 0);
    for key in ["a", "b", "c"] {
        let (status, body) = server.get_query("/get", &[("key", key)]).await;
        assert_eq!(status, 200, "{key}: {body}");
    }
    // Bytes moved with the pairs: the old bucket is empty, the new one holds them.
    assert_eq!(
        server.bytes_free(&owner).await,
        vec![1_048_576, 1_048_576 - 33]
    );
    let (_, body) = server
        .get_query("/request", &[("owner", owner.address.as_str())])
        .await;
    assert_eq!(body["buckets"][0]["status"], "expired");
    // A second pass finds nothing more to do.
    let again = server.service.expire_buckets().await.unwrap().expect("ran");
    assert!(again.expired.is_empty());
}

async fn pairs_that_fit_nowhere_stay_unserved_and_the_owner_is_mailed_once(backend: Backend) {
    let server = server(backend).await;
    let owner = p2pkh();
    server.enroll(&owner).await; // contact test@example.org
    put_keys(&server, &owner, &["x", "y"]).await;
    server.clock.advance(Duration::days(31));
    let report = server.service.expire_buckets().await.unwrap().expect("ran");
    assert_eq!(
        (report.expired[0].moved, report.expired[0].stranded),
        (0, 2)
    );
    assert_eq!(report.mails_queued, 1);
    let (status, body) = server.get_query("/get", &[("key", "x")]).await;
    assert_error(status, &body, 402, "bucket_expired");
    assert_eq!(body["price_sats"], 1_000);
    // Passes and drains repeated: still one mail for this bucket.
    server.service.expire_buckets().await.unwrap();
    server.service.send_mail().await.unwrap();
    server.service.send_mail().await.unwrap();
    let sent = server.mails.sent();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].recipient, "test@example.org");
    let bucket_id = report.expired[0].bucket_id;
    assert_eq!(
        sent[0].subject,
        format!("Causeway: bucket {bucket_id} expired")
    );
    assert!(sent[0].body.contains("2 key(s)"), "{}", sent[0].body);
    // The key stays the owner's: nobody else can take it while it is kept.
    let thief = p2pkh();
    server.enroll(&thief).await;
    let (status, body) = server
        .put(&thief, "x", "mine", &server.nonce(&thief).await)
        .await;
    assert_error(status, &body, 403, "key_owned_by_other");
}

async fn stranded_pairs_are_deleted_only_after_retention(backend: Backend) {
    let server = server(backend).await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    put_keys(&server, &owner, &["keep"]).await;
    server.clock.advance(Duration::days(31));
    server.service.expire_buckets().await.unwrap();
    // 29 days after expiry: kept.
    server.clock.advance(Duration::days(28));
    let report = server.service.expire_buckets().await.unwrap().expect("ran");
    assert_eq!(report.purged_pairs, 0);
    let (status, _) = server.get_query("/get", &[("key", "keep")]).await;
    assert_eq!(status, 402);
    // Past the retention: deleted, and the key is free again.
    server.clock.advance(Duration::days(2));
    let report = server.service.expire_buckets().await.unwrap().expect("ran");
    assert_eq!((report.purged_buckets, report.purged_pairs), (1, 1));
    let (status, body) = server.get_query("/get", &[("key", "keep")]).await;
    assert_error(status, &body, 404, "not_found");
    let (status, _) = server.get("/status").await;
    assert_eq!(status, 200);
}

async fn free_and_paid_buckets_keep_their_own_terms(backend: Backend) {
    let server = server(backend).await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    buy_funded_bucket(&server, &owner).await;
    server.clock.advance(Duration::days(31));
    let report = server.service.expire_buckets().await.unwrap().expect("ran");
    assert_eq!(
        report.expired.len(),
        1,
        "only the free bucket ends at 30 days"
    );
    server.clock.advance(Duration::days(330));
    let report = server.service.expire_buckets().await.unwrap().expect("ran");
    assert!(report.expired.is_empty());
    server.clock.advance(Duration::days(5));
    let report = server.service.expire_buckets().await.unwrap().expect("ran");
    assert_eq!(report.expired.len(), 1, "the paid bucket ends at 365 days");
}

async fn retention_counts_from_the_expiry_pass_not_the_term(backend: Backend) {
    let server = server(backend).await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    put_keys(&server, &owner, &["late"]).await;
    // The job was down for 90 days: the first pass expires, queues the notice, keeps the data.
    server.clock.advance(Duration::days(90));
    let report = server.service.expire_buckets().await.unwrap().expect("ran");
    assert_eq!((report.expired.len(), report.purged_pairs), (1, 0));
    assert_eq!(server.get_query("/get", &[("key", "late")]).await.0, 402);
    server.clock.advance(Duration::days(31));
    let report = server.service.expire_buckets().await.unwrap().expect("ran");
    assert_eq!(report.purged_pairs, 1);
}

/// A sender that takes a mail and never answers: a replica dying in the SMTP conversation.
struct Hangs {
    entered: tokio::sync::Notify,
}

#[async_trait::async_trait]
impl MailSender for Hangs {
    async fn deliver(&self, _mail: &OutboxMail) -> Delivery {
        self.entered.notify_one();
        std::future::pending().await
    }
}

async fn a_mail_claimed_by_a_sender_that_died_goes_out_once_its_lease_ends(backend: Backend) {
    let server = server(backend).await;
    let owner = p2pkh();
    server.enroll(&owner).await; // contact test@example.org
    put_keys(&server, &owner, &["x"]).await;
    server.clock.advance(Duration::days(31));
    let report = server.service.expire_buckets().await.unwrap().expect("ran");
    assert_eq!(report.mails_queued, 1);

    let hangs = Arc::new(Hangs {
        entered: tokio::sync::Notify::new(),
    });
    let dying = server.service.clone().with_mailer(hangs.clone());
    let sending = tokio::spawn(async move { dying.send_mail().await });
    hangs.entered.notified().await;
    sending.abort();
    assert!(sending.await.unwrap_err().is_cancelled());

    // Leased to the dead sender: nobody else sends it meanwhile.
    let drained = server.service.send_mail().await.unwrap();
    assert_eq!(drained.sent, 0);
    server.clock.advance(LEASE - Duration::seconds(1));
    assert_eq!(server.service.send_mail().await.unwrap().sent, 0);
    assert!(server.mails.sent().is_empty());

    // The lease ran out: the mail goes out (at least once), then never again.
    server.clock.advance(Duration::seconds(1));
    assert_eq!(server.service.send_mail().await.unwrap().sent, 1);
    assert_eq!(server.service.send_mail().await.unwrap().sent, 0);
    let sent = server.mails.sent();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].recipient, "test@example.org");
}

async fn unpaid_buckets_are_dropped_and_free_the_capacity_they_held(backend: Backend) {
    // Room for two buckets; pending ones count.
    let server = TestServer::with(backend, |c| {
        c.price_sats = 1_000;
        c.capacity_bytes = 2 * c.bucket_bytes;
        c.pending_bucket_days = 7;
    })
    .await;
    let (owner, newcomer) = (p2pkh(), p2pkh());
    server.enroll(&owner).await;
    // A stranger's unsigned /buy leaves a pending bucket on the owner's account.
    let (status, body) = server
        .get_query("/buy", &[("address", owner.address.as_str())])
        .await;
    let statuses: Vec<&str> = body["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        (status, statuses),
        (200, vec!["active", "pending"]),
        "{body}"
    );
    let (status, body) = server
        .get_query("/request", &[("owner", newcomer.address.as_str())])
        .await;
    assert_error(status, &body, 507, "server_full");
    // Not yet: a week has not passed.
    server.clock.advance(Duration::days(6));
    let report = server.service.expire_buckets().await.unwrap().expect("ran");
    assert_eq!(report.dropped_pending, 0);
    server.clock.advance(Duration::days(2));
    let report = server.service.expire_buckets().await.unwrap().expect("ran");
    assert_eq!(report.dropped_pending, 1);
    // The capacity it held is free again, and a later deposit pays for nothing dropped.
    let (status, body) = server
        .get_query("/request", &[("owner", newcomer.address.as_str())])
        .await;
    assert_eq!(
        (status, body["result"].as_str()),
        (200, Some("success")),
        "{body}"
    );
    let balance = server
        .service
        .credit(&owner.address, 1_000, "test")
        .await
        .unwrap();
    assert_eq!(balance, 1_000, "the dropped bucket is not paid");
}

/// Always answers "try again later": the mail stays due, its next attempt later.
struct Refuses;

#[async_trait::async_trait]
impl MailSender for Refuses {
    async fn deliver(&self, _mail: &OutboxMail) -> Delivery {
        Delivery::Retry("421 try again later".into())
    }
}

async fn the_outbox_backlog_counts_due_unsent_mails_and_the_oldest_wait(backend: Backend) {
    let server = server(backend).await;
    assert_eq!(server.service.mail_backlog().await.unwrap(), (0, 0));
    let (first, second) = (p2pkh(), p2pkh());
    server.enroll(&first).await;
    put_keys(&server, &first, &["a"]).await;
    server.clock.advance(Duration::days(10));
    server.enroll(&second).await;
    put_keys(&server, &second, &["b"]).await;
    // The first account's free bucket expires 10 days before the second's.
    server.clock.advance(Duration::days(21));
    assert_eq!(
        server
            .service
            .expire_buckets()
            .await
            .unwrap()
            .unwrap()
            .mails_queued,
        1
    );
    server.clock.advance(Duration::days(10));
    assert_eq!(
        server
            .service
            .expire_buckets()
            .await
            .unwrap()
            .unwrap()
            .mails_queued,
        1
    );
    // A sender that is refused leaves both due; the oldest has waited since its expiry.
    server.clock.advance(Duration::minutes(5));
    let refused = server.service.clone().with_mailer(Arc::new(Refuses));
    assert_eq!(refused.send_mail().await.unwrap().retried, 2);
    let (due, waited) = server.service.mail_backlog().await.unwrap();
    assert_eq!(
        due, 0,
        "a retried mail is not due again before its backoff ends"
    );
    assert_eq!(waited, 0);
    server.clock.advance(Duration::days(1));
    let (due, waited) = server.service.mail_backlog().await.unwrap();
    assert_eq!(due, 2);
    assert!(waited > 0 && waited < 86_400, "{waited}");
    // Sent mail leaves the backlog.
    assert_eq!(server.service.send_mail().await.unwrap().sent, 2);
    assert_eq!(server.service.mail_backlog().await.unwrap(), (0, 0));
}
