//! The payment watcher against a JSON-RPC node answering in Bitcoin Core's shapes: each new
//! amount credited exactly once, pending buckets activated, node trouble and reorgs harmless.

mod common;

use common::fake_node::{FakeNode, Mode};
use common::{p2pkh, Backend, TestServer};

const XPUB_M_0H: &str = "xpub68Gmy5EdvgibQVfPdqkBBCHxA5htiqg55crXYuXoQRKfDBFA1WEjWgP6LHhwBZeNK1VTsfTFUHCdrfp1bgwQ9xv5ski8PX9rL2dZXvgGDnw";

conformance!(
    deposits_are_credited_once_and_pay_pending_buckets,
    a_decrease_reported_by_the_node_is_never_debited,
    node_trouble_changes_nothing,
);

async fn watched_server(backend: Backend, node: &FakeNode) -> TestServer {
    let url = node.url.clone();
    TestServer::with(backend, move |c| {
        c.deposit_xpub = Some(XPUB_M_0H.into());
        c.price_sats = 10_000;
        c.bitcoind_url = Some(url);
        c.bitcoind_user = Some("rpc".into());
        c.bitcoind_password = Some("secret".into());
        c.bitcoind_timeout_ms = 500;
        c.minconf = 2;
    })
    .await
}

async fn balance(server: &TestServer, owner: &causeway::auth::Signer) -> i64 {
    server.service_ledger(owner).await.iter().sum()
}

async fn deposits_are_credited_once_and_pay_pending_buckets(backend: Backend) {
    let node = FakeNode::start("rpc", "secret").await;
    let server = watched_server(backend, &node).await;
    let owner = p2pkh();
    let deposit = server.buy_pending(&owner).await;
    // Unconfirmed enough (minconf 2): not credited yet.
    node.set_received(vec![(deposit.clone(), "0.00006".into(), 1)]);
    let report = server.service.poll_payments().await.unwrap().unwrap();
    assert_eq!(report.credited, 0);
    node.set_received(vec![
        (deposit.clone(), "0.00006".into(), 2),
        ("bc1qunrelated0".into(), "5".into(), 9),
    ]);
    let report = server.service.poll_payments().await.unwrap().unwrap();
    assert_eq!(
        (report.credited, report.credited_sats, report.activated),
        (1, 6_000, 0)
    );
    // Polling again, even from two passes at once, credits nothing more.
    let (a, b) = tokio::join!(
        server.service.poll_payments(),
        server.service.poll_payments()
    );
    assert_eq!(
        a.unwrap().unwrap().credited + b.unwrap().unwrap().credited,
        0
    );
    assert_eq!(balance(&server, &owner).await, 6_000);
    // A second payment to the same address: the node reports the new total.
    node.set_received(vec![(deposit.clone(), "0.00011".into(), 3)]);
    let report = server.service.poll_payments().await.unwrap().unwrap();
    assert_eq!((report.credited_sats, report.activated), (5_000, 1));
    assert_eq!(
        server.service_ledger(&owner).await,
        vec![6_000, 5_000, -10_000]
    );
    let (_, body) = server
        .get_query("/request", &[("owner", owner.address.as_str())])
        .await;
    assert_eq!(body["buckets"][0]["status"], "active");
    assert!(node.calls().iter().all(|m| m == "listreceivedbyaddress"));
}

async fn a_decrease_reported_by_the_node_is_never_debited(backend: Backend) {
    let node = FakeNode::start("rpc", "secret").await;
    let server = watched_server(backend, &node).await;
    let owner = p2pkh();
    let deposit = server.buy_pending(&owner).await;
    node.set_received(vec![(deposit.clone(), "0.0002".into(), 6)]);
    server.service.poll_payments().await.unwrap();
    assert_eq!(balance(&server, &owner).await, 10_000);
    // A reorg drops the payment from the node's view.
    node.set_received(vec![(deposit.clone(), "0.0001".into(), 6)]);
    let report = server.service.poll_payments().await.unwrap().unwrap();
    assert_eq!((report.decreased, report.credited), (1, 0));
    assert_eq!(balance(&server, &owner).await, 10_000);
    // Operators see it (other tests in this process may have added to the count).
    let metrics = server.metrics().await;
    let decreases: u64 = metrics
        .lines()
        .find_map(|line| line.strip_prefix("causeway_deposit_decreases_total "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no decrease counter in {metrics}"));
    assert!(decreases >= 1);
    // When it comes back, it is not credited a second time.
    node.set_received(vec![(deposit, "0.0002".into(), 7)]);
    let report = server.service.poll_payments().await.unwrap().unwrap();
    assert_eq!(report.credited, 0);
    assert_eq!(server.service_ledger(&owner).await, vec![20_000, -10_000]);
}

async fn node_trouble_changes_nothing(backend: Backend) {
    let node = FakeNode::start("rpc", "secret").await;
    let server = watched_server(backend, &node).await;
    let owner = p2pkh();
    let deposit = server.buy_pending(&owner).await;
    node.set_received(vec![(deposit, "0.0001".into(), 6)]);
    for mode in [Mode::Warmup, Mode::Garbage, Mode::Hang] {
        node.set_mode(mode);
        let polled = server.service.poll_payments().await;
        assert!(
            matches!(polled, Err(causeway::service::ServiceError::Unavailable(_))),
            "{polled:?}"
        );
    }
    assert!(server.service_ledger(&owner).await.is_empty());
    node.set_mode(Mode::Normal);
    let report = server.service.poll_payments().await.unwrap().unwrap();
    assert_eq!(report.credited, 1);
    // Without a node configured the job reports it has nothing to do.
    let plain = TestServer::start(backend).await;
    assert_eq!(plain.service.poll_payments().await.unwrap(), None);
}
