//! What operators rely on: metrics with bounded labels that move under traffic, logs with a
//! request id and no secrets, readiness, and a SIGTERM that loses no request.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use causeway::jobs::{run_once, Job};
use common::binary::{enroll_and_get_nonce, free_port, serving, terminate, wait_until_serving};
use common::{p2pkh, put_form, Backend, TestServer};

/// Metrics operators read besides the dashboard's own.
const OPERATOR_METRICS: &[&str] = &[
    "causeway_http_requests_total",
    "causeway_http_request_duration_seconds_bucket",
    "causeway_signature_verifications_total",
    "causeway_nonces_issued_total",
    "causeway_replays_rejected_total",
    "causeway_stored_bytes",
    "causeway_bandwidth_bytes_served_total",
    "causeway_pg_pool_connections",
    "causeway_redis_errors_total",
    "causeway_job_runs_total",
    "causeway_job_leader",
    "causeway_deposits_credited_total",
    "causeway_deposit_sats_credited_total",
    "causeway_deposit_decreases_total",
    "causeway_mails_total",
    "causeway_buckets_expired_total",
];

/// Every metric name the Grafana dashboard queries.
fn dashboard_metrics() -> Vec<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/k8s/base/grafana-dashboard.json"
    );
    let text = std::fs::read_to_string(path).expect("dashboard is committed");
    let mut names: Vec<String> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|word| word.starts_with("causeway_"))
        .map(str::to_owned)
        .collect();
    names.sort();
    names.dedup();
    names
}

fn value(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_metrics_are_labelled_by_route_template_whatever_the_key() {
    let server = TestServer::start(Backend::Memory).await;
    for i in 0..1000 {
        let (status, _) = server
            .get_query("/get", &[("key", &format!("key-{i}"))])
            .await;
        assert_eq!(status, 404);
    }
    for path in ["/no/such/path-1", "/no/such/path-2", "/another"] {
        server.get(path).await;
    }
    let metrics = server.metrics().await;
    let series: Vec<&str> = metrics
        .lines()
        .filter(|l| l.starts_with("causeway_http_requests_total{"))
        .collect();
    assert!(series.len() <= 10, "{series:#?}");
    assert!(series.iter().all(|s| !s.contains("key-")), "{series:#?}");
    assert!(
        value(
            &metrics,
            r#"causeway_http_requests_total{method="GET",route="/get",status="404"}"#
        ) >= 1000.0,
        "{metrics}"
    );
    let buckets = metrics
        .lines()
        .filter(|l| l.starts_with("causeway_http_request_duration_seconds_bucket{"))
        .count();
    assert!(buckets > 0 && buckets < 100, "{buckets} histogram series");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_dashboard_metric_moves_under_traffic() {
    let server = TestServer::start(Backend::Real).await;
    let before = server.metrics().await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    let nonce = server.nonce(&owner).await;
    assert_eq!(server.put(&owner, "k", "value", &nonce).await.0, 201);
    let (status, _) = server.put(&owner, "k", "value", &nonce).await;
    assert_eq!(status, 401, "replay");
    let mut forged = put_form(&owner, "k2", "v", &nonce);
    forged[4].1 = p2pkh().sign("other");
    assert_eq!(server.post_form("/put", &forged).await.0, 401);
    assert_eq!(server.get_query("/get", &[("key", "k")]).await.0, 200);
    for job in [Job::Metering, Job::Expiry, Job::Mail, Job::Payments] {
        run_once(&server.service, job).await.unwrap();
    }
    let after = server.metrics().await;
    // Gauges: their values now.
    let config = server.service.config();
    assert_eq!(
        value(&after, "causeway_capacity_bytes"),
        config.capacity_bytes as f64
    );
    for (series, at_least) in [
        ("causeway_stored_bytes", 6.0),
        ("causeway_capacity_sold_bytes", config.bucket_bytes as f64),
        (r#"causeway_pg_pool_connections{state="size"}"#, 1.0),
        (r#"causeway_job_leader{task="expiry"}"#, 1.0),
    ] {
        assert!(
            value(&after, series) >= at_least,
            "{series}: {}",
            value(&after, series)
        );
    }
    let dashboard = dashboard_metrics();
    assert!(dashboard.len() >= 10, "{dashboard:?}");
    for name in dashboard
        .iter()
        .map(String::as_str)
        .chain(OPERATOR_METRICS.iter().copied())
    {
        assert!(
            after.lines().any(|l| l.starts_with(name)),
            "{name} missing from /metrics:\n{after}"
        );
    }
    for (series, at_least) in [
        (
            r#"causeway_signature_verifications_total{outcome="valid"}"#,
            1.0,
        ),
        (
            r#"causeway_signature_verifications_total{outcome="invalid"}"#,
            1.0,
        ),
        ("causeway_nonces_issued_total", 1.0),
        ("causeway_replays_rejected_total", 1.0),
        ("causeway_bandwidth_bytes_served_total", 5.0),
        (
            r#"causeway_job_runs_total{outcome="ok",task="expiry"}"#,
            1.0,
        ),
    ] {
        assert!(
            value(&after, series) - value(&before, series) >= at_least,
            "{series} did not move: {}",
            value(&after, series)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_follows_the_backends() {
    let server = TestServer::start(Backend::Real).await;
    let ready = |s: &TestServer| {
        let url = format!("{}/readyz", s.admin);
        let http = s.http.clone();
        async move { http.get(url).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(ready(&server).await, 200);
    let health = server
        .http
        .get(format!("{}/healthz", server.admin))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    server.service.start_draining();
    assert_eq!(ready(&server).await, 503);
    // The public API keeps answering while draining.
    assert_eq!(server.get("/price").await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_lines_carry_the_request_id_and_never_a_secret() {
    let (port, admin) = (free_port(), free_port());
    let mut child = serving(port, admin).spawn().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    wait_until_serving(&http, &base).await;
    let owner = p2pkh();
    let address = owner.address.as_str().to_owned();
    let nonce = enroll_and_get_nonce(&http, &base, &owner).await;
    let form = put_form(&owner, "secret-key", "secret value", &nonce);
    let signature = form[4].1.clone();
    for _ in 0..2 {
        http.post(format!("{base}/put"))
            .form(&form)
            .send()
            .await
            .unwrap();
    }
    let balance_signature = owner.sign(&format!("{address}{nonce}"));
    http.get(format!(
        "{base}/balance?address={address}&nonce={nonce}&signature={balance_signature}"
    ))
    .header("X-Request-Id", "trace-me-42")
    .send()
    .await
    .unwrap();
    terminate(&child);
    assert!(child.wait().unwrap().success());
    let lines: Vec<String> = BufReader::new(child.stderr.take().unwrap())
        .lines()
        .map(Result::unwrap)
        .collect();
    let requests: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains(r#""message":"request""#))
        .collect();
    assert_eq!(requests.len(), 6, "{lines:#?}");
    for line in &lines {
        let parsed: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}"));
        if parsed.get("span").is_some() || line.contains(r#""message":"request""#) {
            assert!(
                parsed["span"]["request_id"].is_string(),
                "no request id: {line}"
            );
        }
        for secret in [
            signature.as_str(),
            balance_signature.as_str(),
            nonce.as_str(),
            "secret value",
        ] {
            assert!(!line.contains(secret), "secret in log: {line}");
        }
    }
    assert!(requests.iter().any(|l| l.contains("trace-me-42")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_stream_of_requests_loses_none() {
    let (port, admin) = (free_port(), free_port());
    // Logs are not read here: a piped stderr nobody drains would fill and stall the server.
    let mut child = serving(port, admin)
        .env("CAUSEWAY_SHUTDOWN_DELAY_SECS", "1")
        // Eight clients in a loop are far past 100 reads a second; this is about draining.
        .env("CAUSEWAY_RATE_READS_PER_SEC", "0")
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    wait_until_serving(&http, &base).await;
    // The clients play the load balancer: they route to the replica while it is ready.
    let routing = Arc::new(AtomicBool::new(true));
    let ok = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut clients = Vec::new();
    for _ in 0..4 {
        let (http, base, routing) = (http.clone(), base.clone(), routing.clone());
        let (ok, failures) = (ok.clone(), failures.clone());
        clients.push(tokio::spawn(async move {
            while routing.load(Ordering::SeqCst) {
                match http.get(format!("{base}/status")).send().await {
                    Ok(response) if response.status() == 200 => {
                        ok.fetch_add(1, Ordering::SeqCst);
                    }
                    Ok(response) => failures
                        .lock()
                        .unwrap()
                        .push(format!("status {}", response.status())),
                    Err(err) => failures.lock().unwrap().push(err.to_string()),
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let served_before = ok.load(Ordering::SeqCst);
    terminate(&child);
    // Readiness turns false at once; the replica keeps serving until the balancer notices.
    let noticed = Instant::now();
    loop {
        let ready = http
            .get(format!("http://127.0.0.1:{admin}/readyz"))
            .send()
            .await
            .unwrap();
        if ready.status() == 503 {
            break;
        }
        assert!(
            noticed.elapsed() < Duration::from_secs(1),
            "readiness stayed true"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let served_when_unready = ok.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        ok.load(Ordering::SeqCst) > served_when_unready,
        "still serving while draining"
    );
    routing.store(false, Ordering::SeqCst);
    for client in clients {
        client.await.unwrap();
    }
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert!(status.success(), "exit {status:?}");
    assert!(served_before > 0);
    let failures = failures.lock().unwrap();
    assert!(failures.is_empty(), "requests failed: {failures:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_carry_process_build_and_backend_latency_and_no_job_label() {
    let server = TestServer::start(Backend::Real).await;
    // Before any traffic: failure series exist at zero, so rate() sees the first failure.
    let fresh = server.metrics().await;
    for series in [
        r#"causeway_job_runs_total{outcome="failed",task="payments"}"#,
        r#"causeway_job_runs_total{outcome="failed",task="expiry"}"#,
        r#"causeway_mails_total{outcome="failed"}"#,
        r#"causeway_signature_verifications_total{outcome="invalid"}"#,
        r#"causeway_job_last_success_timestamp_seconds{task="mail"}"#,
    ] {
        assert!(
            fresh.lines().any(|l| l == format!("{series} 0")),
            "{series} not at 0 before traffic:\n{fresh}"
        );
    }
    let owner = p2pkh();
    server.enroll(&owner).await;
    let nonce = server.nonce(&owner).await;
    assert_eq!(server.put(&owner, "k", "value", &nonce).await.0, 201);
    assert_eq!(server.get_query("/get", &[("key", "k")]).await.0, 200);
    run_once(&server.service, Job::Mail).await.unwrap();
    let after = server.metrics().await;
    let count = |series: &str| value(&after, series);
    assert!(count(r#"causeway_postgres_call_duration_seconds_count{operation="put_pair"}"#) >= 1.0);
    assert!(count(r#"causeway_postgres_call_duration_seconds_count{operation="get_pair"}"#) >= 1.0);
    assert!(count(r#"causeway_redis_call_duration_seconds_count{operation="admit"}"#) >= 1.0);
    assert!(count(r#"causeway_redis_call_duration_seconds_count{operation="charge_many"}"#) >= 1.0);
    assert_eq!(
        count(&format!(
            r#"causeway_build_info{{version="{}"}}"#,
            env!("CARGO_PKG_VERSION")
        )),
        1.0
    );
    assert!(count("process_resident_memory_bytes") > 1e6, "{after}");
    assert!(count("process_start_time_seconds") > 1.7e9);
    let unix_now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let stamp = count(r#"causeway_job_last_success_timestamp_seconds{task="mail"}"#);
    assert!((unix_now - stamp).abs() < 60.0, "{stamp} vs {unix_now}");
    // `job` is the scrape target's label in Prometheus: no series may carry its own.
    assert!(
        !after
            .lines()
            .any(|l| l.contains("{job=") || l.contains(",job=")),
        "{after}"
    );
}
