//! Floor benchmark (DESIGN.md targets, issue 12): `/get`, signed `/put` and the nonce + put
//! flow over HTTP against `pgbench` running the statements Causeway runs per request, with
//! the same connection counts (8 and 32), in one run; then each flow paced at half its peak.
//! Run: `cargo bench --bench floor` (needs PostgreSQL, Redis and `pgbench` on this machine).
//!
//! The floor is `pgbench -M prepared`, the protocol Causeway itself uses (each statement
//! prepared once per connection, then bound and executed), with the put's statements
//! pipelined as `Pairs::put_pair` pipelines them; `-M simple` (which can not pipeline, so
//! one statement at a time) is reported beside it. The load client is this process, the server a process of its own, as pgbench is a
//! process apart from PostgreSQL. Puts go to one account per connection, for Causeway and
//! for pgbench alike, so no two connections contend for one bucket row. At the end it prints
//! the server's peak resident set, after all of that load.

mod support;

use std::process::Command;
use std::sync::Arc;

use support::load::{drive, ms, send, Run};
use support::owner::{put_form, Owner, PutForm, VALUE};
use support::{BenchServer, BIG_BUCKET};

const SECONDS: u64 = 10;
const GET_KEYS: i64 = 1000;
const CONNECTIONS: [usize; 2] = [8, 32];
/// Pre-signed puts per flat-out run, over all connections: well past what the server takes
/// in `SECONDS` (a client that runs out fails the run rather than replaying).
const PUTS_PER_RUN: usize = 80_000;

/// pgbench's transactions per second for `script` with `clients` connections in `mode`.
fn pgbench(server: &BenchServer, script: &str, clients: usize, mode: &str) -> f64 {
    let path = std::env::temp_dir().join(format!("{}-{}.sql", server.schema, script.len()));
    std::fs::write(&path, script).expect("write pgbench script");
    let out = Command::new("pgbench")
        .args(["-n", "-M", mode, "-c", &clients.to_string(), "-j", "2"])
        .args(["-T", &SECONDS.to_string(), "-f"])
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

/// `/get`: `Pairs::get_pair` (store/postgres/pairs.rs), one select.
fn get_script() -> String {
    format!(
        "\\set id random(1, {GET_KEYS})\n\
         SELECT p.account_id, p.value, p.etag, b.id, b.account_id, b.created_at, b.expires_at, \
         b.status, b.free, b.bytes_total, b.bytes_used, b.transfer_total, b.transfer_used, \
         b.price_sats FROM pairs p JOIN buckets b ON b.id = p.bucket_id WHERE p.key = 'g' || :id;\n"
    )
}

/// A signed seed `/put` of a new key by its owner: `Accounts::find_account`
/// (store/postgres/accounts.rs), then the transaction of `Pairs::put_pair` (the key locked,
/// the owner's live buckets locked, the claim, the insert). Client `n` writes to floor
/// account `first_account + n` and its bucket `first_bucket + n`. `pipelined` sends the
/// statements Causeway sends together as one pipeline (pgbench allows it in the extended and
/// prepared modes only).
fn put_script(
    connections: usize,
    first_account: i64,
    first_bucket: i64,
    pipelined: bool,
) -> String {
    let size = 2 + VALUE.len() as i64 + 5;
    let (start, end) = if pipelined {
        ("\\startpipeline\n", "\\endpipeline\n")
    } else {
        ("", "")
    };
    format!(
        "\\set id random(1, 2000000000)\n\
         \\set account {first_account} + :client_id\n\
         \\set bucket {first_bucket} + :client_id\n\
         SELECT id, address, contact FROM accounts WHERE address = 'floor' || lpad(:client_id::text, 29, '0');\n\
         BEGIN;\n\
         {start}\
         SELECT account_id, bucket_id, size FROM pairs WHERE key = 'q{connections}-' || :client_id || '-' || :id FOR UPDATE;\n\
         SELECT id, account_id, bytes_total - bytes_used FROM buckets WHERE account_id = ANY(ARRAY[:account]::BIGINT[]) \
           AND status = 'active' AND expires_at > now() ORDER BY id FOR NO KEY UPDATE;\n\
         {end}{start}\
         UPDATE buckets SET bytes_used = bytes_used + {size} WHERE id = :bucket AND status = 'active' \
           AND expires_at > now() AND bytes_used + {size} <= bytes_total RETURNING bytes_total - bytes_used;\n\
         INSERT INTO pairs (key, account_id, bucket_id, value, size, etag, testnet, proves_delegate, updated_at, \
           doc_title, doc_fields, doc_signer, doc_valid, doc_user, doc_contact) \
           VALUES ('q{connections}-' || :client_id || '-' || :id, :account, :bucket, convert_to('{VALUE}', 'UTF8'), {size}, \
           'e', false, NULL, now(), NULL, NULL, NULL, false, NULL, NULL);\n\
         {end}\
         COMMIT;\n"
    )
}

/// One floor account per possible connection, each with a bucket like the benchmark's own:
/// (first account id, first bucket id), the ids consecutive.
async fn floor_accounts(server: &BenchServer, like_bucket: i64) -> (i64, i64) {
    let most = CONNECTIONS.iter().copied().max().unwrap_or(1) as i64;
    let accounts = server
        .sql
        .query(
            "INSERT INTO accounts (address, contact) \
             SELECT 'floor' || lpad(g::text, 29, '0'), 'bench' FROM generate_series(0, $1::BIGINT - 1) g \
             ORDER BY g RETURNING id",
            &[&most],
        )
        .await
        .expect("floor accounts");
    let first_account: i64 = accounts[0].get(0);
    let buckets = server
        .sql
        .query(
            "INSERT INTO buckets (account_id, created_at, expires_at, status, free, bytes_total, \
               transfer_total, price_sats) \
             SELECT a.id, b.created_at, b.expires_at, b.status, b.free, b.bytes_total, \
               b.transfer_total, b.price_sats \
             FROM accounts a, buckets b WHERE b.id = $1 AND a.address LIKE 'floor%' \
             ORDER BY a.id RETURNING id, account_id",
            &[&like_bucket],
        )
        .await
        .expect("floor buckets");
    let first_bucket: i64 = buckets[0].get(0);
    for (n, row) in buckets.iter().enumerate() {
        let (bucket, account): (i64, i64) = (row.get(0), row.get(1));
        assert_eq!(
            (bucket, account),
            (first_bucket + n as i64, first_account + n as i64),
            "floor ids are not consecutive"
        );
    }
    server.sql.batch_execute("ANALYZE").await.expect("analyze");
    (first_account, first_bucket)
}

/// Per connection, `per_client` puts of new keys by that connection's own owner.
async fn presign(
    server: &BenchServer,
    http: &reqwest::Client,
    owners: &[Owner],
    run: &str,
    per_client: usize,
) -> Arc<Vec<Arc<Vec<PutForm>>>> {
    let mut forms = Vec::new();
    for (n, owner) in owners.iter().enumerate() {
        forms.push(
            server
                .presigned_puts(http, owner, &format!("{run}-{n}-"), per_client)
                .await,
        );
    }
    Arc::new(forms)
}

async fn puts(
    server: &BenchServer,
    http: &reqwest::Client,
    forms: Arc<Vec<Arc<Vec<PutForm>>>>,
    per_second: Option<f64>,
) -> Run {
    let (base, http) = (server.base.clone(), http.clone());
    drive(forms.len(), SECONDS, per_second, move |client, nth| {
        let mine = &forms[client];
        assert!(nth < mine.len(), "client {client} ran out of signed puts");
        send(http.post(format!("{base}/put")).form(&mine[nth]))
    })
    .await
}

async fn gets(
    server: &BenchServer,
    http: &reqwest::Client,
    clients: usize,
    per_second: Option<f64>,
) -> Run {
    let (base, http) = (server.base.clone(), http.clone());
    drive(clients, SECONDS, per_second, move |client, nth| {
        let key = (client * 7919 + nth) as i64 % GET_KEYS + 1;
        send(http.get(format!("{base}/get?key=g{key}")))
    })
    .await
}

/// A client's whole write: ask a nonce, sign the put with it, send it.
async fn flow(
    server: &BenchServer,
    http: &reqwest::Client,
    owners: Arc<Vec<Owner>>,
    clients: usize,
    run: &str,
    per_second: Option<f64>,
) -> Run {
    let (base, http, run) = (server.base.clone(), http.clone(), run.to_owned());
    drive(clients, SECONDS, per_second, move |client, nth| {
        let (base, http, owners) = (base.clone(), http.clone(), owners.clone());
        let key = format!("{run}-{client}-{nth}");
        async move {
            let owner = &owners[client];
            let answer = send(http.get(format!("{base}/nonce?address={}", owner.address))).await;
            let nonce: serde_json::Value = serde_json::from_slice(&answer).expect("a nonce");
            let form = put_form(
                &owner.signer,
                key,
                VALUE,
                nonce["nonce"].as_str().expect("nonce"),
            );
            send(http.post(format!("{base}/put")).form(&form)).await;
        }
    })
    .await
}

struct Row {
    flow: &'static str,
    peak: Run,
    prepared: Option<f64>,
    simple: Option<f64>,
    half: Run,
    /// The prepared floor this flow's ratio is taken against.
    floor: f64,
    target: f64,
}

impl Row {
    fn print(&self, connections: usize) {
        let floor = self.floor;
        let ratio = |tps: Option<f64>| {
            tps.map_or("—".to_owned(), |tps| {
                format!("{:.0} ({:.2})", tps, self.peak.per_second / tps)
            })
        };
        println!(
            "| {connections} | {} | {:.0} | {:.2} / {:.2} | {} | {} | {:.2} | {:.2} / {:.2} | ≥ {:.2} of {floor:.0} |",
            self.flow,
            self.peak.per_second,
            ms(self.peak.p50),
            ms(self.peak.p99),
            ratio(self.prepared),
            ratio(self.simple),
            self.peak.per_second / floor,
            ms(self.half.p50),
            ms(self.half.p99),
            self.target,
        );
    }
}

#[tokio::main]
async fn main() {
    let server = BenchServer::start(&[BIG_BUCKET]).await;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .expect("an HTTP client");
    let reader = server.owner_with_pairs(&http, GET_KEYS).await;
    let (first_account, first_bucket) = floor_accounts(&server, reader.bucket_id).await;
    let most = CONNECTIONS.iter().copied().max().unwrap_or(1);
    let mut writers = Vec::new();
    for _ in 0..most {
        writers.push(server.owner_with_pairs(&http, 0).await);
    }
    let writers = Arc::new(writers);

    println!(
        "| connections | flow | Causeway req/s | p50 / p99 (ms) | pgbench -M prepared tps (ratio) | pgbench -M simple tps (ratio) | ratio to the prepared floor | at half peak: p50 / p99 (ms) | target |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for connections in CONNECTIONS {
        let get_sql = get_script();
        eprintln!("{connections} connections: gets, flat out");
        let get = gets(&server, &http, connections, None).await;
        let get_prepared = pgbench(&server, &get_sql, connections, "prepared");
        let get_simple = pgbench(&server, &get_sql, connections, "simple");
        let get_half = gets(&server, &http, connections, Some(get.per_second / 2.0)).await;

        let owners = &writers[..connections];
        let forms = presign(
            &server,
            &http,
            owners,
            &format!("p{connections}"),
            PUTS_PER_RUN / connections,
        )
        .await;
        eprintln!("{connections} connections: puts, flat out");
        let put = puts(&server, &http, forms, None).await;
        let pipelined = put_script(connections, first_account, first_bucket, true);
        let put_prepared = pgbench(&server, &pipelined, connections, "prepared");
        let one_by_one = put_script(connections, first_account, first_bucket, false);
        let put_simple = pgbench(&server, &one_by_one, connections, "simple");
        // Half the peak for SECONDS, with a fifth more signed than the schedule needs.
        let half_each =
            (put.per_second / 2.0 * SECONDS as f64 / connections as f64 * 1.2) as usize + 10;
        let forms = presign(
            &server,
            &http,
            owners,
            &format!("h{connections}"),
            half_each,
        )
        .await;
        let put_half = puts(&server, &http, forms, Some(put.per_second / 2.0)).await;

        let pair = flow(
            &server,
            &http,
            writers.clone(),
            connections,
            &format!("f{connections}"),
            None,
        )
        .await;
        let pair_half = flow(
            &server,
            &http,
            writers.clone(),
            connections,
            &format!("g{connections}"),
            Some(pair.per_second / 2.0),
        )
        .await;

        for row in [
            Row {
                flow: "GET /get",
                peak: get,
                prepared: Some(get_prepared),
                simple: Some(get_simple),
                half: get_half,
                floor: get_prepared,
                target: 0.60,
            },
            Row {
                flow: "POST /put (signed, new key)",
                peak: put,
                prepared: Some(put_prepared),
                simple: Some(put_simple),
                half: put_half,
                floor: put_prepared,
                target: 0.50,
            },
            Row {
                flow: "GET /nonce + POST /put (pairs)",
                peak: pair,
                prepared: None,
                simple: None,
                half: pair_half,
                floor: put_prepared,
                target: 0.50,
            },
        ] {
            row.print(connections);
        }
    }
    println!(
        "\nserver peak RSS (VmHWM) after every run above: {:.1} MiB (target < 64)",
        server.peak_rss_mib()
    );
    server.drop_schema().await;
}
