//! The lifecycle jobs across replicas and from outside: exclusive expiry, `causeway run-job`.

mod common;

use std::sync::{Arc, Mutex};

use causeway::service::ports::{Delivery, MailSender, OutboxMail};
use common::{assert_error, p2pkh, test_config, RealBackends, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_expiring_at_once_do_the_work_once() {
    let real = RealBackends::fresh().await;
    let mut config = test_config();
    real.apply(&mut config);
    let a = TestServer::from_config(config.clone(), Some(real.clone())).await;
    let b = TestServer::from_config(config, Some(real.clone())).await;
    let owners: Vec<_> = (0..5).map(|_| p2pkh()).collect();
    for owner in &owners {
        a.enroll(owner).await;
        let nonce = a.nonce(owner).await;
        assert_eq!(
            a.put(owner, &format!("k-{}", owner.address), "v", &nonce)
                .await
                .0,
            201
        );
    }
    for server in [&a, &b] {
        server.clock.advance(time::Duration::days(31));
    }
    for _ in 0..3 {
        let (ra, rb) = tokio::join!(a.service.expire_buckets(), b.service.expire_buckets());
        let _ = (ra.unwrap(), rb.unwrap());
    }
    let sql = real.sql().await;
    let row = sql
        .query_one(
            "SELECT (SELECT count(*) FROM buckets WHERE status = 'expired'), (SELECT count(*) FROM outbox)",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        (row.get::<_, i64>(0), row.get::<_, i64>(1)),
        (5, 5),
        "one notice per bucket"
    );
    let (sa, sb) = tokio::join!(a.service.send_mail(), b.service.send_mail());
    assert_eq!(sa.unwrap().sent + sb.unwrap().sent, 5);
    assert_eq!(
        a.mails.sent().len() + b.mails.sent().len(),
        5,
        "each mail sent once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_job_expires_buckets_an_operator_moved_in_the_database() {
    let server = TestServer::start(common::Backend::Real).await;
    let real = server.real.clone().unwrap();
    let owner = p2pkh();
    server.enroll(&owner).await;
    let nonce = server.nonce(&owner).await;
    assert_eq!(server.put(&owner, "old", "value", &nonce).await.0, 201);
    let sql = real.sql().await;
    sql.execute(
        "UPDATE buckets SET expires_at = now() - interval '1 minute'",
        &[],
    )
    .await
    .unwrap();
    let out = common::binary::causeway()
        .args(["run-job", "expiry"])
        .env("DATABASE_URL", &real.database_url)
        .env("REDIS_URL", &real.redis_url)
        .env("CAUSEWAY_REDIS_PREFIX", &real.redis_prefix)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["expired"], 1, "{report}");
    assert_eq!(report["stranded"], 1, "{report}");
    assert_eq!(report["mails_queued"], 1, "{report}");
    let (status, body) = server.get_query("/get", &[("key", "old")]).await;
    assert_error(status, &body, 402, "bucket_expired");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiry_notice_reaches_a_real_smtp_server_once() {
    let smtp = common::smtp::TestSmtp::start();
    let port = smtp.port;
    let server = TestServer::with(common::Backend::Real, move |c| {
        c.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
        c.smtp_from = "Causeway <noreply@causeway.example>".into();
    })
    .await;
    let owner = p2pkh();
    server.enroll(&owner).await; // contact test@example.org
    let nonce = server.nonce(&owner).await;
    for key in ["one", "two", "three"] {
        assert_eq!(server.put(&owner, key, "v", &nonce).await.0, 201);
    }
    server.clock.advance(time::Duration::days(31));
    let report = server.service.expire_buckets().await.unwrap().unwrap();
    let bucket_id = report.expired[0].bucket_id;
    let drained = server.service.send_mail().await.unwrap();
    assert_eq!(drained.sent, 1);
    assert_eq!(server.service.send_mail().await.unwrap().sent, 0);
    let received = smtp.wait_for(1, std::time::Duration::from_secs(10));
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].to, vec!["test@example.org".to_owned()]);
    assert_eq!(
        received[0].header("Subject").as_deref(),
        Some(format!("Causeway: bucket {bucket_id} expired").as_str())
    );
    let body = received[0].decoded_body();
    assert!(body.contains(&format!("Bucket {bucket_id}")), "{body}");
    assert!(body.contains("3 key(s)"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_refused_for_now_is_retried_later_and_refused_for_good_is_dropped() {
    for (code, retried, failed) in [(451, 1, 0), (550, 0, 1)] {
        let smtp = common::smtp::TestSmtp::start_rejecting(code);
        let port = smtp.port;
        let server = TestServer::with(common::Backend::Real, move |c| {
            c.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
        })
        .await;
        let owner = p2pkh();
        server.enroll(&owner).await;
        let nonce = server.nonce(&owner).await;
        assert_eq!(server.put(&owner, "k", "v", &nonce).await.0, 201);
        server.clock.advance(time::Duration::days(31));
        server.service.expire_buckets().await.unwrap();
        let report = server.service.send_mail().await.unwrap();
        assert_eq!(
            (report.sent, report.retried, report.failed),
            (0, retried, failed),
            "{code}"
        );
        // A retry waits for its backoff: an immediate drain sends nothing.
        let again = server.service.send_mail().await.unwrap();
        assert_eq!(again.sent + again.retried + again.failed, 0, "{code}");
        let sql = server.real.as_ref().unwrap().sql().await;
        let row = sql
            .query_one("SELECT attempts, last_error IS NOT NULL FROM outbox", &[])
            .await
            .unwrap();
        assert_eq!((row.get::<_, i32>(0), row.get::<_, bool>(1)), (1, true));
    }
}

/// A sender that, mid-send, tries to lock the mail's outbox row from another connection
/// without waiting: it gets the lock only if no transaction of the server holds the row.
struct ChecksRowIsFree {
    sql: tokio_postgres::Client,
    lock_results: Mutex<Vec<Result<(), String>>>,
}

#[async_trait::async_trait]
impl MailSender for ChecksRowIsFree {
    async fn deliver(&self, mail: &OutboxMail) -> Delivery {
        let locked = self
            .sql
            .query_one(
                "SELECT id FROM outbox WHERE id = $1 FOR UPDATE NOWAIT",
                &[&mail.id],
            )
            .await
            .map(|_| ())
            .map_err(|err| err.to_string());
        self.lock_results.lock().unwrap().push(locked);
        Delivery::Sent
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_transaction_holds_a_mail_while_it_is_sent() {
    let server = TestServer::start(common::Backend::Real).await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    let nonce = server.nonce(&owner).await;
    assert_eq!(server.put(&owner, "k", "v", &nonce).await.0, 201);
    server.clock.advance(time::Duration::days(31));
    server.service.expire_buckets().await.unwrap();

    let checker = Arc::new(ChecksRowIsFree {
        sql: server.real.as_ref().unwrap().sql().await,
        lock_results: Mutex::default(),
    });
    let sender = server.service.clone().with_mailer(checker.clone());
    assert_eq!(sender.send_mail().await.unwrap().sent, 1);
    let results = checker.lock_results.lock().unwrap().clone();
    assert_eq!(results, vec![Ok(())], "the row was locked during the send");
    // The outcome was recorded after the send, and the lease given up.
    let sql = server.real.as_ref().unwrap().sql().await;
    let row = sql
        .query_one(
            "SELECT sent_at IS NOT NULL, attempts, lease_until IS NULL FROM outbox",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        (
            row.get::<_, bool>(0),
            row.get::<_, i32>(1),
            row.get::<_, bool>(2)
        ),
        (true, 1, true)
    );
}
