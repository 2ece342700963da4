//! The Prometheus metrics of a replica: names and units in one place, one registry.

use std::sync::LazyLock;
use std::time::Instant;

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

/// The background tasks, as the `task` label names them (`causeway run-job` takes the same).
/// The label is not `job`: that is the scrape target's own label in Prometheus.
pub const TASKS: [&str; 4] = ["expiry", "payments", "mail", "metering"];
const TASK_OUTCOMES: [&str; 3] = ["ok", "failed", "skipped"];

/// Latency buckets of one backend call (PostgreSQL statement or transaction, Redis script):
/// sub-millisecond on a healthy network, up to the backend timeout.
const CALL_BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

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
    /// 1 while this replica ran the last pass of an exclusive task, 0 when it skipped it.
    pub job_leader: IntGaugeVec,
    /// Task passes by task and outcome (`ok`, `failed`, `skipped`).
    pub job_runs: IntCounterVec,
    /// When a task's pass last ended well (Unix seconds), by task: a stalled task shows as
    /// a growing age, whatever the reason it stopped.
    pub job_last_success: IntGaugeVec,
    /// Each task's interval (seconds) on a replica that runs it, else 0, so an alert can
    /// judge a pass overdue, and a deployment where no replica runs it.
    pub job_interval: IntGaugeVec,
    /// Mails due and not yet sent (nor given up), and how long the oldest has waited.
    pub mail_due: IntGauge,
    pub mail_oldest_due_age: IntGauge,
    /// PostgreSQL and Redis call latency, by operation (the store method or script).
    pub postgres_calls: HistogramVec,
    pub redis_calls: HistogramVec,
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

/// The counter with one series per value of its one label, each at zero.
fn with_series(counter: IntCounterVec, values: &[&str]) -> IntCounterVec {
    for value in values {
        counter.with_label_values(&[value]);
    }
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

/// A latency histogram by `operation`, with the backend-call buckets.
fn call_histogram(registry: &Registry, opts: HistogramOpts) -> HistogramVec {
    let name = opts.common_opts.name.clone();
    let histogram = HistogramVec::new(opts.buckets(CALL_BUCKETS.to_vec()), &["operation"])
        .unwrap_or_else(|err| unreachable_metric(&name, err));
    let _ = registry.register(Box::new(histogram.clone()));
    histogram
}

/// Observes the time from its making to its drop in one histogram series.
#[must_use = "the call is timed until the timer is dropped"]
pub struct CallTimer {
    histogram: Histogram,
    started: Instant,
}

impl Drop for CallTimer {
    fn drop(&mut self) {
        self.histogram.observe(self.started.elapsed().as_secs_f64());
    }
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
        let job_leader = gauge_vec(
            &registry,
            "causeway_job_leader",
            "1 while this replica ran the last pass of an exclusive task, else 0.",
            &["task"],
        );
        let job_runs = counter_vec(
            &registry,
            "causeway_job_runs_total",
            "Background task passes, by task and outcome.",
            &["task", "outcome"],
        );
        let job_last_success = gauge_vec(
            &registry,
            "causeway_job_last_success_timestamp_seconds",
            "When a background task's pass last ended well (Unix time), by task.",
            &["task"],
        );
        let job_interval = gauge_vec(
            &registry,
            "causeway_job_interval_seconds",
            "Interval between a background task's passes, by task (0: not run here).",
            &["task"],
        );
        // Every series a rule or a panel reads exists from the start, so a failure is an
        // increase from zero (which rate() sees), not a series appearing from nothing.
        for task in TASKS {
            for outcome in TASK_OUTCOMES {
                job_runs.with_label_values(&[task, outcome]);
            }
            job_leader.with_label_values(&[task]);
            job_last_success.with_label_values(&[task]);
            job_interval.with_label_values(&[task]);
        }
        let rate_limited = counter_vec(
            &registry,
            "causeway_rate_limited_total",
            "Requests refused with 429 over a per-client rate limit, by class.",
            &["class"],
        );
        register_process_and_build(&registry);
        Metrics {
            http_requests: counter_vec(
                &registry,
                "causeway_http_requests_total",
                "HTTP requests, by route template, method and status.",
                &["route", "method", "status"],
            ),
            http_duration,
            signature_verifications: with_series(
                counter_vec(
                    &registry,
                    "causeway_signature_verifications_total",
                    "Signed-message verifications, by outcome.",
                    &["outcome"],
                ),
                &["valid", "invalid"],
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
            job_leader,
            job_runs,
            job_last_success,
            job_interval,
            mail_due: gauge(
                &registry,
                "causeway_mail_outbox_due",
                "Mails due and not yet sent nor given up (refreshed by the mail task).",
            ),
            mail_oldest_due_age: gauge(
                &registry,
                "causeway_mail_outbox_oldest_due_age_seconds",
                "How long the oldest due mail has waited (0 when none is due).",
            ),
            postgres_calls: call_histogram(
                &registry,
                HistogramOpts::new(
                    "causeway_postgres_call_duration_seconds",
                    "PostgreSQL call latency (pool checkout included), by store operation.",
                ),
            ),
            redis_calls: call_histogram(
                &registry,
                HistogramOpts::new(
                    "causeway_redis_call_duration_seconds",
                    "Redis call latency (one script or command), by operation.",
                ),
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
            mails: with_series(
                counter_vec(
                    &registry,
                    "causeway_mails_total",
                    "Outbox deliveries, by outcome (sent, retried, failed).",
                    &["outcome"],
                ),
                &["sent", "retried", "failed"],
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

    /// Times one PostgreSQL call, named for the store operation, until the timer drops.
    pub fn time_postgres(&self, operation: &str) -> CallTimer {
        timer(&self.postgres_calls, operation)
    }

    /// Times one Redis call, named for the operation, until the timer drops.
    pub fn time_redis(&self, operation: &str) -> CallTimer {
        timer(&self.redis_calls, operation)
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

fn timer(histogram: &HistogramVec, operation: &str) -> CallTimer {
    CallTimer {
        histogram: histogram.with_label_values(&[operation]),
        started: Instant::now(),
    }
}

/// The standard `process_*` metrics (CPU, memory, file descriptors, start time) and
/// `causeway_build_info`, a constant 1 labelled with the release.
fn register_process_and_build(registry: &Registry) {
    let _ = registry.register(Box::new(
        prometheus::process_collector::ProcessCollector::for_self(),
    ));
    let build = gauge_vec(
        registry,
        "causeway_build_info",
        "Always 1; the labels name the running release.",
        &["version"],
    );
    build.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1);
}

/// The process's metrics: one registry shared by every part of the replica.
pub static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);
