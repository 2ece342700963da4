//! What the node's JSON-RPC answers mean: `RpcError`, and the body of an answer judged into a
//! result or one of its variants.

use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

/// Bitcoin Core echoes the request id, which lets us notice an answer that is not ours.
pub(super) const REQUEST_ID: &str = "causeway";

/// Bitcoin Core's RPC_IN_WARMUP: the node is up but still loading, so the same call will work later.
const RPC_IN_WARMUP: i64 = -28;

/// JSON-RPC's own error codes (parse error, invalid request, method not found, invalid
/// params, internal error, and the implementation's server errors): the node or our link to
/// it failed, whatever the caller asked.
const JSON_RPC_ERRORS: std::ops::RangeInclusive<i64> = -32768..=-32000;

/// Why a call to the node did not produce a usable result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RpcError {
    #[error("bitcoin node unreachable: {0}")]
    Unreachable(String),
    #[error("bitcoin node rejected our RPC credentials")]
    Unauthorized,
    #[error("bitcoin node is not ready yet: {0}")]
    NotReady(String),
    #[error("bitcoin node error {code}: {message}")]
    Node { code: i64, message: String },
    /// The node failed on its side (a JSON-RPC protocol or internal error), not a refusal
    /// of what the caller asked.
    #[error("bitcoin node failed ({code}): {message}")]
    NodeFailure { code: i64, message: String },
    #[error("malformed answer from bitcoin node: {0}")]
    Malformed(String),
}

impl RpcError {
    /// True when the fault lies with our link to the node (answer 503), false when the node
    /// understood the request and refused it (answer 400).
    pub fn is_unavailable(&self) -> bool {
        match self {
            RpcError::Unreachable(_)
            | RpcError::Unauthorized
            | RpcError::NotReady(_)
            | RpcError::NodeFailure { .. }
            | RpcError::Malformed(_) => true,
            RpcError::Node { .. } => false,
        }
    }
}

/// Bitcoin Core puts the verdict in the body whatever the HTTP status (500 for errors, 404 for an
/// unknown method), so the body is authoritative and the status only a consistency check.
pub(super) fn parse_answer(status: StatusCode, body: &[u8]) -> Result<Value, RpcError> {
    let answer: Value = serde_json::from_slice(body)
        .map_err(|e| RpcError::Malformed(format!("HTTP {status}: answer is not JSON ({e})")))?;
    let Value::Object(mut fields) = answer else {
        return Err(RpcError::Malformed(format!(
            "HTTP {status}: answer is not a JSON-RPC object"
        )));
    };
    match fields.get("id") {
        // Bitcoin Core answers with a null id when it could not read our request at all.
        None | Some(Value::Null) => {}
        Some(Value::String(id)) if id == REQUEST_ID => {}
        Some(other) => {
            return Err(RpcError::Malformed(format!(
                "answer carries id {other}, not ours"
            )))
        }
    }
    match fields.remove("error") {
        None | Some(Value::Null) => {}
        Some(error) => return Err(node_error(error)),
    }
    if !status.is_success() {
        return Err(RpcError::Malformed(format!(
            "HTTP {status} without a JSON-RPC error"
        )));
    }
    fields
        .remove("result")
        .ok_or_else(|| RpcError::Malformed("answer has neither result nor error".to_owned()))
}

fn node_error(error: Value) -> RpcError {
    #[derive(Deserialize)]
    struct ErrorObject {
        code: i64,
        message: String,
    }
    match serde_json::from_value::<ErrorObject>(error) {
        Ok(e) if e.code == RPC_IN_WARMUP => RpcError::NotReady(e.message),
        Ok(e) if JSON_RPC_ERRORS.contains(&e.code) => RpcError::NodeFailure {
            code: e.code,
            message: e.message,
        },
        Ok(e) => RpcError::Node {
            code: e.code,
            message: e.message,
        },
        Err(e) => RpcError::Malformed(format!("unreadable JSON-RPC error object: {e}")),
    }
}

pub(super) fn decode<T: DeserializeOwned>(method: &str, result: Value) -> Result<T, RpcError> {
    serde_json::from_value(result)
        .map_err(|e| RpcError::Malformed(format!("{method}: unexpected result: {e}")))
}

pub(super) fn require_hash(method: &str, hash: String) -> Result<String, RpcError> {
    if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(hash)
    } else {
        Err(RpcError::Malformed(format!(
            "{method}: {hash:?} is not a 32-byte hex hash"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn answers_are_judged_by_body_not_status() {
        let warmup = br#"{"result":null,"error":{"code":-28,"message":"Loading block index..."},"id":"causeway"}"#;
        assert_eq!(
            parse_answer(StatusCode::INTERNAL_SERVER_ERROR, warmup),
            Err(RpcError::NotReady("Loading block index...".to_owned()))
        );
        let not_found = br#"{"result":null,"error":{"code":-32601,"message":"Method not found"},"id":"causeway"}"#;
        assert_eq!(
            parse_answer(StatusCode::NOT_FOUND, not_found),
            Err(RpcError::NodeFailure {
                code: -32601,
                message: "Method not found".to_owned()
            })
        );
        let refused =
            br#"{"result":null,"error":{"code":-5,"message":"Block not found"},"id":"causeway"}"#;
        assert_eq!(
            parse_answer(StatusCode::INTERNAL_SERVER_ERROR, refused),
            Err(RpcError::Node {
                code: -5,
                message: "Block not found".to_owned()
            })
        );
        let internal = br#"{"result":null,"error":{"code":-32603,"message":"Internal error"},"id":"causeway"}"#;
        assert!(parse_answer(StatusCode::INTERNAL_SERVER_ERROR, internal)
            .unwrap_err()
            .is_unavailable());
        let ok = br#"{"result":42,"error":null,"id":"causeway"}"#;
        assert_eq!(parse_answer(StatusCode::OK, ok), Ok(json!(42)));
        let null_result = br#"{"result":null,"error":null,"id":"causeway"}"#;
        assert_eq!(parse_answer(StatusCode::OK, null_result), Ok(Value::Null));
    }

    #[test]
    fn odd_answers_are_malformed() {
        let cases: [(StatusCode, &[u8]); 8] = [
            (StatusCode::OK, b"<html>"),
            (StatusCode::OK, b""),
            (StatusCode::OK, b"[1,2]"),
            (StatusCode::OK, br#"{"error":null,"id":"causeway"}"#),
            (
                StatusCode::OK,
                br#"{"result":1,"error":null,"id":"someone-else"}"#,
            ),
            (
                StatusCode::OK,
                br#"{"result":null,"error":"boom","id":"causeway"}"#,
            ),
            (
                StatusCode::OK,
                br#"{"result":null,"error":{"code":1.5,"message":"x"}}"#,
            ),
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                br#"{"result":1,"error":null}"#,
            ),
        ];
        for (status, body) in cases {
            let outcome = parse_answer(status, body);
            assert!(
                matches!(outcome, Err(RpcError::Malformed(_))),
                "{status} {:?} gave {outcome:?}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn only_node_errors_are_the_callers_fault() {
        assert!(RpcError::Unreachable(String::new()).is_unavailable());
        assert!(RpcError::Unauthorized.is_unavailable());
        assert!(RpcError::NotReady(String::new()).is_unavailable());
        assert!(RpcError::Malformed(String::new()).is_unavailable());
        assert!(!RpcError::Node {
            code: -5,
            message: String::new()
        }
        .is_unavailable());
    }
}
