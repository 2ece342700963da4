//! What every benchmark needs: the release `causeway` binary running in a process of its
//! own (the load client stays outside the server's process, as a real client does) on a
//! fresh PostgreSQL schema and Redis prefix, on free ports.
// Each benchmark compiles this module and uses part of it.
#![allow(dead_code)]

pub mod load;
pub mod owner;

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

pub const PG: &str = "postgres://postgres@127.0.0.1:5432/test";
/// A bucket of 1 TiB, so a benchmark's puts never run out of room.
pub const BIG_BUCKET: (&str, &str) = ("CAUSEWAY_BUCKET_BYTES", "1099511627776");
const READY_WITHIN: Duration = Duration::from_secs(30);

pub struct BenchServer {
    pub base: String,
    pub schema: String,
    /// A connection into the benchmark's schema.
    pub sql: tokio_postgres::Client,
    admin: tokio_postgres::Client,
    /// Killed when the benchmark drops it.
    _process: Child,
}

/// What every benchmark's server runs with, before its own `settings`.
const BENCH_SETTINGS: &[(&str, &str)] = &[
    ("CAUSEWAY_NO_JOBS", "true"),
    // Benchmarks size buckets far past a real one; the server must still sell them.
    ("CAUSEWAY_BUCKET_TRANSFER_BYTES", "2305843009213693951"),
    ("CAUSEWAY_CAPACITY_BYTES", "2305843009213693951"),
    // One load client sends thousands of requests a second from one address: the limits
    // are off unless a benchmark turns them on (benches/limiter.rs measures them).
    ("CAUSEWAY_RATE_READS_PER_SEC", "0"),
    ("CAUSEWAY_RATE_NONCES_PER_SEC", "0"),
    ("CAUSEWAY_RATE_WRITES_PER_SEC", "0"),
    ("CAUSEWAY_RATE_NEW_ACCOUNTS_PER_HOUR", "0"),
];

fn free_port() -> u16 {
    let socket = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    socket.local_addr().expect("its address").port()
}

impl BenchServer {
    /// Starts the server with `settings` (environment variables, as an operator sets them)
    /// over the benchmark defaults, and waits until it is ready.
    pub async fn start(settings: &[(&str, &str)]) -> BenchServer {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let schema = format!("bench_{id}");
        let (admin, connection) = tokio_postgres::connect(PG, tokio_postgres::NoTls)
            .await
            .expect("PostgreSQL on 127.0.0.1:5432");
        tokio::spawn(connection);
        admin
            .batch_execute(&format!("CREATE SCHEMA {schema}"))
            .await
            .expect("create schema");
        let database_url = format!("{PG}?options=-csearch_path%3D{schema}");
        let listen = format!("127.0.0.1:{}", free_port());
        let admin_listen = format!("127.0.0.1:{}", free_port());
        let log_path = std::env::temp_dir().join(format!("causeway-bench-{id}.log"));
        let log = std::fs::File::create(&log_path).expect("a log file");
        let mut command = Command::new(env!("CARGO_BIN_EXE_causeway"));
        command
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("DATABASE_URL", &database_url)
            .env("REDIS_URL", "redis://127.0.0.1:6379")
            .env("CAUSEWAY_REDIS_PREFIX", format!("causeway-bench:{id}:"))
            .env("CAUSEWAY_LISTEN", &listen)
            .env("CAUSEWAY_ADMIN_LISTEN", &admin_listen)
            .envs(BENCH_SETTINGS.iter().copied())
            .envs(settings.iter().copied())
            // The access log is written as in production, to a file read back only when
            // the server fails to start, and unlinked once it is up.
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true);
        let mut process = command.spawn().expect("start the causeway binary");
        wait_ready(&mut process, &admin_listen, &log_path).await;
        let _ = std::fs::remove_file(&log_path);
        let (sql, connection) = tokio_postgres::connect(&database_url, tokio_postgres::NoTls)
            .await
            .expect("connect to the schema");
        tokio::spawn(connection);
        BenchServer {
            base: format!("http://{listen}"),
            schema,
            sql,
            admin,
            _process: process,
        }
    }

    /// The server process's peak resident set so far (`VmHWM`), in MiB.
    pub fn peak_rss_mib(&self) -> f64 {
        let pid = self._process.id().expect("the server is running");
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .expect("the server's /proc status");
        let kib: f64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .expect("VmHWM in /proc status");
        kib / 1024.0
    }

    pub async fn drop_schema(&self) {
        let _ = self
            .admin
            .batch_execute(&format!("DROP SCHEMA {} CASCADE", self.schema))
            .await;
    }
}

async fn wait_ready(process: &mut Child, admin_listen: &str, log: &Path) {
    let log = || std::fs::read_to_string(log).unwrap_or_default();
    let http = reqwest::Client::new();
    let deadline = Instant::now() + READY_WITHIN;
    loop {
        if let Some(status) = process.try_wait().expect("the server's status") {
            panic!("causeway exited before it was ready: {status}\n{}", log());
        }
        let ready = http
            .get(format!("http://{admin_listen}/readyz"))
            .send()
            .await
            .is_ok_and(|answer| answer.status().is_success());
        if ready {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "causeway not ready within {READY_WITHIN:?}\n{}",
            log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
