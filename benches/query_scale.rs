//! Scale benchmark: each `/query` kind's (and `/get`'s and a signed `/put`'s) median and p99
//! latency with 10,000 and then 1,000,000 stored Rein documents, on PostgreSQL + Redis, and
//! the ratio between the two, then the server's peak resident set. Run: `cargo bench --bench query_scale` (needs PostgreSQL and Redis on
//! 127.0.0.1, as `scripts/test.sh` starts them).

mod support;

use std::time::{Duration, Instant};

use causeway::auth::{AddressKind, Net, Signer};
use support::owner::{put_form, PutForm};
use support::BenchServer;

const SMALL: i64 = 10_000;
const LARGE: i64 = 1_000_000;
const ROUNDS: usize = 200;
const SYNTHETIC_DOCUMENTS: &str = include_str!("synthetic_documents.sql");

/// (label, query string after `owner=...&`): values that exist at both sizes.
const REQUESTS: &[(&str, &str)] = &[
    ("mediators", "query=mediators"),
    ("jobs", "query=jobs"),
    ("bids", "query=bids"),
    ("deliveries", "query=deliveries&job_creator=c17"),
    ("in-process", "query=in-process&worker=w17"),
    ("review", "query=review&mediator=m17"),
    ("by_job_id", "query=by_job_id&job_ids=job17,job18"),
    ("dispute", "query=dispute&job_ids=job17"),
    ("get_user_ratings", "query=get_user_ratings&dest=u17"),
    ("get_user_name", "query=get_user_name&msin=s17"),
    (
        "get_user (contains)",
        "query=get_user&search_input=user%20name%201717",
    ),
];

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

async fn measure(http: &reqwest::Client, url: &str) -> (Duration, Duration) {
    let mut times = Vec::with_capacity(ROUNDS);
    for round in 0..ROUNDS + 20 {
        let started = Instant::now();
        let response = http.get(url).send().await.expect("request");
        assert!(
            response.status().is_success(),
            "{url}: {}",
            response.status()
        );
        response.bytes().await.expect("body");
        // The first 20 warm caches and connections.
        if round >= 20 {
            times.push(started.elapsed());
        }
    }
    times.sort();
    (percentile(&times, 0.5), percentile(&times, 0.99))
}

async fn measure_all(
    http: &reqwest::Client,
    base: &str,
    owner: &str,
) -> Vec<(String, Duration, Duration)> {
    let mut results = Vec::new();
    for (label, query) in REQUESTS {
        let (median, p99) = measure(http, &format!("{base}/query?owner={owner}&{query}")).await;
        results.push((label.to_string(), median, p99));
    }
    let (median, p99) = measure(http, &format!("{base}/get?key=k17")).await;
    results.push(("/get".into(), median, p99));
    results
}

/// `ROUNDS` (+ 20 to warm up) sequential signed puts of new keys `{prefix}{i}`.
async fn measure_puts(
    server: &BenchServer,
    http: &reqwest::Client,
    owner: &Signer,
    prefix: &str,
) -> (Duration, Duration) {
    let base = &server.base;
    let nonce = server.nonce(http, owner.address.as_str()).await;
    let value = "a put of a size typical for a small Rein document header";
    let forms: Vec<PutForm> = (0..ROUNDS + 20)
        .map(|i| put_form(owner, format!("{prefix}{i}"), value, &nonce))
        .collect();
    let mut times = Vec::with_capacity(ROUNDS);
    for (round, form) in forms.iter().enumerate() {
        let started = Instant::now();
        let response = http
            .post(format!("{base}/put"))
            .form(form)
            .send()
            .await
            .expect("request");
        let status = response.status();
        let body = response.text().await.expect("body");
        assert!(status.is_success(), "/put: {status} {body}");
        if round >= 20 {
            times.push(started.elapsed());
        }
    }
    times.sort();
    (percentile(&times, 0.5), percentile(&times, 0.99))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let server = BenchServer::start(&[]).await;
    let base = server.base.clone();
    let http = reqwest::Client::new();

    let owner = Signer::random(AddressKind::P2pkh, Net::Mainnet);
    let owner_address = owner.address.as_str().to_owned();
    http.get(format!(
        "{base}/request?owner={owner_address}&contact=bench"
    ))
    .send()
    .await
    .unwrap();

    let load = |from: i64, to: i64| {
        let sql = &server.sql;
        async move {
            let started = Instant::now();
            sql.execute(SYNTHETIC_DOCUMENTS, &[&from, &to])
                .await
                .unwrap();
            sql.batch_execute("ANALYZE pairs").await.unwrap();
            eprintln!(
                "loaded documents {from}..={to} in {:.1?}",
                started.elapsed()
            );
        }
    };

    load(1, SMALL).await;
    let mut small = measure_all(&http, &base, &owner_address).await;
    let (median, p99) = measure_puts(&server, &http, &owner, "small-").await;
    small.push(("/put (signed, new key)".into(), median, p99));
    load(SMALL + 1, LARGE).await;
    let mut large = measure_all(&http, &base, &owner_address).await;
    let (median, p99) = measure_puts(&server, &http, &owner, "large-").await;
    large.push(("/put (signed, new key)".into(), median, p99));

    println!("| request | median @10k (ms) | p99 @10k (ms) | median @1M (ms) | p99 @1M (ms) | median ratio | p99 ratio |");
    println!("|---|---|---|---|---|---|---|");
    let mut worst: f64 = 0.0;
    for ((label, m1, p1), (_, m2, p2)) in small.iter().zip(&large) {
        let (median_ratio, p99_ratio) = (ms(*m2) / ms(*m1), ms(*p2) / ms(*p1));
        worst = worst.max(median_ratio);
        println!(
            "| {label} | {:.2} | {:.2} | {:.2} | {:.2} | {median_ratio:.2} | {p99_ratio:.2} |",
            ms(*m1),
            ms(*p1),
            ms(*m2),
            ms(*p2)
        );
    }
    println!(
        "\nworst median ratio 1M/10k: {worst:.2} (target < 2.0 for /query, < 1.5 for /get and /put)"
    );
    println!(
        "server peak RSS (VmHWM) after the 1M load and every request above: {:.1} MiB",
        server.peak_rss_mib()
    );
    server.drop_schema().await;
}
