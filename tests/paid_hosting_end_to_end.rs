//! Paid hosting end to end on PostgreSQL + Redis: register, a deposit arrives through the
//! node, buy, store, expire with and without a newer bucket, one email; money and bytes exact.

mod common;

use causeway::jobs::{run_once, Job};
use common::fake_node::FakeNode;
use common::smtp::TestSmtp;
use common::{assert_error, p2pkh, Backend, TestServer};
use time::Duration;

const XPUB_M_0H: &str = "xpub68Gmy5EdvgibQVfPdqkBBCHxA5htiqg55crXYuXoQRKfDBFA1WEjWgP6LHhwBZeNK1VTsfTFUHCdrfp1bgwQ9xv5ski8PX9rL2dZXvgGDnw";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paying_owner_from_deposit_to_expiry() {
    let node = FakeNode::start("rpc", "pw").await;
    let smtp = TestSmtp::start();
    let (node_url, smtp_port) = (node.url.clone(), smtp.port);
    let server = TestServer::with(Backend::Real, move |c| {
        c.deposit_xpub = Some(XPUB_M_0H.into());
        c.price_sats = 10_000;
        c.bitcoind_url = Some(node_url);
        c.bitcoind_user = Some("rpc".into());
        c.bitcoind_password = Some("pw".into());
        c.smtp_url = Some(format!("smtp://127.0.0.1:{smtp_port}"));
    })
    .await;
    let owner = p2pkh();
    let owner_addr = owner.address.as_str();

    // Register: the deposit address is the xpub's child at the next dense index, 1 (after
    // an earlier asker's 0): the vector's m/0H/1.
    let earlier = p2pkh();
    let earlier_signature = earlier.sign(&format!("e@example.org{}", earlier.address));
    let (status, _) = server
        .get_query(
            "/address",
            &[
                ("contact", "e@example.org"),
                ("address", earlier.address.as_str()),
                ("signature", &earlier_signature),
            ],
        )
        .await;
    assert_eq!(status, 200);
    let contact = "owner@example.org";
    let signature = owner.sign(&format!("{contact}{owner_addr}"));
    let (status, body) = server
        .get_query(
            "/address",
            &[
                ("contact", contact),
                ("address", owner_addr),
                ("signature", &signature),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let deposit = body["address"].as_str().unwrap().to_owned();
    assert_eq!(deposit, "bc1qhm6697d9d2224vfyt8mj4kw03ncec7a7fdafvt");

    // A free bucket, and data in it.
    let (status, _) = server
        .get_query("/request", &[("owner", owner_addr), ("contact", contact)])
        .await;
    assert_eq!(status, 200);
    let nonce = server.nonce(&owner).await;
    for key in ["k1", "k2"] {
        assert_eq!(server.put(&owner, key, "0123456789", &nonce).await.0, 201);
    }

    // A deposit arrives through the node and is credited by the payment job.
    node.set_received(vec![(deposit.clone(), "0.0003".into(), 3)]);
    let report = run_once(&server.service, Job::Payments).await.unwrap();
    assert_eq!(report["credited_sats"], 30_000, "{report}");

    // Buy a bucket, paid from the balance at once.
    let nonce = server.nonce(&owner).await;
    let signature = owner.sign(&format!("{owner_addr}{contact}{nonce}"));
    let (status, body) = server
        .get_query(
            "/buy",
            &[
                ("address", owner_addr),
                ("contact", contact),
                ("nonce", &nonce),
                ("signature", &signature),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["buckets"][1]["status"], "active");

    // The free bucket's term ends: its pairs move to the paid bucket and are still served.
    server.clock.advance(Duration::days(31));
    let report = run_once(&server.service, Job::Expiry).await.unwrap();
    assert_eq!(
        (report["moved"].as_i64(), report["stranded"].as_i64()),
        (Some(2), Some(0))
    );
    for key in ["k1", "k2"] {
        assert_eq!(server.get_query("/get", &[("key", key)]).await.0, 200);
    }
    assert_eq!(
        server.bytes_free(&owner).await,
        vec![1_048_576, 1_048_576 - 24]
    );
    let nonce = server.nonce(&owner).await;
    assert_eq!(server.put(&owner, "k3", "0123456789", &nonce).await.0, 201);

    // The paid bucket's term ends with no newer bucket: pairs kept, not served, one email.
    server.clock.advance(Duration::days(335));
    let report = run_once(&server.service, Job::Expiry).await.unwrap();
    assert_eq!(report["stranded"], 3, "{report}");
    let (status, body) = server.get_query("/get", &[("key", "k3")]).await;
    assert_error(status, &body, 402, "bucket_expired");
    assert_eq!(body["price_sats"], 10_000);
    assert_eq!(body["address"], deposit.as_str());
    run_once(&server.service, Job::Expiry).await.unwrap();
    run_once(&server.service, Job::Mail).await.unwrap();
    run_once(&server.service, Job::Mail).await.unwrap();
    let mails = smtp.wait_for(1, std::time::Duration::from_secs(10));
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, vec![contact.to_owned()]);
    assert!(mails[0].decoded_body().contains("3 key(s)"));
    assert_eq!(smtp.messages().len(), 1, "exactly one email");

    // Money and bytes add up.
    assert_eq!(server.service_ledger(&owner).await, vec![30_000, -10_000]);
    let sql = server.real.as_ref().unwrap().sql().await;
    let row = sql
        .query_one(
            "SELECT (SELECT sum(balance_sats) FROM accounts)::BIGINT, (SELECT sum(delta_sats) FROM ledger)::BIGINT, \
                    (SELECT sum(bytes_used) FROM buckets)::BIGINT, (SELECT sum(size) FROM pairs)::BIGINT",
            &[],
        )
        .await
        .unwrap();
    let (balance, ledger, used, stored): (i64, i64, i64, i64) =
        (row.get(0), row.get(1), row.get(2), row.get(3));
    assert_eq!((balance, ledger), (20_000, 20_000));
    assert_eq!((used, stored), (36, 36));
}
