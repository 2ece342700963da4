//! The `causeway` binary as a child process: a clean environment, free ports, readiness.
#![allow(dead_code)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free local port")
}

/// The binary, inheriting none of the test environment's settings.
pub fn causeway() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_causeway"));
    for (name, _) in std::env::vars() {
        let setting = name.starts_with("CAUSEWAY_")
            || name.starts_with("OTEL_")
            || name == "DATABASE_URL"
            || name == "REDIS_URL";
        if setting {
            command.env_remove(name);
        }
    }
    command
}

/// `causeway serve` on the given ports with JSON logs on a piped stderr.
pub fn serving(port: u16, admin: u16) -> Command {
    let mut command = causeway();
    command
        .env("CAUSEWAY_LISTEN", format!("127.0.0.1:{port}"))
        .env("CAUSEWAY_ADMIN_LISTEN", format!("127.0.0.1:{admin}"))
        .env("CAUSEWAY_LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    command
}

/// Waits until the server at `base` answers, failing the test after 20 s.
pub async fn wait_until_serving(http: &reqwest::Client, base: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if http.get(format!("{base}/price")).send().await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("server at {base} did not start within 20 s");
}

/// Creates `owner`'s account with a free bucket on the server at `base` and returns its
/// live nonce.
pub async fn enroll_and_get_nonce(
    http: &reqwest::Client,
    base: &str,
    owner: &causeway::auth::Signer,
) -> String {
    let address = owner.address.as_str();
    let created = http
        .get(format!("{base}/request"))
        .query(&[("owner", address), ("contact", "test@example.org")])
        .send()
        .await
        .expect("request a bucket");
    assert!(created.status().is_success(), "{}", created.status());
    let nonce: serde_json::Value = http
        .get(format!("{base}/nonce"))
        .query(&[("address", address)])
        .send()
        .await
        .expect("fetch a nonce")
        .json()
        .await
        .expect("nonce JSON");
    nonce["nonce"].as_str().expect("nonce").to_owned()
}

/// Sends SIGTERM to the child.
pub fn terminate(child: &std::process::Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}
