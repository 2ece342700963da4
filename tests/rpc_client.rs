//! Drives `BitcoinRpc` against a fake bitcoind over real HTTP to check how every kind of answer is mapped.

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use causeway::chain::rpc::{BitcoinRpc, BlockHeader, NodeAuth, Received, RpcError};
use common::fake_node::{FakeNode, Mode};
use serde_json::json;

const USER: &str = "causeway";
const PASSWORD: &str = "correct horse battery staple";
/// Generous so a loaded CI machine never turns a correct answer into a timeout.
const TIMEOUT: Duration = Duration::from_secs(5);

fn good_auth() -> NodeAuth {
    NodeAuth::UserPassword {
        user: USER.to_owned(),
        password: PASSWORD.to_owned(),
    }
}

fn client(node: &FakeNode, auth: NodeAuth, timeout: Duration) -> BitcoinRpc {
    BitcoinRpc::new(&node.url, auth, timeout).expect("the fake node's URL is valid")
}

async fn started_node() -> (FakeNode, BitcoinRpc) {
    let node = FakeNode::start(USER, PASSWORD).await;
    let rpc = client(&node, good_auth(), TIMEOUT);
    (node, rpc)
}

fn entry(address: &str, amount: &str, confirmations: i64) -> (String, String, i64) {
    (address.to_owned(), amount.to_owned(), confirmations)
}

fn block_hash_for(height: u8) -> String {
    format!("{:064x}", u64::from(height) + 0xb10c)
}

/// Each test gets its own file so tests running in parallel cannot see each other's cookies.
fn cookie_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}.cookie", std::process::id()))
}

#[tokio::test]
async fn received_amounts_are_exact_satoshis() -> Result<(), RpcError> {
    let (node, rpc) = started_node().await;
    node.set_received(vec![
        entry("bc1qtenthousand", "0.0001", 1),
        entry("bc1qonepointfive", "1.5", 1),
        entry("bc1qallofthem", "21000000", 1),
        entry("bc1qonesat", "1e-8", 1),
        entry("bc1qonesatpadded", "0.00000001", 1),
        entry("bc1qpointone", "0.1", 1),
        entry("bc1qpointtwo", "0.2", 1),
        entry("bc1qcorefixed", "0.30000000", 1),
        entry("bc1qalmostall", "20999999.99999999", 1),
    ]);
    let received = rpc.received_by_address(1).await?;
    let sats: Vec<(&str, i64)> = received
        .iter()
        .map(|r| (r.address.as_str(), r.amount_sats))
        .collect();
    assert_eq!(
        sats,
        vec![
            ("bc1qtenthousand", 10_000),
            ("bc1qonepointfive", 150_000_000),
            ("bc1qallofthem", 2_100_000_000_000_000),
            ("bc1qonesat", 1),
            ("bc1qonesatpadded", 1),
            ("bc1qpointone", 10_000_000),
            ("bc1qpointtwo", 20_000_000),
            ("bc1qcorefixed", 30_000_000),
            ("bc1qalmostall", 2_099_999_999_999_999),
        ]
    );
    Ok(())
}

#[tokio::test]
async fn minconf_is_passed_to_the_node() -> Result<(), RpcError> {
    let (node, rpc) = started_node().await;
    node.set_received(vec![
        entry("bc1qunconfirmed", "0.5", 0),
        entry("bc1qoneconf", "0.25", 1),
        entry("bc1qburied", "0.125", 6),
    ]);
    let everything = rpc.received_by_address(0).await?;
    assert_eq!(everything.len(), 3);
    let buried = rpc.received_by_address(6).await?;
    assert_eq!(
        buried,
        vec![Received {
            address: "bc1qburied".to_owned(),
            amount_sats: 12_500_000,
            confirmations: 6,
        }]
    );
    assert_eq!(
        node.calls(),
        vec!["listreceivedbyaddress", "listreceivedbyaddress"]
    );
    Ok(())
}

#[tokio::test]
async fn impossible_amounts_are_malformed() {
    for amount in ["-0.5", "0.000000001", "21000000.00000001", "\"0.1\""] {
        let (node, rpc) = started_node().await;
        node.set_received(vec![entry("bc1qodd", amount, 1)]);
        let outcome = rpc.received_by_address(0).await;
        assert!(
            matches!(outcome, Err(RpcError::Malformed(_))),
            "{amount} gave {outcome:?}"
        );
    }
}

#[tokio::test]
async fn wrong_password_is_unauthorized() {
    let node = FakeNode::start(USER, PASSWORD).await;
    let wrong = NodeAuth::UserPassword {
        user: USER.to_owned(),
        password: "guess".to_owned(),
    };
    let outcome = client(&node, wrong, TIMEOUT).block_count().await;
    assert_eq!(outcome, Err(RpcError::Unauthorized));
    let anonymous = client(&node, NodeAuth::None, TIMEOUT).block_count().await;
    assert_eq!(anonymous, Err(RpcError::Unauthorized));
    assert!(node.calls().is_empty());
}

#[tokio::test]
async fn warming_up_node_is_not_ready_and_unavailable() {
    let (node, rpc) = started_node().await;
    node.set_mode(Mode::Warmup);
    let error = rpc
        .block_count()
        .await
        .expect_err("a warming-up node has no block count");
    assert_eq!(
        error,
        RpcError::NotReady("Loading block index...".to_owned())
    );
    assert!(error.is_unavailable());
}

#[tokio::test]
async fn hanging_node_is_unreachable_after_the_timeout() {
    let node = FakeNode::start(USER, PASSWORD).await;
    node.set_mode(Mode::Hang);
    let rpc = client(&node, good_auth(), Duration::from_millis(300));
    let started = Instant::now();
    let outcome = rpc.block_count().await;
    assert!(
        matches!(outcome, Err(RpcError::Unreachable(_))),
        "{outcome:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(node.calls(), vec!["getblockcount"]);
}

#[tokio::test]
async fn garbage_answer_is_malformed() {
    let (node, rpc) = started_node().await;
    node.set_mode(Mode::Garbage);
    let outcome = rpc.block_count().await;
    assert!(
        matches!(outcome, Err(RpcError::Malformed(_))),
        "{outcome:?}"
    );
    assert!(outcome.is_err_and(|e| e.is_unavailable()));
}

#[tokio::test]
async fn block_count_hash_and_header_round_trip() -> Result<(), RpcError> {
    let (node, rpc) = started_node().await;
    let times = [1_231_006_505, 1_231_469_665, 1_231_469_744];
    node.set_chain(
        (0_u8..)
            .zip(times)
            .map(|(height, time)| (block_hash_for(height), time))
            .collect(),
    );
    let tip = rpc.block_count().await?;
    assert_eq!(tip, 2);
    let hash = rpc.block_hash(tip).await?;
    assert_eq!(hash, block_hash_for(2));
    let header = rpc.block_header(&hash).await?;
    assert_eq!(
        header,
        BlockHeader {
            hash,
            height: 2,
            time: 1_231_469_744,
        }
    );
    assert_eq!(
        node.calls(),
        vec!["getblockcount", "getblockhash", "getblockheader"]
    );
    Ok(())
}

#[tokio::test]
async fn unknown_block_is_a_node_error() {
    let (node, rpc) = started_node().await;
    node.set_chain(vec![(block_hash_for(0), 1_231_006_505)]);
    let error = rpc
        .block_header(&block_hash_for(9))
        .await
        .expect_err("block 9 does not exist");
    assert_eq!(
        error,
        RpcError::Node {
            code: -5,
            message: "Block not found".to_owned()
        }
    );
    assert!(!error.is_unavailable());
    let beyond_tip = rpc.block_hash(1).await;
    assert!(
        matches!(beyond_tip, Err(RpcError::Node { code: -8, .. })),
        "{beyond_tip:?}"
    );
}

#[tokio::test]
async fn undecodable_transaction_is_a_node_error() {
    let (_node, rpc) = started_node().await;
    let error = rpc
        .send_raw_transaction("not hex at all")
        .await
        .expect_err("garbage is not a transaction");
    assert_eq!(
        error,
        RpcError::Node {
            code: -22,
            message: "TX decode failed".to_owned()
        }
    );
    assert!(!error.is_unavailable());
}

#[tokio::test]
async fn decodable_transaction_yields_its_txid() -> Result<(), RpcError> {
    let (_node, rpc) = started_node().await;
    let txid = rpc.send_raw_transaction("0200000001deadbeef").await?;
    assert_eq!(txid.len(), 64);
    assert_eq!(txid, rpc.send_raw_transaction("0200000001deadbeef").await?);
    Ok(())
}

#[tokio::test]
async fn unknown_method_is_a_node_failure_not_a_refusal() {
    // JSON-RPC's own codes (-32xxx) say the node or the link failed (API.md v1.1: 503).
    let (_node, rpc) = started_node().await;
    let outcome = rpc.call("getnothing", json!([])).await;
    assert_eq!(
        outcome,
        Err(RpcError::NodeFailure {
            code: -32601,
            message: "Method not found".to_owned()
        })
    );
    assert!(outcome.unwrap_err().is_unavailable());
}

#[tokio::test]
async fn nothing_listening_is_unreachable() {
    let address = {
        let listener =
            std::net::TcpListener::bind("127.0.0.1:0").expect("can bind a localhost port");
        listener
            .local_addr()
            .expect("a bound listener has an address")
    };
    let rpc = BitcoinRpc::new(&format!("http://{address}/"), good_auth(), TIMEOUT)
        .expect("a localhost URL is valid");
    let outcome = rpc.block_count().await;
    assert!(
        matches!(outcome, Err(RpcError::Unreachable(_))),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn cookie_auth_reads_user_and_password_from_the_file() -> Result<(), RpcError> {
    let node = FakeNode::start("__cookie__", "f00dcafe").await;
    node.set_chain(vec![(block_hash_for(0), 1_231_006_505)]);
    let path = cookie_path("cookie-auth");
    std::fs::write(&path, "__cookie__:stale\n").expect("can write the cookie file");
    let rpc = client(&node, NodeAuth::Cookie(path.clone()), TIMEOUT);
    assert_eq!(rpc.block_count().await, Err(RpcError::Unauthorized));

    // bitcoind restarted and wrote a new cookie: the same client must pick it up.
    std::fs::write(&path, "__cookie__:f00dcafe").expect("can write the cookie file");
    let outcome = rpc.block_count().await;
    let _ = std::fs::remove_file(&path);
    assert_eq!(outcome?, 0);
    Ok(())
}

#[tokio::test]
async fn missing_cookie_file_is_unauthorized() {
    let node = FakeNode::start("__cookie__", "f00dcafe").await;
    let rpc = client(
        &node,
        NodeAuth::Cookie(cookie_path("never-written")),
        TIMEOUT,
    );
    let error = rpc
        .block_count()
        .await
        .expect_err("there is no cookie to authenticate with");
    assert_eq!(error, RpcError::Unauthorized);
    assert!(error.is_unavailable());
    assert!(node.calls().is_empty());
}
