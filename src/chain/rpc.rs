//! Minimal Bitcoin Core JSON-RPC client: one generic `call` plus the typed helpers Causeway relies on.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use reqwest::{StatusCode, Url};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Number, Value};

/// Bitcoin Core echoes the request id, which lets us notice an answer that is not ours.
const REQUEST_ID: &str = "causeway";

/// Bitcoin Core's RPC_IN_WARMUP: the node is up but still loading, so the same call will work later.
const RPC_IN_WARMUP: i64 = -28;

/// A wallet with a long history answers with a large list, but a node (or something pretending to
/// be one) streaming without end must not exhaust our memory.
const MAX_ANSWER_BYTES: usize = 64 * 1024 * 1024;

const SATS_DECIMALS: i64 = 8;
const MAX_MONEY_SATS: i64 = 21_000_000 * 100_000_000;
/// Number of decimal digits in `MAX_MONEY_SATS`; anything longer is out of range before we multiply.
const MAX_MONEY_SATS_DIGITS: i64 = 16;
/// Exponents beyond this already make any non-zero amount absurd; clamping keeps the arithmetic
/// overflow-free without changing the verdict.
const EXPONENT_CLAMP: i64 = 1 << 40;

/// How Causeway proves itself to the node.
#[derive(Clone, PartialEq, Eq)]
pub enum NodeAuth {
    None,
    UserPassword {
        user: String,
        password: String,
    },
    /// Path to bitcoind's `.cookie` file (`user:password`). It is re-read on every call because
    /// bitcoind writes a fresh cookie each time it restarts.
    Cookie(PathBuf),
}

// Hand-written so credentials never end up in logs through `{:?}`.
impl fmt::Debug for NodeAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeAuth::None => f.write_str("None"),
            NodeAuth::UserPassword { user, .. } => f
                .debug_struct("UserPassword")
                .field("user", user)
                .field("password", &"<redacted>")
                .finish(),
            NodeAuth::Cookie(path) => f.debug_tuple("Cookie").field(path).finish(),
        }
    }
}

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
            | RpcError::Malformed(_) => true,
            RpcError::Node { .. } => false,
        }
    }
}

/// One wallet address with the total it has received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub address: String,
    pub amount_sats: i64,
    pub confirmations: i64,
}

/// The few header fields Causeway uses; Bitcoin Core sends more, which are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BlockHeader {
    pub hash: String,
    pub height: i64,
    pub time: i64,
}

/// Cheap to clone: the HTTP connection pool is shared between clones.
#[derive(Clone)]
pub struct BitcoinRpc {
    url: Url,
    auth: NodeAuth,
    timeout: Duration,
    http: reqwest::Client,
}

impl fmt::Debug for BitcoinRpc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BitcoinRpc")
            .field("url", &self.url.as_str())
            .field("auth", &self.auth)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl BitcoinRpc {
    /// A bad URL is reported as `Unreachable`: a node we cannot address is a node we cannot reach.
    pub fn new(url: &str, auth: NodeAuth, timeout: Duration) -> Result<BitcoinRpc, RpcError> {
        let url =
            Url::parse(url).map_err(|e| RpcError::Unreachable(format!("invalid node URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(RpcError::Unreachable(format!(
                "node URL must be http or https, not {}",
                url.scheme()
            )));
        }
        // Credentials inside the URL would compete with `auth` and leak into every log line
        // that prints the URL.
        if !url.username().is_empty() || url.password().is_some() {
            return Err(RpcError::Unreachable(
                "node URL must not embed credentials; pass them as NodeAuth".to_owned(),
            ));
        }
        let http = reqwest::Client::builder()
            // RPC credentials must go straight to the node, never through an environment proxy.
            .no_proxy()
            // bitcoind never redirects; following one would re-send the request somewhere else.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| {
                RpcError::Unreachable(format!("cannot build HTTP client: {}", error_chain(&e)))
            })?;
        Ok(BitcoinRpc {
            url,
            auth,
            timeout,
            http,
        })
    }

    /// `params` is normally an array; an object is sent as named parameters, `null` as no
    /// parameters, and any other single value as a one-element array.
    pub async fn call(&self, method: &str, params: Value) -> Result<Value, RpcError> {
        // One deadline for the whole exchange (cookie, connect, send, body) so a node that
        // trickles bytes cannot hold the caller longer than a silent one.
        match tokio::time::timeout(self.timeout, self.call_without_deadline(method, params)).await {
            Ok(outcome) => outcome,
            Err(_) => Err(RpcError::Unreachable(format!(
                "no answer to {method} within {:?}",
                self.timeout
            ))),
        }
    }

    async fn call_without_deadline(&self, method: &str, params: Value) -> Result<Value, RpcError> {
        let params = match params {
            Value::Null => Value::Array(Vec::new()),
            p @ (Value::Array(_) | Value::Object(_)) => p,
            other => Value::Array(vec![other]),
        };
        let body = json!({
            "jsonrpc": "1.0",
            "id": REQUEST_ID,
            "method": method,
            "params": params,
        });
        let mut request = self.http.post(self.url.clone()).json(&body);
        if let Some((user, password)) = self.credentials().await? {
            request = request.basic_auth(user, Some(password));
        }
        let mut response = request.send().await.map_err(transport_error)?;
        let status = response.status();
        // bitcoind answers bad credentials with an empty body, so the status is all there is.
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            return Err(RpcError::Unauthorized);
        }
        let mut answer = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
            if answer.len().saturating_add(chunk.len()) > MAX_ANSWER_BYTES {
                return Err(RpcError::Malformed(format!(
                    "answer to {method} exceeds {MAX_ANSWER_BYTES} bytes"
                )));
            }
            answer.extend_from_slice(&chunk);
        }
        parse_answer(status, &answer)
    }

    async fn credentials(&self) -> Result<Option<(String, String)>, RpcError> {
        match &self.auth {
            NodeAuth::None => Ok(None),
            NodeAuth::UserPassword { user, password } => Ok(Some((user.clone(), password.clone()))),
            NodeAuth::Cookie(path) => {
                // A missing cookie usually means bitcoind is down or restarting; to the caller
                // that is the same as a credential problem: retry later.
                let content = tokio::fs::read_to_string(path)
                    .await
                    .map_err(|_| RpcError::Unauthorized)?;
                let line = content.trim_end_matches(['\r', '\n']);
                let (user, password) = line.split_once(':').ok_or(RpcError::Unauthorized)?;
                Ok(Some((user.to_owned(), password.to_owned())))
            }
        }
    }

    /// Only addresses that received something are listed; watch-only addresses are included
    /// because Causeway's receiving addresses are typically imported watch-only.
    pub async fn received_by_address(&self, minconf: u32) -> Result<Vec<Received>, RpcError> {
        #[derive(Deserialize)]
        struct Entry {
            address: String,
            amount: Number,
            confirmations: i64,
        }
        let method = "listreceivedbyaddress";
        let result = self.call(method, json!([minconf, false, true])).await?;
        let entries: Vec<Entry> = decode(method, result)?;
        entries
            .into_iter()
            .map(|entry| {
                let amount_sats = btc_to_sats(&entry.amount).map_err(|reason| {
                    RpcError::Malformed(format!("{method}: amount for {}: {reason}", entry.address))
                })?;
                Ok(Received {
                    address: entry.address,
                    amount_sats,
                    confirmations: entry.confirmations,
                })
            })
            .collect()
    }

    pub async fn block_count(&self) -> Result<i64, RpcError> {
        let method = "getblockcount";
        let count: i64 = decode(method, self.call(method, json!([])).await?)?;
        if count < 0 {
            return Err(RpcError::Malformed(format!(
                "{method}: negative count {count}"
            )));
        }
        Ok(count)
    }

    pub async fn block_hash(&self, height: i64) -> Result<String, RpcError> {
        let method = "getblockhash";
        let hash: String = decode(method, self.call(method, json!([height])).await?)?;
        require_hash(method, hash)
    }

    pub async fn block_header(&self, hash: &str) -> Result<BlockHeader, RpcError> {
        let method = "getblockheader";
        let header: BlockHeader = decode(method, self.call(method, json!([hash, true])).await?)?;
        // bitcoind accepts either hex case but answers in lower case.
        if !header.hash.eq_ignore_ascii_case(hash) {
            return Err(RpcError::Malformed(format!(
                "{method}: asked for {hash}, got {}",
                header.hash
            )));
        }
        Ok(header)
    }

    /// Returns the txid the node assigned to the broadcast transaction.
    pub async fn send_raw_transaction(&self, hex: &str) -> Result<String, RpcError> {
        let method = "sendrawtransaction";
        let txid: String = decode(method, self.call(method, json!([hex])).await?)?;
        require_hash(method, txid)
    }
}

/// Bitcoin Core puts the verdict in the body whatever the HTTP status (500 for errors, 404 for an
/// unknown method), so the body is authoritative and the status only a consistency check.
fn parse_answer(status: StatusCode, body: &[u8]) -> Result<Value, RpcError> {
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
        Ok(e) => RpcError::Node {
            code: e.code,
            message: e.message,
        },
        Err(e) => RpcError::Malformed(format!("unreadable JSON-RPC error object: {e}")),
    }
}

fn decode<T: DeserializeOwned>(method: &str, result: Value) -> Result<T, RpcError> {
    serde_json::from_value(result)
        .map_err(|e| RpcError::Malformed(format!("{method}: unexpected result: {e}")))
}

fn require_hash(method: &str, hash: String) -> Result<String, RpcError> {
    if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(hash)
    } else {
        Err(RpcError::Malformed(format!(
            "{method}: {hash:?} is not a 32-byte hex hash"
        )))
    }
}

fn transport_error(error: reqwest::Error) -> RpcError {
    // The URL adds nothing the operator does not already know, and keeping it out of error
    // strings keeps it out of logs.
    RpcError::Unreachable(error_chain(&error.without_url()))
}

/// reqwest's top-level message is generic ("error sending request"); the useful part
/// ("Connection refused", "dns error") sits deeper in the source chain.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Converts a BTC amount to satoshis by reading its decimal text, never by f64 arithmetic.
///
/// Without serde_json's `arbitrary_precision` the number has already been parsed to f64, and
/// `to_string` yields the shortest text that parses back to the same f64. That text is still the
/// node's exact decimal: serde_json parses up to 16 significant digits with one correctly rounded
/// operation (exact significand divided by an exact power of ten), and below 21e6 BTC the f64
/// spacing (at most 2^-28) is under half a satoshi, so no other value with at most 8 decimals
/// maps to the same f64 or prints shorter.
fn btc_to_sats(amount: &Number) -> Result<i64, String> {
    parse_btc_amount(&amount.to_string())
}

fn parse_btc_amount(text: &str) -> Result<i64, String> {
    let not_a_number = || format!("{text:?} is not a decimal number");
    let too_large = || format!("{text} exceeds 21000000 BTC");

    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => {
            (mantissa, parse_exponent(exponent).ok_or_else(not_a_number)?)
        }
        None => (unsigned, 0),
    };
    let (int_part, frac_part) = match mantissa.split_once('.') {
        Some((int_part, frac_part)) if is_digits(frac_part) => (int_part, frac_part),
        Some(_) => return Err(not_a_number()),
        None => (mantissa, ""),
    };
    if !is_digits(int_part) {
        return Err(not_a_number());
    }

    let digits = format!("{int_part}{frac_part}");
    let significant = digits.trim_start_matches('0');
    if significant.is_empty() {
        // Zero in any spelling ("0.0", "-0", "0e5") is a valid, if empty, amount.
        return Ok(0);
    }
    if negative {
        return Err(format!("{text} is negative"));
    }
    let trimmed = significant.trim_end_matches('0');
    let trailing_zeros = (significant.len() - trimmed.len()) as i64;
    // The amount in satoshis is `trimmed * 10^scale`.
    let scale = exponent - frac_part.len() as i64 + trailing_zeros + SATS_DECIMALS;
    if scale < 0 {
        return Err(format!("{text} has more than 8 decimal places"));
    }
    if trimmed.len() as i64 + scale > MAX_MONEY_SATS_DIGITS {
        return Err(too_large());
    }
    let base: i64 = trimmed.parse().map_err(|_| not_a_number())?;
    let sats = u32::try_from(scale)
        .ok()
        .and_then(|scale| 10_i64.checked_pow(scale))
        .and_then(|factor| base.checked_mul(factor))
        .ok_or_else(too_large)?;
    if sats > MAX_MONEY_SATS {
        return Err(too_large());
    }
    Ok(sats)
}

fn parse_exponent(text: &str) -> Option<i64> {
    let (negative, digits) = if let Some(rest) = text.strip_prefix('-') {
        (true, rest)
    } else {
        (false, text.strip_prefix('+').unwrap_or(text))
    };
    if !is_digits(digits) {
        return None;
    }
    let magnitude = digits
        .bytes()
        .fold(0_i64, |acc, b| {
            acc.saturating_mul(10).saturating_add(i64::from(b - b'0'))
        })
        .min(EXPONENT_CLAMP);
    Some(if negative { -magnitude } else { magnitude })
}

fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Goes through serde_json exactly as a node answer does: JSON text → Number → satoshis.
    fn sats(json_number: &str) -> Result<i64, String> {
        let number: Number = serde_json::from_str(json_number)
            .map_err(|e| format!("test input {json_number:?} is not a JSON number: {e}"))?;
        btc_to_sats(&number)
    }

    #[test]
    fn decimal_fractions_are_exact() {
        assert_eq!(sats("0.1"), Ok(10_000_000));
        assert_eq!(sats("0.2"), Ok(20_000_000));
        assert_eq!(sats("0.3"), Ok(30_000_000));
        // The classic 0.1 + 0.2 != 0.3 of f64 must not leak into satoshi sums.
        assert_eq!(
            sats("0.1").and_then(|a| sats("0.2").map(|b| a + b)),
            sats("0.3")
        );
        assert_eq!(sats("0.0001"), Ok(10_000));
        assert_eq!(sats("1.5"), Ok(150_000_000));
        assert_eq!(sats("0.29"), Ok(29_000_000));
        assert_eq!(sats("1.005"), Ok(100_500_000));
        assert_eq!(sats("0.07"), Ok(7_000_000));
    }

    #[test]
    fn bitcoin_core_fixed_eight_decimal_format_is_exact() {
        assert_eq!(sats("0.00010000"), Ok(10_000));
        assert_eq!(sats("0.00000001"), Ok(1));
        assert_eq!(sats("12.34567890"), Ok(1_234_567_890));
        assert_eq!(sats("0.00000000"), Ok(0));
    }

    #[test]
    fn extremes_of_the_money_range_are_exact() {
        assert_eq!(sats("0.00000001"), Ok(1));
        assert_eq!(sats("20999999.99999999"), Ok(MAX_MONEY_SATS - 1));
        assert_eq!(sats("21000000"), Ok(MAX_MONEY_SATS));
        assert_eq!(sats("21000000.00000000"), Ok(MAX_MONEY_SATS));
        assert_eq!(sats("0"), Ok(0));
    }

    #[test]
    fn exponent_notation_is_understood() {
        assert_eq!(sats("1e-8"), Ok(1));
        assert_eq!(sats("1E-8"), Ok(1));
        assert_eq!(sats("1e-08"), Ok(1));
        assert_eq!(sats("2.1e7"), Ok(MAX_MONEY_SATS));
        assert_eq!(sats("1.5e+2"), Ok(15_000_000_000));
        assert_eq!(parse_btc_amount("1e-08"), Ok(1));
        assert_eq!(parse_btc_amount("5e-7"), Ok(50));
        assert_eq!(parse_btc_amount("2.1e7"), Ok(MAX_MONEY_SATS));
        assert_eq!(parse_btc_amount("0.000123e3"), Ok(12_300_000));
        assert_eq!(parse_btc_amount("0e999999999999999999999"), Ok(0));
    }

    #[test]
    fn every_amount_near_the_edges_survives_the_f64_detour() {
        let edges = [1_i64, 10_000_000, 99_999_999_000, MAX_MONEY_SATS - 200_000];
        for start in edges {
            for amount in start..start + 200_000 {
                let text = format!("{}.{:08}", amount / 100_000_000, amount % 100_000_000);
                assert_eq!(sats(&text), Ok(amount), "{text}");
            }
        }
    }

    #[test]
    fn too_many_decimals_are_rejected() {
        assert!(sats("1.000000001").is_err());
        assert!(sats("0.000000001").is_err());
        assert!(sats("1e-9").is_err());
        assert!(parse_btc_amount("1.000000001").is_err());
        assert!(parse_btc_amount("1e-999999999999999999999").is_err());
    }

    #[test]
    fn trailing_zeros_beyond_eight_decimals_are_harmless() {
        assert_eq!(parse_btc_amount("1.0000000000"), Ok(100_000_000));
        assert_eq!(parse_btc_amount("0.000000010"), Ok(1));
    }

    #[test]
    fn negatives_are_rejected_but_negative_zero_is_zero() {
        assert!(sats("-0.5").is_err());
        assert!(sats("-1").is_err());
        assert!(sats("-0.00000001").is_err());
        assert_eq!(parse_btc_amount("-0"), Ok(0));
    }

    #[test]
    fn amounts_above_the_supply_cap_are_rejected() {
        assert!(sats("21000000.00000001").is_err());
        assert!(sats("21000001").is_err());
        assert!(sats("1e300").is_err());
        assert!(sats("99999999999999999999999").is_err());
        assert!(parse_btc_amount("1e999999999999999999999").is_err());
        assert!(parse_btc_amount("123456789012345678901234567890").is_err());
    }

    #[test]
    fn non_numbers_are_rejected() {
        for text in [
            "", "-", ".", "1.", ".5", "1e", "1e+", "abc", "1.2.3", "0x10", "1_000", "١",
        ] {
            assert!(parse_btc_amount(text).is_err(), "{text:?}");
        }
    }

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
            Err(RpcError::Node {
                code: -32601,
                message: "Method not found".to_owned()
            })
        );
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

    #[test]
    fn urls_must_be_plain_http_or_https() {
        let timeout = Duration::from_secs(1);
        for url in [
            "ftp://node:8332",
            "not a url",
            "",
            "http://u:p@127.0.0.1:8332",
        ] {
            assert!(
                matches!(
                    BitcoinRpc::new(url, NodeAuth::None, timeout),
                    Err(RpcError::Unreachable(_))
                ),
                "{url:?}"
            );
        }
        assert!(BitcoinRpc::new("http://127.0.0.1:8332", NodeAuth::None, timeout).is_ok());
        assert!(BitcoinRpc::new("https://node.example/wallet/w", NodeAuth::None, timeout).is_ok());
    }

    #[test]
    fn debug_output_hides_passwords() {
        let auth = NodeAuth::UserPassword {
            user: "alice".to_owned(),
            password: "hunter2".to_owned(),
        };
        assert!(!format!("{auth:?}").contains("hunter2"));
        let rpc = BitcoinRpc::new("http://127.0.0.1:8332", auth, Duration::from_secs(1));
        assert!(!format!("{rpc:?}").contains("hunter2"));
    }
}
