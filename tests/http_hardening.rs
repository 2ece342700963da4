//! Slow and silent clients are cut off and a replica holds a bounded number of connections
//! (API.md v1.1, "Slow clients are cut off"), tried over raw TCP as an attacker would.

mod common;

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use common::{Backend, TestServer};

const HEAD: &[u8] = b"GET /price HTTP/1.1\r\nHost: causeway\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";

async fn server(header_secs: u64, idle_secs: u64, max_connections: usize) -> TestServer {
    TestServer::with(Backend::Memory, |config| {
        config.http_header_timeout_secs = header_secs;
        config.http_idle_timeout_secs = idle_secs;
        config.max_connections = max_connections;
    })
    .await
}

async fn connect(server: &TestServer) -> TcpStream {
    TcpStream::connect(server.base.trim_start_matches("http://"))
        .await
        .expect("connect")
}

/// Reads until the server closes the connection (EOF or reset), failing after `within`.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> Vec<u8> {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Err(_) => panic!("connection still open after {within:?}"),
            Ok(Ok(0)) | Ok(Err(_)) => return seen,
            Ok(Ok(n)) => seen.extend_from_slice(&buf[..n]),
        }
    }
}

/// Reads one whole HTTP answer to `/price` (headers and a small JSON body).
async fn read_answer(stream: &mut TcpStream) -> String {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains("price") {
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
            .await
            .expect("an answer within 5 s")
            .expect("read");
        assert!(
            n > 0,
            "closed before answering: {:?}",
            String::from_utf8_lossy(&seen)
        );
        seen.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&seen).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_trickling_its_head_is_cut_off_at_the_header_timeout() {
    let server = server(1, 30, 100).await;
    let mut stream = connect(&server).await;
    let started = Instant::now();
    let (mut reader, mut writer) = stream.split();
    // One byte every 100 ms: always active, never done within the timeout (the head is ~100 bytes).
    let trickle = async {
        for byte in HEAD.iter().take(HEAD.len() - 1) {
            if writer.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let mut answer = Vec::new();
    let closed = async {
        let _ = reader.read_to_end(&mut answer).await;
    };
    tokio::select! {
        _ = closed => {}
        _ = trickle => panic!("the whole head trickled in without the connection being cut"),
    }
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(4),
        "cut after {took:?}, want about the 1 s header timeout"
    );
    assert!(answer.is_empty() || !String::from_utf8_lossy(&answer).contains("price_sats"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_client_is_cut_off_and_a_prompt_one_is_served() {
    let server = server(1, 30, 100).await;
    let mut silent = connect(&server).await;
    let mut prompt = connect(&server).await;
    prompt.write_all(HEAD).await.unwrap();
    let answer = read_answer(&mut prompt).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let started = Instant::now();
    let seen = closed_within(&mut silent, Duration::from_secs(4)).await;
    assert!(started.elapsed() < Duration::from_secs(4));
    assert!(seen.is_empty() || !String::from_utf8_lossy(&seen).contains("200"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_lives_past_the_header_timeout_until_the_idle_one() {
    let server = server(1, 3, 100).await;
    let mut stream = connect(&server).await;
    stream.write_all(HEAD).await.unwrap();
    assert!(read_answer(&mut stream).await.starts_with("HTTP/1.1 200"));
    let idle_since = Instant::now();
    // Past the 1 s header timeout the idle connection is still open and serves again.
    tokio::time::sleep(Duration::from_millis(1800)).await;
    stream.write_all(HEAD).await.unwrap();
    assert!(read_answer(&mut stream).await.starts_with("HTTP/1.1 200"));
    let idle_since_second = Instant::now();
    closed_within(&mut stream, Duration::from_secs(6)).await;
    let idle = idle_since_second.elapsed();
    assert!(
        idle >= Duration::from_millis(2800),
        "closed after {idle:?} idle, before the 3 s idle timeout"
    );
    assert!(idle_since.elapsed() > Duration::from_secs(4));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_cap_wait_until_one_closes() {
    let server = server(30, 30, 2).await;
    let first = connect(&server).await;
    let _second = connect(&server).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let open = scrape_connections_open(&server).await;
    assert!(
        open >= 2,
        "causeway_connections_open is {open}, want at least 2"
    );

    // The third connects (the kernel's listen queue) but is not served while two are open.
    let mut third = connect(&server).await;
    third.write_all(HEAD).await.unwrap();
    let mut buf = [0u8; 64];
    let early = tokio::time::timeout(Duration::from_millis(700), third.read(&mut buf)).await;
    assert!(
        early.is_err(),
        "the third connection was served beyond the cap"
    );

    drop(first);
    let answer = read_answer(&mut third).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

async fn scrape_connections_open(server: &TestServer) -> i64 {
    server
        .metrics()
        .await
        .lines()
        .find_map(|line| line.strip_prefix("causeway_connections_open "))
        .and_then(|value| value.trim().parse().ok())
        .expect("causeway_connections_open is exported")
}

/// Sends a whole `/put` request whose body is over the limit, as most HTTP clients do (all
/// of the body before reading the answer), then reads the answer.
async fn send_oversize_put(server: &TestServer, framing: &str, body: &[u8]) -> String {
    let mut stream = connect(server).await;
    let head = format!(
        "POST /put HTTP/1.1\r\nHost: causeway\r\nContent-Type: application/x-www-form-urlencoded\r\n{framing}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.expect("head sent");
    // In pieces with pauses, so the server has answered before the body is all sent.
    for piece in body.chunks(32 * 1024) {
        stream
            .write_all(piece)
            .await
            .expect("the whole body is taken, not reset");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf)).await {
            Err(_) => panic!("no end of answer within 10 s"),
            Ok(Ok(0)) => break,
            Ok(Ok(n)) => seen.extend_from_slice(&buf[..n]),
            Ok(Err(err)) => panic!(
                "connection reset ({err}) after {:?}",
                String::from_utf8_lossy(&seen)
            ),
        }
        if String::from_utf8_lossy(&seen).contains("\"code\"") {
            break;
        }
    }
    String::from_utf8_lossy(&seen).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_limit_is_answered_413_not_reset() {
    let server = server(10, 60, 100).await;
    let limit = server.service.config().max_body_bytes;
    // Declared too large, and sent anyway.
    let body = vec![b'a'; limit * 8];
    let answer =
        send_oversize_put(&server, &format!("Content-Length: {}", body.len()), &body).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("\"code\""), "{answer}");
    // Chunked, so only reading it shows it is too large.
    let mut chunked = Vec::new();
    for _ in 0..8 {
        chunked.extend_from_slice(format!("{:x}\r\n", limit).as_bytes());
        chunked.extend(std::iter::repeat_n(b'a', limit));
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let answer = send_oversize_put(&server, "Transfer-Encoding: chunked", &chunked).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("\"code\""), "{answer}");
}
