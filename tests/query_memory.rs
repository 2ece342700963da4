//! A replica's memory under worst-case `/query`s (API.md v1.1 "Bounded work per request"):
//! four concurrent queries naming one job id a hundred times, over a hundred stored 8 KB
//! documents, keep the process within DESIGN.md's 64 MB.

mod common;

use std::process::Stdio;

use common::binary::{enroll_and_get_nonce, free_port, serving, terminate, wait_until_serving};
use common::{p2pkh, put_form, RealBackends};
use futures::future::join_all;

/// The process's peak resident set so far, in KiB (`VmHWM` of /proc).
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc status")
}

fn job(owner: &causeway::auth::Signer, i: usize) -> String {
    // Just under the 8 KB value limit once armoured.
    let body = format!(
        "Rein Job\nJob ID: job-x\nJob name: job {i}\nDescription: {}",
        "x".repeat(7_800)
    );
    format!(
        "-----BEGIN BITCOIN SIGNED MESSAGE-----\n{body}\n-----BEGIN SIGNATURE-----\n{}\n{}\n-----END BITCOIN SIGNED MESSAGE-----",
        owner.address,
        owner.sign(&body)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_worst_case_queries_keep_the_replica_within_its_memory_target() {
    let real = RealBackends::fresh().await;
    let (port, admin) = (free_port(), free_port());
    let mut child = serving(port, admin)
        .envs(real.env())
        // The 100 puts below come from one client faster than the default 50 signed
        // writes a second; the write limit is not what this test measures.
        .env("CAUSEWAY_RATE_WRITES_PER_SEC", "0")
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    wait_until_serving(&http, &base).await;
    let owner = p2pkh();
    let nonce = enroll_and_get_nonce(&http, &base, &owner).await;
    for i in 0..100 {
        let form = put_form(&owner, &format!("job-{i}"), &job(&owner, i), &nonce);
        let stored = http
            .post(format!("{base}/put"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(stored.status(), 201, "{}", stored.text().await.unwrap());
    }
    let repeated = vec!["job-x"; 100].join(",");
    let queries = (0..4).map(|_| {
        let (http, base, owner, repeated) = (&http, &base, &owner, &repeated);
        async move {
            let answer = http
                .get(format!("{base}/query"))
                .query(&[
                    ("owner", owner.address.as_str()),
                    ("query", "by_job_id"),
                    ("job_ids", repeated.as_str()),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(answer.status(), 200);
            let body: serde_json::Value = answer.json().await.unwrap();
            body["by_job_id"].as_array().map(Vec::len)
        }
    });
    let found = join_all(queries).await;
    assert_eq!(
        found,
        vec![Some(100); 4],
        "each answer holds the 100 documents once"
    );
    let peak = peak_rss_kib(child.id());
    terminate(&child);
    child.wait().unwrap();
    assert!(
        peak < 64 * 1024,
        "peak RSS {peak} KiB under four worst-case queries (target < 64 MiB)"
    );
}
