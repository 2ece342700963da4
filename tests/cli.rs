//! The `causeway` binary as an operator runs it: default serve on the embedded backend with
//! its warning, clean exit on SIGTERM, `migrate`, `openapi`, settings after the subcommand
//! and `--version`.

mod common;

use common::binary::{causeway, free_port};

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn default_serve_uses_memory_warns_and_stops_cleanly_on_sigterm() {
    let (port, admin) = (free_port(), free_port());
    let mut child = causeway()
        .env("CAUSEWAY_LISTEN", format!("127.0.0.1:{port}"))
        .env("CAUSEWAY_ADMIN_LISTEN", format!("127.0.0.1:{admin}"))
        .env("CAUSEWAY_LOG_FORMAT", "text")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let deadline = Instant::now() + Duration::from_secs(20);
    let price = loop {
        match std::process::Command::new("curl")
            .args(["-sf", &format!("http://127.0.0.1:{port}/price")])
            .output()
        {
            Ok(out) if out.status.success() => break String::from_utf8(out.stdout).unwrap(),
            _ if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(100)),
            _ => panic!("server did not answer within 20 s"),
        }
    };
    assert_eq!(price, r#"{"price":10000}"#);
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "exit status {exit:?}");
    let mut logs = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    assert!(logs.contains("nothing persists"), "{logs}");
}

#[test]
fn openapi_subcommand_prints_the_committed_document() {
    let out = causeway().arg("openapi").output().unwrap();
    assert!(out.status.success());
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/openapi/causeway.json"
    ))
    .unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim_end(),
        committed.trim_end()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_subcommand_creates_the_schema_once() {
    let real = common::RealBackends::fresh().await;
    for _ in 0..2 {
        let out = causeway()
            .arg("migrate")
            .env("DATABASE_URL", &real.database_url)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let sql = real.sql().await;
    let versions: Vec<i64> = sql
        .query("SELECT version FROM schema_migrations", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(versions, vec![1, 2, 3, 4, 5, 6, 7]);
    let pairs = sql
        .query_one("SELECT count(*) FROM pairs", &[])
        .await
        .unwrap();
    assert_eq!(pairs.get::<_, i64>(0), 0);
}

#[test]
fn migrate_without_database_url_fails_loudly() {
    let out = causeway().arg("migrate").output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("DATABASE_URL"));
}

#[test]
fn half_configured_backends_refuse_to_start() {
    let out = causeway()
        .env("REDIS_URL", "redis://127.0.0.1:6379")
        .env("CAUSEWAY_LISTEN", "127.0.0.1:0")
        .env("CAUSEWAY_ADMIN_LISTEN", "127.0.0.1:0")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("DATABASE_URL"));
}

#[test]
fn settings_may_follow_the_subcommand() {
    let (port, admin) = (free_port(), free_port());
    let mut child = causeway()
        .args(["serve", "--no-jobs", "--price-sats", "12345"])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(["--admin-listen", &format!("127.0.0.1:{admin}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let deadline = Instant::now() + Duration::from_secs(20);
    let price = loop {
        match Command::new("curl")
            .args(["-sf", &format!("http://127.0.0.1:{port}/price")])
            .output()
        {
            Ok(out) if out.status.success() => break String::from_utf8(out.stdout).unwrap(),
            _ if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(100)),
            _ => {
                child.kill().unwrap();
                panic!("server did not answer within 20 s")
            }
        }
    };
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(price, r#"{"price":12345}"#);
}

#[test]
fn version_names_the_release() {
    let out = causeway().arg("--version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim_end(),
        concat!("causeway ", env!("CARGO_PKG_VERSION"))
    );
}
