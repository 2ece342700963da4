//! What the rate limiter costs (issue 10 point 8): `/get` and signed `/put` throughput with
//! every limit set so high it never refuses, against the same server with the limits off,
//! in one run. Run: `cargo bench --bench limiter` (needs PostgreSQL and Redis).

mod support;

use support::load::{load, ms, Run, CLIENTS};
use support::{BenchServer, BIG_BUCKET};

const SECONDS: u64 = 5;
/// Each configuration is loaded this many times, alternating, so drift (cache warmth,
/// PostgreSQL's background work) falls on both alike.
const ROUNDS: usize = 6;
const GET_KEYS: i64 = 1000;
/// Puts signed per server: more than it can take in `ROUNDS * SECONDS`.
const PUTS: usize = 60_000;
/// Where each round starts in the pre-signed puts, so no round resends an accepted one.
const ROUND_STRIDE: usize = PUTS / ROUNDS;
/// A million a second per client and class: every request consults the limiter (one Redis
/// script), none is refused.
const NEVER_REFUSES: u32 = 1_000_000;

/// Throughput summed over rounds, latency of the last round.
struct Flow {
    requests: f64,
    seconds: f64,
    last: Option<Run>,
}

impl Flow {
    fn new() -> Flow {
        Flow {
            requests: 0.0,
            seconds: 0.0,
            last: None,
        }
    }

    fn add(&mut self, run: Run) {
        self.requests += run.per_second * SECONDS as f64;
        self.seconds += SECONDS as f64;
        self.last = Some(run);
    }

    fn per_second(&self) -> f64 {
        self.requests / self.seconds
    }

    fn row(&self, name: &str, off: &Flow) {
        let (last, off_last) = (self.last.as_ref().unwrap(), off.last.as_ref().unwrap());
        println!(
            "| {name} | {:.0} | {:.2} / {:.2} | {:.0} | {:.2} / {:.2} | {:.2} | ≥ 0.90 |",
            self.per_second(),
            ms(last.p50),
            ms(last.p99),
            off.per_second(),
            ms(off_last.p50),
            ms(off_last.p99),
            self.per_second() / off.per_second(),
        );
    }
}

#[tokio::main]
async fn main() {
    let off = BenchServer::start(&[BIG_BUCKET]).await;
    let never = NEVER_REFUSES.to_string();
    let high = BenchServer::start(&[
        BIG_BUCKET,
        ("CAUSEWAY_RATE_READS_PER_SEC", &never),
        ("CAUSEWAY_RATE_NONCES_PER_SEC", &never),
        ("CAUSEWAY_RATE_WRITES_PER_SEC", &never),
        ("CAUSEWAY_RATE_NEW_ACCOUNTS_PER_HOUR", &never),
    ])
    .await;
    let http = reqwest::Client::new();
    let servers = [&off, &high];
    let mut owners = Vec::new();
    let mut forms = Vec::new();
    for server in servers {
        let owner = server.owner_with_pairs(&http, GET_KEYS).await;
        forms.push(server.presigned_puts(&http, &owner, "p", PUTS).await);
        owners.push(owner);
    }
    let mut gets = [Flow::new(), Flow::new()];
    let mut puts = [Flow::new(), Flow::new()];
    for round in 0..ROUNDS {
        for (which, server) in servers.iter().enumerate() {
            let (base, client) = (server.base.clone(), http.clone());
            let run = load(SECONDS, move |i| {
                client.get(format!("{base}/get?key=g{}", i as i64 % GET_KEYS + 1))
            })
            .await;
            gets[which].add(run);
        }
        for (which, server) in servers.iter().enumerate() {
            let (base, client, forms) = (server.base.clone(), http.clone(), forms[which].clone());
            let start = round * ROUND_STRIDE;
            let run = load(SECONDS, move |i| {
                assert!(i < ROUND_STRIDE, "more puts than signed: raise PUTS");
                client.post(format!("{base}/put")).form(&forms[start + i])
            })
            .await;
            puts[which].add(run);
        }
    }
    println!(
        "| flow ({CLIENTS} clients, {ROUNDS} × {SECONDS} s each) | limits high: req/s | p50 / p99 (ms) | limits off: req/s | p50 / p99 (ms) | ratio | target |"
    );
    println!("|---|---|---|---|---|---|---|");
    gets[1].row("GET /get", &gets[0]);
    puts[1].row("POST /put (signed, new key)", &puts[0]);
    for server in servers {
        server.drop_schema().await;
    }
}
