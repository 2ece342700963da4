//! Floor benchmark (DESIGN.md targets): `/get` and signed `/put` throughput and latency over
//! HTTP against `pgbench` running the same SQL with the same client count, in one run.
//! Run: `cargo bench --bench floor` (needs PostgreSQL, Redis and `pgbench` on this machine).

mod support;

use std::process::Command;

use support::load::{load, ms, CLIENTS};
use support::owner::VALUE;
use support::{BenchServer, BIG_BUCKET};

const SECONDS: u64 = 10;
const GET_KEYS: i64 = 1000;
/// Pre-signed puts: more than the server can take in `SECONDS`.
const PUTS: usize = 60_000;

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

#[tokio::main]
async fn main() {
    let server = BenchServer::start(&[BIG_BUCKET]).await;
    let http = reqwest::Client::new();
    let owner = server.owner_with_pairs(&http, GET_KEYS).await;
    let (account_id, bucket_id) = (owner.account_id, owner.bucket_id);

    // /get: one PostgreSQL select and one Redis script per read.
    let base = server.base.clone();
    let client = http.clone();
    let get = load(SECONDS, move |i| {
        client.get(format!("{base}/get?key=g{}", i as i64 % GET_KEYS + 1))
    })
    .await;
    let get_sql = format!(
        "\\set id random(1, {GET_KEYS})\n\
         SELECT p.account_id, p.value, p.etag, b.id, b.account_id, b.created_at, b.expires_at, b.status, \
         b.free, b.bytes_total, b.bytes_used, b.transfer_total, b.transfer_used, b.price_sats \
         FROM pairs p JOIN buckets b ON b.id = p.bucket_id WHERE p.key = 'g' || :id;\n"
    );
    let get_pg = pgbench(&server, &get_sql);

    // /put: pre-signed, each a distinct request under one nonce.
    let forms = server.presigned_puts(&http, &owner, PUTS).await;
    let base = server.base.clone();
    let client = http.clone();
    let put = load(SECONDS, move |i| {
        client.post(format!("{base}/put")).form(&forms[i % PUTS])
    })
    .await;
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
