//! Floor benchmark (DESIGN.md targets): `/get` and signed `/put` throughput and latency over
//! HTTP against `pgbench` running the same SQL with the same client count, in one run.
//! Run: `cargo bench --bench floor` (needs PostgreSQL, Redis and `pgbench` on this machine).

mod support;

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use causeway::auth::{AddressKind, Net, Signer};
use support::BenchServer;

const CLIENTS: usize = 8;
const SECONDS: u64 = 10;
const GET_KEYS: i64 = 1000;
/// Pre-signed puts: more than the server can take in `SECONDS`.
const PUTS: usize = 60_000;
const VALUE: &str = "benchmark value of a size typical for a small Rein document header..........";

struct Run {
    per_second: f64,
    p50: Duration,
    p99: Duration,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(index).copied().unwrap_or_default()
}

/// `CLIENTS` concurrent clients sending `request(i)` for `SECONDS`; i counts up globally.
async fn load<F>(request: F) -> Run
where
    F: Fn(usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let request = Arc::new(request);
    let next = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(SECONDS);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let (request, next) = (request.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            while Instant::now() < deadline {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let sent = Instant::now();
                let response = request(i).send().await.expect("request");
                let status = response.status();
                response.bytes().await.expect("body");
                assert!(status.is_success(), "request {i}: {status}");
                times.push(sent.elapsed());
            }
            times
        }));
    }
    let mut times = Vec::new();
    for task in tasks {
        times.extend(task.await.expect("client"));
    }
    let elapsed = started.elapsed();
    times.sort();
    Run {
        per_second: times.len() as f64 / elapsed.as_secs_f64(),
        p50: percentile(&times, 0.5),
        p99: percentile(&times, 0.99),
    }
}

/// pgbench's transactions per second for `script` with the same client count.
fn pgbench(server: &BenchServer, script: &str) -> f64 {
    let path = std::env::temp_dir().join(format!("{}-{}.sql", server.schema, script.len()));
    std::fs::write(&path, script).expect("write pgbench script");
    let out = Command::new("pgbench")
        .args([
            "-n",
            "-c",
            &CLIENTS.to_string(),
            "-j",
            "2",
            "-T",
            &SECONDS.to_string(),
            "-f",
        ])
        .arg(&path)
        .arg(format!(
            "host=127.0.0.1 user=postgres dbname=test options=-csearch_path={}",
            server.schema
        ))
        .output()
        .expect("pgbench runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "pgbench failed: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text.lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no tps in pgbench output: {text}"))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let server = BenchServer::start(|c| c.bucket_bytes = 1 << 40).await;
    let http = reqwest::Client::new();
    let owner = Signer::random(AddressKind::P2pkh, Net::Mainnet);
    let address = owner.address.as_str().to_owned();
    http.get(format!(
        "{}/request?owner={address}&contact=bench",
        server.base
    ))
    .send()
    .await
    .unwrap();
    let ids = server
        .sql
        .query_one("SELECT account_id, id FROM buckets LIMIT 1", &[])
        .await
        .unwrap();
    let (account_id, bucket_id): (i64, i64) = (ids.get(0), ids.get(1));
    server
        .sql
        .execute(
            "INSERT INTO pairs (key, account_id, bucket_id, value, size, etag) \
             SELECT 'g' || g, $1, $2, convert_to($3, 'UTF8'), 100, 'e' FROM generate_series(1, $4::BIGINT) g",
            &[&account_id, &bucket_id, &VALUE, &GET_KEYS],
        )
        .await
        .unwrap();
    server.sql.batch_execute("ANALYZE").await.unwrap();

    // /get: one PostgreSQL select and one Redis script per read.
    let base = server.base.clone();
    let client = http.clone();
    let get =
        load(move |i| client.get(format!("{base}/get?key=g{}", i as i64 % GET_KEYS + 1))).await;
    let get_sql = format!(
        "\\set id random(1, {GET_KEYS})\n\
         SELECT p.account_id, p.value, p.etag, b.id, b.account_id, b.created_at, b.expires_at, b.status, \
         b.free, b.bytes_total, b.bytes_used, b.transfer_total, b.transfer_used, b.price_sats \
         FROM pairs p JOIN buckets b ON b.id = p.bucket_id WHERE p.key = 'g' || :id;\n"
    );
    let get_pg = pgbench(&server, &get_sql);

    // /put: pre-signed (signing is the client's cost), each a distinct request under one nonce.
    let nonce: serde_json::Value = http
        .get(format!("{}/nonce?address={address}", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let nonce = nonce["nonce"].as_str().unwrap().to_owned();
    eprintln!("signing {PUTS} puts");
    let forms: Arc<Vec<Vec<(&'static str, String)>>> = Arc::new(
        (0..PUTS)
            .map(|i| {
                let key = format!("p{i}");
                let signature = owner.sign(&format!("{key}{VALUE}{address}{nonce}"));
                vec![
                    ("key", key),
                    ("value", VALUE.to_owned()),
                    ("address", address.clone()),
                    ("nonce", nonce.clone()),
                    ("signature", signature),
                ]
            })
            .collect(),
    );
    let base = server.base.clone();
    let client = http.clone();
    let put = load(move |i| client.post(format!("{base}/put")).form(&forms[i % PUTS])).await;
    // The transaction of `Pairs::put_pair` (store/postgres/pairs.rs) for a new key, with the
    // same statements.
    let size = 2 + VALUE.len() as i64 + 5;
    let put_sql = format!(
        "\\set id random(1, 2000000000)\n\
         BEGIN;\n\
         SELECT account_id, bucket_id, size FROM pairs WHERE key = 'q' || :client_id || '-' || :id FOR UPDATE;\n\
         SELECT id, account_id, bytes_total - bytes_used FROM buckets WHERE account_id = ANY(ARRAY[{account_id}]::BIGINT[]) \
           AND status = 'active' AND expires_at > now() ORDER BY id FOR NO KEY UPDATE;\n\
         UPDATE buckets SET bytes_used = bytes_used + {size} WHERE id = {bucket_id} AND status = 'active' \
           AND expires_at > now() AND bytes_used + {size} <= bytes_total RETURNING bytes_total - bytes_used;\n\
         INSERT INTO pairs (key, account_id, bucket_id, value, size, etag, testnet, proves_delegate, updated_at, \
           doc_title, doc_fields, doc_signer, doc_valid, doc_user, doc_contact) \
           VALUES ('q' || :client_id || '-' || :id, {account_id}, {bucket_id}, convert_to('{VALUE}', 'UTF8'), {size}, \
           'e', false, NULL, now(), NULL, NULL, NULL, false, NULL, NULL);\n\
         COMMIT;\n"
    );
    let put_pg = pgbench(&server, &put_sql);

    println!("| flow ({CLIENTS} clients, {SECONDS} s) | Causeway req/s | p50 (ms) | p99 (ms) | pgbench tps (same SQL) | ratio | target |");
    println!("|---|---|---|---|---|---|---|");
    println!(
        "| GET /get | {:.0} | {:.2} | {:.2} | {get_pg:.0} | {:.2} | ≥ 0.60 |",
        get.per_second,
        ms(get.p50),
        ms(get.p99),
        get.per_second / get_pg
    );
    println!(
        "| POST /put (signed, new key) | {:.0} | {:.2} | {:.2} | {put_pg:.0} | {:.2} | ≥ 0.50 |",
        put.per_second,
        ms(put.p50),
        ms(put.p99),
        put.per_second / put_pg
    );
    server.drop_schema().await;
}
