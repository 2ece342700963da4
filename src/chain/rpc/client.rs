//! The JSON-RPC client: one generic `call` over HTTP plus the typed helpers Causeway relies on.

use std::fmt;
use std::time::Duration;

use reqwest::{StatusCode, Url};
use serde::Deserialize;
use serde_json::{json, Number, Value};

use super::amount::btc_to_sats;
use super::answer::RpcError;
use super::answer::{decode, parse_answer, require_hash, REQUEST_ID};
use super::node_auth::NodeAuth;

/// A wallet with a long history answers with a large list, but a node (or something pretending to
/// be one) streaming without end must not exhaust our memory.
const MAX_ANSWER_BYTES: usize = 64 * 1024 * 1024;

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
        BitcoinRpc::with_roots(url, auth, timeout, &[])
    }

    /// As `new`, trusting `extra_roots` beside the webpki and system roots for `https` nodes.
    pub fn with_roots(
        url: &str,
        auth: NodeAuth,
        timeout: Duration,
        extra_roots: &[reqwest::Certificate],
    ) -> Result<BitcoinRpc, RpcError> {
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
        let mut builder = reqwest::Client::builder();
        for root in extra_roots {
            builder = builder.add_root_certificate(root.clone());
        }
        let http = builder
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
        if let Some((user, password)) = self.auth.credentials().await? {
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

#[cfg(test)]
mod tests {
    use super::*;

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
