//! OpenTelemetry: an OTLP receiver inside the test gets the spans of one put, parented under
//! the caller's W3C `traceparent`, with child spans for signature verification, PostgreSQL
//! and Redis; over https too, trusted through the extra CA file.

mod common;

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::binary::{enroll_and_get_nonce, free_port, serving, terminate, wait_until_serving};
use common::test_ca::TestCa;
use common::{p2pkh, put_form, RealBackends};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

type Bodies = Arc<Mutex<Vec<serde_json::Value>>>;

/// Accepts OTLP/HTTP JSON exports (over TLS with `tls`) and keeps their bodies.
async fn otlp_receiver(tls: Option<TlsAcceptor>) -> (u16, Bodies) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let kept = bodies.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let (kept, tls) = (kept.clone(), tls.clone());
            tokio::spawn(async move {
                match tls {
                    None => receive(stream, kept).await,
                    Some(tls) => {
                        if let Ok(stream) = tls.accept(stream).await {
                            receive(stream, kept).await;
                        }
                    }
                }
            });
        }
    });
    (port, bodies)
}

/// Reads one export, keeps its JSON body and answers 200.
async fn receive<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, kept: Bodies) {
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let Ok(n) = stream.read(&mut buf).await else {
            return;
        };
        if n == 0 {
            return;
        }
        data.extend_from_slice(&buf[..n]);
        let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&data[..end]).to_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        if data.len() < end + 4 + length {
            continue;
        }
        let body = &data[end + 4..end + 4 + length];
        if let Ok(json) = serde_json::from_slice(body) {
            kept.lock().unwrap().push(json);
        }
        let answer = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}";
        let _ = stream.write_all(answer.as_bytes()).await;
        let _ = stream.shutdown().await;
        return;
    }
}

#[derive(Debug, Clone)]
struct Span {
    trace: String,
    id: String,
    parent: String,
    name: String,
}

fn spans(bodies: &[serde_json::Value]) -> Vec<Span> {
    let mut found = Vec::new();
    for body in bodies {
        for resource in body["resourceSpans"].as_array().into_iter().flatten() {
            for scope in resource["scopeSpans"].as_array().into_iter().flatten() {
                for span in scope["spans"].as_array().into_iter().flatten() {
                    let text = |k: &str| span[k].as_str().unwrap_or("").to_lowercase();
                    found.push(Span {
                        trace: text("traceId"),
                        id: text("spanId"),
                        parent: text("parentSpanId"),
                        name: span["name"].as_str().unwrap_or("").to_owned(),
                    });
                }
            }
        }
    }
    found
}

/// `causeway serve` exporting its spans as OTLP/JSON to `endpoint`, batched every 200 ms.
fn exporting(port: u16, admin: u16, endpoint: String) -> std::process::Command {
    let mut command = serving(port, admin);
    command
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
        .env("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")
        .env("OTEL_BSP_SCHEDULE_DELAY", "200")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// SIGTERM, which flushes the batched spans on the way out; the server must exit 0.
async fn stop(child: std::process::Child) {
    terminate(&child);
    let mut child = child;
    assert!(tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap()
        .success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_put_is_traced_under_the_callers_traceparent() {
    let real = RealBackends::fresh().await;
    let (otlp_port, bodies) = otlp_receiver(None).await;
    let (port, admin) = (free_port(), free_port());
    let child = exporting(port, admin, format!("http://127.0.0.1:{otlp_port}"))
        .envs(real.env())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    wait_until_serving(&http, &base).await;
    let owner = p2pkh();
    let nonce = enroll_and_get_nonce(&http, &base, &owner).await;
    let (trace, caller) = ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7");
    let response = http
        .post(format!("{base}/put"))
        .header("traceparent", format!("00-{trace}-{caller}-01"))
        .form(&put_form(&owner, "traced", "value", &nonce))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    stop(child).await;

    let deadline = Instant::now() + Duration::from_secs(10);
    let all = loop {
        let all = spans(&bodies.lock().unwrap());
        if all
            .iter()
            .any(|s| s.trace == trace && s.name.starts_with("postgres."))
            || Instant::now() > deadline
        {
            break all;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let ours: Vec<&Span> = all.iter().filter(|s| s.trace == trace).collect();
    let put = ours
        .iter()
        .find(|s| s.name == "POST /put")
        .unwrap_or_else(|| panic!("no POST /put span in our trace: {ours:#?}"));
    assert_eq!(
        put.parent, caller,
        "the request span's parent is the caller's span"
    );
    let by_id: HashMap<&str, &Span> = ours.iter().map(|s| (s.id.as_str(), *s)).collect();
    let under_put = |span: &Span| {
        let mut current = span;
        for _ in 0..20 {
            if current.id == put.id {
                return true;
            }
            match by_id.get(current.parent.as_str()) {
                Some(parent) => current = parent,
                None => return false,
            }
        }
        false
    };
    for prefix in ["verify_signature", "postgres.", "redis."] {
        let child = ours
            .iter()
            .find(|s| s.name.starts_with(prefix) && s.id != put.id && under_put(s))
            .unwrap_or_else(|| panic!("no {prefix} span under the put: {ours:#?}"));
        assert_eq!(child.trace, trace);
    }
    // Other requests (no traceparent) are traced too, in traces of their own.
    assert!(all
        .iter()
        .any(|s| s.name == "GET /nonce" && s.trace != trace));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_reach_an_https_collector_signed_by_the_extra_ca() {
    let ca = TestCa::new();
    let (otlp_port, bodies) = otlp_receiver(Some(ca.acceptor.clone())).await;
    let (port, admin) = (free_port(), free_port());
    let child = exporting(port, admin, format!("https://localhost:{otlp_port}"))
        .env("CAUSEWAY_EXTRA_CA_FILE", &ca.ca_file)
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    wait_until_serving(&http, &base).await;
    assert_eq!(
        http.get(format!("{base}/price"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    stop(child).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !spans(&bodies.lock().unwrap())
        .iter()
        .any(|s| s.name == "GET /price")
    {
        assert!(
            Instant::now() < deadline,
            "no GET /price span reached the https collector"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
