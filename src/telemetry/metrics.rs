//! The Prometheus metrics of a replica: names and units in one place, one registry.

use std::sync::LazyLock;

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

pub struct Metrics {
    registry: Registry,
    /// Requests by route template (never a raw path: bounded cardinality), method, status.
    pub http_requests: IntCounterVec,
    pub http_duration: HistogramVec,
    /// Signed-message verifications by outcome (`valid`, `invalid`).
    pub signature_verifications: IntCounterVec,
    pub nonces_issued: IntCounter,
    pub replays_rejected: IntCounter,
    pub stored_bytes: IntGauge,
    pub bandwidth_served: IntCounter,
    /// PostgreSQL pool connections by state (`size`, `available`, `waiting`), at scrape time.
    pub pg_pool: IntGaugeVec,
    pub redis_errors: IntCounter,
    /// 1 while this replica ran the last pass of an exclusive job, 0 when it skipped it.
    pub job_leader: IntGaugeVec,
    /// Job passes by job and outcome (`ok`, `failed`, `skipped`).
    pub job_runs: IntCounterVec,
    pub deposits_credited: IntCounter,
    pub deposit_sats_credited: IntCounter,
    /// The node reported less received than already credited (a reorg); never debited.
    pub deposit_decreases: IntCounter,
    pub mails: IntCounterVec,
    pub buckets_expired: IntCounter,
    /// Public connections this replica holds open now.
    pub connections_open: IntGauge,
    /// Public connections closed by the server, by reason (`header_timeout`, `idle_timeout`).
    pub connections_cut: IntCounterVec,
    /// Requests refused over a rate limit, by class (`reads`, `nonces`, `writes`,
    /// `new_accounts`).
    pub rate_limited: IntCounterVec,
    /// The deployment's `capacity_bytes` setting.
    pub capacity_bytes: IntGauge,
    /// Bytes of all live buckets (active and pending), what capacity has been sold.
    pub capacity_sold_bytes: IntGauge,
}

fn counter(registry: &Registry, name: &str, help: &str) -> IntCounter {
    let counter = IntCounter::new(name, help).unwrap_or_else(|err| unreachable_metric(name, err));
    // Registering a fresh name in a fresh registry can only fail on a duplicate, a bug
    // caught by the tests that scrape /metrics.
    let _ = registry.register(Box::new(counter.clone()));
    counter
}

fn counter_vec(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let counter = IntCounterVec::new(Opts::new(name, help), labels)
        .unwrap_or_else(|err| unreachable_metric(name, err));
    let _ = registry.register(Box::new(counter.clone()));
    counter
}

fn gauge(registry: &Registry, name: &str, help: &str) -> IntGauge {
    let gauge = IntGauge::new(name, help).unwrap_or_else(|err| unreachable_metric(name, err));
    let _ = registry.register(Box::new(gauge.clone()));
    gauge
}

fn gauge_vec(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    let gauge = IntGaugeVec::new(Opts::new(name, help), labels)
        .unwrap_or_else(|err| unreachable_metric(name, err));
    let _ = registry.register(Box::new(gauge.clone()));
    gauge
}

fn unreachable_metric(name: &str, err: prometheus::Error) -> ! {
    // Metric names are constants in this file; an invalid one is a programming error.
    panic!("invalid metric definition {name}: {err}")
}

impl Metrics {
    fn new() -> Metrics {
        let registry = Registry::new();
        let http_duration = HistogramVec::new(
            HistogramOpts::new(
                "causeway_http_request_duration_seconds",
                "Time from request to response, by route template.",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
            &["route"],
        )
        .unwrap_or_else(|err| unreachable_metric("causeway_http_request_duration_seconds", err));
        let _ = registry.register(Box::new(http_duration.clone()));
        let connections_cut = counter_vec(
            &registry,
            "causeway_connections_cut_total",
            "Public connections the server closed, by reason (header_timeout, idle_timeout).",
            &["reason"],
        );
        // Both series exist from the start, so a dashboard shows zero rather than nothing.
        for reason in ["header_timeout", "idle_timeout"] {
            connections_cut.with_label_values(&[reason]);
        }
        let rate_limited = counter_vec(
            &registry,
            "causeway_rate_limited_total",
            "Requests refused with 429 over a per-client rate limit, by class.",
            &["class"],
        );
        Metrics {
            http_requests: counter_vec(
                &registry,
                "causeway_http_requests_total",
                "HTTP requests, by route template, method and status.",
                &["route", "method", "status"],
            ),
            http_duration,
            signature_verifications: counter_vec(
                &registry,
                "causeway_signature_verifications_total",
                "Signed-message verifications, by outcome.",
                &["outcome"],
            ),
            nonces_issued: counter(
                &registry,
                "causeway_nonces_issued_total",
                "Nonce requests answered with a live nonce.",
            ),
            replays_rejected: counter(
                &registry,
                "causeway_replays_rejected_total",
                "Signed requests refused because they were accepted before.",
            ),
            stored_bytes: gauge(
                &registry,
                "causeway_stored_bytes",
                "Bytes stored across all buckets (refreshed by the metering job and /status).",
            ),
            bandwidth_served: counter(
                &registry,
                "causeway_bandwidth_bytes_served_total",
                "Value bytes served by /get and charged to buckets.",
            ),
            pg_pool: gauge_vec(
                &registry,
                "causeway_pg_pool_connections",
                "PostgreSQL pool connections, by state (size, available, waiting).",
                &["state"],
            ),
            redis_errors: counter(
                &registry,
                "causeway_redis_errors_total",
                "Redis commands that failed.",
            ),
            job_leader: gauge_vec(
                &registry,
                "causeway_job_leader",
                "1 while this replica ran the last pass of an exclusive job, else 0.",
                &["job"],
            ),
            job_runs: counter_vec(
                &registry,
                "causeway_job_runs_total",
                "Background job passes, by job and outcome.",
                &["job", "outcome"],
            ),
            deposits_credited: counter(
                &registry,
                "causeway_deposits_credited_total",
                "Deposit increases credited to accounts.",
            ),
            deposit_sats_credited: counter(
                &registry,
                "causeway_deposit_sats_credited_total",
                "Satoshis credited from deposits.",
            ),
            deposit_decreases: counter(
                &registry,
                "causeway_deposit_decreases_total",
                "Times the node reported less received at an address than already credited.",
            ),
            mails: counter_vec(
                &registry,
                "causeway_mails_total",
                "Outbox deliveries, by outcome (sent, retried, failed).",
                &["outcome"],
            ),
            buckets_expired: counter(
                &registry,
                "causeway_buckets_expired_total",
                "Buckets expired by this replica.",
            ),
            connections_open: gauge(
                &registry,
                "causeway_connections_open",
                "Public listener connections open now.",
            ),
            connections_cut,
            rate_limited,
            capacity_bytes: gauge(
                &registry,
                "causeway_capacity_bytes",
                "Storage this deployment may sell (capacity_bytes).",
            ),
            capacity_sold_bytes: gauge(
                &registry,
                "causeway_capacity_sold_bytes",
                "Bytes of all live buckets, active and pending: capacity sold.",
            ),
            registry,
        }
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

/// The process's metrics: one registry shared by every part of the replica.
pub static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);
