//! Outbound HTTPS: a Bitcoin node behind TLS signed by a private CA is reached when that CA is
//! the operator's extra CA file, and refused (no credentials sent) when it is not; a bad CA
//! file stops the binary at start instead of failing every call later.

mod common;

use std::time::Duration;

use causeway::chain::rpc::{BitcoinRpc, NodeAuth, RpcError};
use common::binary::{causeway, free_port};
use common::fake_node::FakeNode;
use common::test_ca::TestCa;
use common::{p2pkh, Backend, TestServer};

const TIMEOUT: Duration = Duration::from_secs(5);
/// The operator's deposit key (BIP-32 test vector 1, m/0').
const XPUB: &str = "xpub68Gmy5EdvgibQVfPdqkBBCHxA5htiqg55crXYuXoQRKfDBFA1WEjWgP6LHhwBZeNK1VTsfTFUHCdrfp1bgwQ9xv5ski8PX9rL2dZXvgGDnw";

fn auth() -> NodeAuth {
    NodeAuth::UserPassword {
        user: "rpc".into(),
        password: "secret".into(),
    }
}

fn block_hash(height: i64) -> String {
    format!("{height:064x}")
}

#[tokio::test]
async fn an_https_node_signed_by_the_extra_ca_answers() {
    let ca = TestCa::new();
    let node = FakeNode::start_tls("rpc", "secret", ca.acceptor.clone()).await;
    assert!(node.url.starts_with("https://127.0.0.1:"), "{}", node.url);
    node.set_chain(vec![
        (block_hash(0), 1_231_006_505),
        (block_hash(1), 1_231_469_665),
    ]);
    let rpc = BitcoinRpc::with_roots(&node.url, auth(), TIMEOUT, &ca.roots()).unwrap();
    assert_eq!(rpc.block_count().await.unwrap(), 1);
    assert_eq!(node.calls(), vec!["getblockcount"]);
}

#[tokio::test]
async fn an_https_node_of_an_unknown_ca_is_refused_before_any_credential_is_sent() {
    let ca = TestCa::new();
    let node = FakeNode::start_tls("rpc", "secret", ca.acceptor.clone()).await;
    // Only the webpki and system roots: the private CA is not among them.
    let rpc = BitcoinRpc::new(&node.url, auth(), TIMEOUT).unwrap();
    match rpc.block_count().await {
        Err(RpcError::Unreachable(why)) => {
            assert!(why.to_lowercase().contains("certificate"), "{why}")
        }
        other => panic!("an untrusted certificate must not be talked to: {other:?}"),
    }
    // Another CA's file does not help either.
    let other = TestCa::new();
    let rpc = BitcoinRpc::with_roots(&node.url, auth(), TIMEOUT, &other.roots()).unwrap();
    assert!(matches!(
        rpc.block_count().await,
        Err(RpcError::Unreachable(_))
    ));
    assert!(node.calls().is_empty(), "{:?}", node.calls());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_payment_watcher_polls_an_https_node_through_the_extra_ca_setting() {
    let ca = TestCa::new();
    let node = FakeNode::start_tls("rpc", "secret", ca.acceptor.clone()).await;
    let (url, ca_file) = (node.url.clone(), ca.ca_file.clone());
    let server = TestServer::with(Backend::Real, move |c| {
        c.deposit_xpub = Some(XPUB.into());
        c.price_sats = 10_000;
        c.bitcoind_url = Some(url);
        c.bitcoind_user = Some("rpc".into());
        c.bitcoind_password = Some("secret".into());
        c.extra_ca_file = Some(ca_file);
        c.minconf = 1;
    })
    .await;
    let owner = p2pkh();
    let deposit = server.buy_pending(&owner).await;
    node.set_received(vec![(deposit, "0.0001".into(), 3)]);
    let report = server.service.poll_payments().await.unwrap().unwrap();
    assert_eq!((report.credited, report.activated), (1, 1));
    assert_eq!(node.calls(), vec!["listreceivedbyaddress"]);
}

#[test]
fn a_missing_or_empty_extra_ca_file_stops_the_binary_at_start() {
    let empty =
        std::env::temp_dir().join(format!("causeway-empty-ca-{}.pem", uuid::Uuid::new_v4()));
    std::fs::write(&empty, "not a certificate\n").unwrap();
    let missing = std::env::temp_dir().join("causeway-no-such-ca.pem");
    for (file, setting) in [
        (&missing, ("CAUSEWAY_BITCOIND_URL", "https://127.0.0.1:1/")),
        (&empty, ("CAUSEWAY_BITCOIND_URL", "https://127.0.0.1:1/")),
        (
            &missing,
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://127.0.0.1:1"),
        ),
    ] {
        let output = causeway()
            .arg("serve")
            .env("CAUSEWAY_LISTEN", format!("127.0.0.1:{}", free_port()))
            .env(
                "CAUSEWAY_ADMIN_LISTEN",
                format!("127.0.0.1:{}", free_port()),
            )
            .env("CAUSEWAY_EXTRA_CA_FILE", file)
            .env(setting.0, setting.1)
            .env("CAUSEWAY_DEPOSIT_XPUB", XPUB)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{setting:?} {file:?}: {stderr}");
        assert!(stderr.contains("extra CA file"), "{setting:?}: {stderr}");
    }
    std::fs::remove_file(&empty).unwrap();
}
