//! A scripted stand-in for bitcoind's JSON-RPC server, speaking just enough HTTP/1.1 to test the client over a real socket.
#![allow(dead_code)]

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use base64::Engine;
use serde_json::{json, Map, Value};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;

/// Requests are tiny; anything bigger is a broken client and is dropped rather than buffered.
const MAX_HEAD_BYTES: usize = 64 * 1024;
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// How the fake node misbehaves, if at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Normal,
    /// Every call fails the way bitcoind does while loading: HTTP 500 with RPC_IN_WARMUP (-28).
    Warmup,
    /// Reads the request and never answers.
    Hang,
    /// Answers 200 with a body that is not JSON.
    Garbage,
    /// Every call fails inside the node: HTTP 500 with JSON-RPC's internal error (-32603).
    InternalError,
    /// An HTTP 503 with an empty body, as a proxy in front of a sick node answers.
    Unavailable,
}

struct State {
    mode: Mode,
    /// (address, amount as literal JSON number text, confirmations)
    received: Vec<(String, String, i64)>,
    /// (hash, time), indexed by height.
    chain: Vec<(String, i64)>,
    calls: Vec<String>,
}

struct Shared {
    credentials: String,
    state: Mutex<State>,
}

pub struct FakeNode {
    pub url: String,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

impl FakeNode {
    /// Listens on an ephemeral localhost port so tests can run in parallel.
    pub async fn start(user: &str, password: &str) -> FakeNode {
        FakeNode::listen(user, password, None).await
    }

    /// The same node behind TLS: `https://127.0.0.1:…/` with the acceptor's certificate.
    pub async fn start_tls(user: &str, password: &str, tls: TlsAcceptor) -> FakeNode {
        FakeNode::listen(user, password, Some(tls)).await
    }

    async fn listen(user: &str, password: &str, tls: Option<TlsAcceptor>) -> FakeNode {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("fake node must be able to bind a localhost port");
        let address = listener
            .local_addr()
            .expect("a bound listener has an address");
        let shared = Arc::new(Shared {
            credentials: format!("{user}:{password}"),
            state: Mutex::new(State {
                mode: Mode::Normal,
                received: Vec::new(),
                chain: Vec::new(),
                calls: Vec::new(),
            }),
        });
        let scheme = if tls.is_some() { "https" } else { "http" };
        let server = tokio::spawn(serve(listener, Arc::clone(&shared), tls));
        FakeNode {
            url: format!("{scheme}://{address}/"),
            shared,
            server,
        }
    }

    pub fn set_received(&self, received: Vec<(String, String, i64)>) {
        self.state().received = received;
    }

    pub fn set_chain(&self, chain: Vec<(String, i64)>) {
        self.state().chain = chain;
    }

    pub fn set_mode(&self, mode: Mode) {
        self.state().mode = mode;
    }

    /// Methods received with valid credentials, in arrival order.
    pub fn calls(&self) -> Vec<String> {
        self.state().calls.clone()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.shared.state)
    }
}

impl Drop for FakeNode {
    fn drop(&mut self) {
        // Aborting the accept loop drops its JoinSet, which aborts every open connection too.
        self.server.abort();
    }
}

/// A test that failed while holding the lock must not turn every later assertion into a
/// poisoning panic that hides the real failure.
fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

async fn serve(listener: TcpListener, shared: Arc<Shared>, tls: Option<TlsAcceptor>) {
    let mut connections = JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        match listener.accept().await {
            Ok((stream, _)) => {
                let shared = Arc::clone(&shared);
                match tls.clone() {
                    None => connections.spawn(handle(stream, shared)),
                    // A client that fails the handshake (an untrusted certificate) just
                    // goes away.
                    Some(tls) => connections.spawn(async move {
                        if let Ok(stream) = tls.accept(stream).await {
                            handle(stream, shared).await;
                        }
                    }),
                };
            }
            // Transient accept failures (e.g. out of descriptors) must not kill the node.
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

struct Request {
    authorization: Option<String>,
    body: Vec<u8>,
}

async fn handle<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, shared: Arc<Shared>) {
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    let (status, body) = respond(&shared, &request).await;
    // The client may have given up already; there is nobody to tell.
    let _ = write_response(&mut stream, status, &body).await;
}

async fn read_request<S: AsyncRead + Unpin>(stream: &mut S) -> Option<Request> {
    let mut buffer = Vec::new();
    let mut chunk = [0_u8; 4096];
    let head_end = loop {
        if let Some(position) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break position + 4;
        }
        if buffer.len() > MAX_HEAD_BYTES {
            return None;
        }
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(chunk.get(..read)?);
    };
    let head = std::str::from_utf8(buffer.get(..head_end)?).ok()?;
    let mut content_length = 0_usize;
    let mut authorization = None;
    for line in head.split("\r\n").skip(1) {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            content_length = value.parse().ok()?;
        } else if name.eq_ignore_ascii_case("authorization") {
            authorization = Some(value.to_owned());
        }
    }
    if content_length > MAX_BODY_BYTES {
        return None;
    }
    let mut body = buffer.split_off(head_end);
    while body.len() < content_length {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        body.extend_from_slice(chunk.get(..read)?);
    }
    body.truncate(content_length);
    Some(Request {
        authorization,
        body,
    })
}

fn authorized(shared: &Shared, authorization: Option<&str>) -> bool {
    let Some((scheme, encoded)) = authorization.and_then(|value| value.split_once(' ')) else {
        return false;
    };
    scheme.eq_ignore_ascii_case("basic")
        && base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .is_ok_and(|decoded| decoded == shared.credentials.as_bytes())
}

async fn respond(shared: &Shared, request: &Request) -> (u16, String) {
    if !authorized(shared, request.authorization.as_deref()) {
        // bitcoind's answer to bad credentials: 401 and an empty body.
        return (401, String::new());
    }
    let Ok(parsed) = serde_json::from_slice::<Value>(&request.body) else {
        return error_answer(500, &Value::Null, -32700, "Parse error");
    };
    let id = parsed.get("id").cloned().unwrap_or(Value::Null);
    let method = parsed
        .get("method")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let params = parsed
        .get("params")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();

    let mode = {
        let mut state = lock(&shared.state);
        state.calls.push(method.clone());
        state.mode
    };
    match mode {
        Mode::Normal => {}
        Mode::Warmup => return error_answer(500, &id, -28, "Loading block index..."),
        Mode::Hang => {
            // Far beyond any client timeout; the task is aborted when the FakeNode is dropped.
            tokio::time::sleep(Duration::from_secs(3600)).await;
            return (500, String::new());
        }
        Mode::Garbage => return (200, "<html><body>not JSON-RPC</body></html>".to_owned()),
        Mode::InternalError => return error_answer(500, &id, -32603, "Internal error"),
        Mode::Unavailable => return (503, String::new()),
    }

    let state = lock(&shared.state);
    match method.as_str() {
        "listreceivedbyaddress" => list_received(&state, &params, &id),
        "getblockcount" => result_answer(&id, &(state.chain.len() as i64 - 1).to_string()),
        "getblockhash" => block_hash(&state, &params, &id),
        "getblockheader" => block_header(&state, &params, &id),
        "sendrawtransaction" => send_raw_transaction(&params, &id),
        _ => error_answer(404, &id, -32601, "Method not found"),
    }
}

fn list_received(state: &State, params: &[Value], id: &Value) -> (u16, String) {
    let minconf = params.first().and_then(Value::as_i64).unwrap_or(1);
    let entries: Vec<String> = state
        .received
        .iter()
        .filter(|(_, _, confirmations)| *confirmations >= minconf)
        .map(|(address, amount, confirmations)| {
            // The amount is spliced in verbatim so tests control the exact number text.
            format!(
                r#"{{"involvesWatchonly":true,"address":{},"amount":{amount},"confirmations":{confirmations},"label":"","txids":[]}}"#,
                Value::String(address.clone())
            )
        })
        .collect();
    result_answer(id, &format!("[{}]", entries.join(",")))
}

fn block_hash(state: &State, params: &[Value], id: &Value) -> (u16, String) {
    let Some(height) = params.first().and_then(Value::as_i64) else {
        return error_answer(500, id, -3, "Expected type number");
    };
    match usize::try_from(height)
        .ok()
        .and_then(|h| state.chain.get(h))
    {
        Some((hash, _)) => result_answer(id, &Value::String(hash.clone()).to_string()),
        None => error_answer(500, id, -8, "Block height out of range"),
    }
}

fn block_header(state: &State, params: &[Value], id: &Value) -> (u16, String) {
    let Some(wanted) = params.first().and_then(Value::as_str) else {
        return error_answer(500, id, -3, "Expected type string");
    };
    let verbose = params.get(1).and_then(Value::as_bool).unwrap_or(true);
    let Some(height) = state
        .chain
        .iter()
        .position(|(hash, _)| hash.eq_ignore_ascii_case(wanted))
    else {
        return error_answer(500, id, -5, "Block not found");
    };
    let Some((hash, time)) = state.chain.get(height) else {
        return error_answer(500, id, -5, "Block not found");
    };
    if !verbose {
        return result_answer(id, &Value::String("00".repeat(80)).to_string());
    }
    let mut header = Map::new();
    header.insert("hash".into(), json!(hash));
    header.insert("confirmations".into(), json!(state.chain.len() - height));
    header.insert("height".into(), json!(height));
    header.insert("version".into(), json!(0x2000_0000));
    header.insert("versionHex".into(), json!("20000000"));
    header.insert("merkleroot".into(), json!("00".repeat(32)));
    header.insert("time".into(), json!(time));
    header.insert("mediantime".into(), json!(time));
    header.insert("nonce".into(), json!(0));
    header.insert("bits".into(), json!("1d00ffff"));
    header.insert("difficulty".into(), json!(1));
    header.insert("chainwork".into(), json!("00".repeat(32)));
    header.insert("nTx".into(), json!(1));
    if let Some((previous, _)) = height.checked_sub(1).and_then(|h| state.chain.get(h)) {
        header.insert("previousblockhash".into(), json!(previous));
    }
    if let Some((next, _)) = state.chain.get(height + 1) {
        header.insert("nextblockhash".into(), json!(next));
    }
    result_answer(id, &Value::Object(header).to_string())
}

fn send_raw_transaction(params: &[Value], id: &Value) -> (u16, String) {
    match params.first().and_then(Value::as_str).and_then(decode_hex) {
        // Well-formed but invalid, as the mempool would refuse a double spend.
        Some(bytes) if bytes.starts_with(&[0xde, 0xad]) => {
            error_answer(500, id, -26, "bad-txns-inputs-missingorspent")
        }
        Some(bytes) => result_answer(id, &Value::String(fake_txid(&bytes)).to_string()),
        None => error_answer(500, id, -22, "TX decode failed"),
    }
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if text.is_empty() || !text.len().is_multiple_of(2) {
        return None;
    }
    text.as_bytes()
        .chunks(2)
        .map(|pair| {
            let pair = std::str::from_utf8(pair).ok()?;
            u8::from_str_radix(pair, 16).ok()
        })
        .collect()
}

/// Deterministic stand-in for double-SHA256: FNV-1a under four seeds gives 32 bytes, shown
/// byte-reversed the way Bitcoin displays txids.
fn fake_txid(bytes: &[u8]) -> String {
    let mut digest = Vec::with_capacity(32);
    for seed in 0_u64..4 {
        let mut hash = 0xcbf2_9ce4_8422_2325_u64 ^ seed;
        for byte in bytes {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        digest.extend_from_slice(&hash.to_le_bytes());
    }
    digest.iter().rev().map(|b| format!("{b:02x}")).collect()
}

fn result_answer(id: &Value, result_json: &str) -> (u16, String) {
    (
        200,
        format!(r#"{{"result":{result_json},"error":null,"id":{id}}}"#),
    )
}

fn error_answer(status: u16, id: &Value, code: i64, message: &str) -> (u16, String) {
    let body = json!({
        "result": null,
        "error": { "code": code, "message": message },
        "id": id,
    });
    (status, body.to_string())
}

async fn write_response<S: AsyncWrite + Unpin>(
    stream: &mut S,
    status: u16,
    body: &str,
) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        401 => "Unauthorized",
        404 => "Not Found",
        _ => "Internal Server Error",
    };
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    if status == 401 {
        head.push_str("WWW-Authenticate: Basic realm=\"jsonrpc\"\r\n");
    } else {
        head.push_str("Content-Type: application/json\r\n");
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    stream.shutdown().await
}
