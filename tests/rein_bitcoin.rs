//! `/bitcoin` and `/query`'s `block_info` against a JSON-RPC node in Bitcoin Core's shapes.

mod common;

use common::fake_node::{FakeNode, Mode};
use common::{assert_error, p2pkh, Backend, TestServer};
use serde_json::{json, Value};

conformance!(
    block_info_is_twelve_below_the_tip_and_shared_for_a_while,
    block_info_is_null_when_the_node_can_not_answer,
    bitcoin_lookups_and_broadcast_answer_like_the_node,
    node_refusals_are_bad_requests_and_node_trouble_is_unavailable,
);

fn chain(blocks: i64) -> Vec<(String, i64)> {
    (0..blocks)
        .map(|h| {
            (
                format!("{:064x}", 0xb10c_0000_i64 + h),
                1_700_000_000 + h * 600,
            )
        })
        .collect()
}

async fn server_with_node(backend: Backend, node: &FakeNode) -> TestServer {
    let url = node.url.clone();
    TestServer::with(backend, move |c| {
        c.bitcoind_url = Some(url);
        c.bitcoind_user = Some("rpc".into());
        c.bitcoind_password = Some("pw".into());
        c.bitcoind_timeout_ms = 500;
    })
    .await
}

async fn jobs_answer(server: &TestServer, owner: &causeway::auth::Signer) -> Value {
    let (status, body) = server
        .get_query(
            "/query",
            &[("owner", owner.address.as_str()), ("query", "jobs")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"], "success");
    body
}

async fn bitcoin(
    server: &TestServer,
    owner: &causeway::auth::Signer,
    params: &[(&str, &str)],
) -> (u16, Value) {
    let mut all = vec![("owner", owner.address.as_str())];
    all.extend_from_slice(params);
    server.get_query("/bitcoin", &all).await
}

async fn block_info_is_twelve_below_the_tip_and_shared_for_a_while(backend: Backend) {
    let node = FakeNode::start("rpc", "pw").await;
    node.set_chain(chain(30));
    let server = server_with_node(backend, &node).await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    let body = jobs_answer(&server, &owner).await;
    let (hash, time) = &chain(30)[17];
    assert_eq!(
        body["block_info"],
        json!({"hash": hash, "height": 17, "time": time})
    );
    // The chain grows; within the cache's lifetime the same answer is served without
    // asking the node again.
    node.set_chain(chain(40));
    let calls_before = node.calls().len();
    let body = jobs_answer(&server, &owner).await;
    assert_eq!(body["block_info"]["height"], 17);
    assert_eq!(node.calls().len(), calls_before);
}

async fn block_info_is_null_when_the_node_can_not_answer(backend: Backend) {
    let node = FakeNode::start("rpc", "pw").await;
    node.set_chain(chain(30));
    node.set_mode(Mode::Hang);
    let server = server_with_node(backend, &node).await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    assert_eq!(
        jobs_answer(&server, &owner).await["block_info"],
        Value::Null
    );
    // And without any node configured.
    let plain = TestServer::start(backend).await;
    plain.enroll(&owner).await;
    assert_eq!(jobs_answer(&plain, &owner).await["block_info"], Value::Null);
}

async fn bitcoin_lookups_and_broadcast_answer_like_the_node(backend: Backend) {
    let node = FakeNode::start("rpc", "pw").await;
    node.set_chain(chain(30));
    let server = server_with_node(backend, &node).await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    let blocks = chain(30);
    let block = |h: usize| json!({"height": h, "hash": blocks[h].0, "time": blocks[h].1});
    assert_eq!(
        bitcoin(&server, &owner, &[("query", "getbydepth"), ("depth", "0")]).await,
        (200, block(29))
    );
    assert_eq!(
        bitcoin(&server, &owner, &[("query", "getbydepth"), ("depth", "5")]).await,
        (200, block(24))
    );
    assert_eq!(
        bitcoin(
            &server,
            &owner,
            &[("query", "getbyheight"), ("height", "3")]
        )
        .await,
        (200, block(3))
    );
    let hash = blocks[7].0.to_uppercase();
    assert_eq!(
        bitcoin(&server, &owner, &[("query", "getbyhash"), ("hash", &hash)]).await,
        (200, block(7))
    );
    let (status, body) = bitcoin(
        &server,
        &owner,
        &[("query", "sendrawtransaction"), ("tx", "0100abcd")],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let txid = body["txid"].as_str().unwrap();
    assert_eq!(txid.len(), 64);
    assert!(node.calls().contains(&"sendrawtransaction".to_owned()));
}

async fn node_refusals_are_bad_requests_and_node_trouble_is_unavailable(backend: Backend) {
    let node = FakeNode::start("rpc", "pw").await;
    node.set_chain(chain(30));
    let server = server_with_node(backend, &node).await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    // Refused by the node: 400 with the node's message.
    for (params, message) in [
        (
            vec![("query", "getbyheight"), ("height", "1000")],
            "Block height out of range",
        ),
        (
            vec![("query", "getbydepth"), ("depth", "31")],
            "Block height out of range",
        ),
        (
            vec![("query", "getbyhash"), ("hash", &"ab".repeat(32))],
            "Block not found",
        ),
        (
            vec![("query", "sendrawtransaction"), ("tx", "dead00")],
            "bad-txns-inputs-missingorspent",
        ),
    ] {
        let (status, body) = bitcoin(&server, &owner, &params).await;
        assert_error(status, &body, 400, "bad_request");
        assert_eq!(body["error"], message);
    }
    // Malformed before reaching the node.
    for params in [
        vec![("query", "getbydepth"), ("depth", "-1")],
        vec![("query", "getbydepth"), ("depth", "ten")],
        vec![
            ("query", "getbyheight"),
            ("height", "99999999999999999999999"),
        ],
        vec![("query", "getbyhash"), ("hash", "xyz")],
        vec![("query", "sendrawtransaction"), ("tx", "abc")],
        vec![("query", "sendrawtransaction"), ("tx", "zz")],
        vec![("query", "getblockchaininfo")],
        vec![("query", "getbyheight")],
    ] {
        let (status, body) = bitcoin(&server, &owner, &params).await;
        assert_error(status, &body, 400, "bad_request");
    }
    // The node unreachable, slow, loading, failing inside or refusing our credentials: 503
    // (API.md v1.1: a node's own failure is never the client's 400).
    for mode in [
        Mode::Hang,
        Mode::Warmup,
        Mode::Garbage,
        Mode::InternalError,
        Mode::Unavailable,
    ] {
        node.set_mode(mode);
        let (status, body) = bitcoin(
            &server,
            &owner,
            &[("query", "getbyheight"), ("height", "1")],
        )
        .await;
        assert_error(status, &body, 503, "unavailable");
    }
    node.set_mode(Mode::Normal);
    let url = node.url.clone();
    let wrong_password = TestServer::with(backend, move |c| {
        c.bitcoind_url = Some(url);
        c.bitcoind_user = Some("rpc".into());
        c.bitcoind_password = Some("wrong".into());
    })
    .await;
    wrong_password.enroll(&owner).await;
    let (status, body) = bitcoin(
        &wrong_password,
        &owner,
        &[("query", "getbyheight"), ("height", "1")],
    )
    .await;
    assert_error(status, &body, 503, "unavailable");
}
