//! The answers of `/query` and `/bitcoin`, byte for byte as the Rein client reads them.

use poem_openapi::types::ToJSON;

use super::*;

fn wire(reply: impl ToJSON) -> String {
    serde_json::to_string(&reply.to_json().unwrap()).unwrap()
}

fn block() -> Option<BlockInfo> {
    Some(BlockInfo {
        hash: "00ab".into(),
        height: 7,
        time: 1_700_000_000,
    })
}

fn found(kind: QueryKind, items: QueryItems, block: Option<BlockInfo>) -> String {
    wire(QueryReply::found(&kind, items, block).unwrap())
}

#[test]
fn query_answers_keep_the_rein_client_shape() {
    assert_eq!(
        found(
            QueryKind::Jobs,
            QueryItems::Values(vec!["a".into()]),
            block()
        ),
        r#"{"block_info":{"hash":"00ab","height":7,"time":1700000000},"jobs":["a"],"result":"success"}"#
    );
    assert_eq!(
        found(
            QueryKind::InProcess { worker: "w".into() },
            QueryItems::Values(vec![]),
            None
        ),
        r#"{"block_info":null,"in-process":[],"result":"success"}"#
    );
    assert_eq!(
        found(
            QueryKind::UserName { msin: "m".into() },
            QueryItems::Pairs(vec![("k".into(), "v".into())]),
            None
        ),
        r#"{"block_info":null,"get_user_name":[{"key":"k","value":"v"}],"result":"success"}"#
    );
    let unasked = QueryKind::UserRatings {
        dest: None,
        source: None,
    };
    assert_eq!(
        found(unasked, QueryItems::Error, None),
        r#"{"block_info":null,"get_user_ratings":["error"],"result":"success"}"#
    );
    assert_eq!(
        wire(QueryReply::Refused(MessageReply::account_required())),
        r#"{"message":"Account required to make queries","result":"error"}"#
    );
}

#[test]
fn items_of_another_kinds_shape_are_an_internal_error() {
    let mismatched = QueryReply::found(&QueryKind::Jobs, QueryItems::Error, None);
    assert!(matches!(mismatched, Err(ApiError::Internal(_))));
}

#[test]
fn bitcoin_answers_keep_the_rein_client_shape() {
    let block = BitcoinOutcome::Block(block().unwrap());
    assert_eq!(
        wire(BitcoinReply::from(block)),
        r#"{"hash":"00ab","height":7,"time":1700000000}"#
    );
    let sent = BitcoinOutcome::Sent { txid: "ff".into() };
    assert_eq!(wire(BitcoinReply::from(sent)), r#"{"txid":"ff"}"#);
    assert_eq!(
        wire(BitcoinReply::from(BitcoinOutcome::NotEnabled)),
        r#"{"message":"Bitcoin Core not enabled for this server","result":"error"}"#
    );
}
