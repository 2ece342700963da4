//! The Prometheus metrics of a replica: names and units in one place, one registry.

use std::sync::LazyLock;

use prometheus::{Encoder, IntCounter, IntCounterVec, Opts, Registry, TextEncoder};

pub struct Metrics {
    registry: Registry,
    /// Job passes by job and outcome (`ok`, `failed`, `skipped`).
    pub job_runs: IntCounterVec,
    pub deposits_credited: IntCounter,
    pub deposit_sats_credited: IntCounter,
    /// The node reported less received than already credited (a reorg); never debited.
    pub deposit_decreases: IntCounter,
    pub mails: IntCounterVec,
    pub buckets_expired: IntCounter,
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

fn unreachable_metric(name: &str, err: prometheus::Error) -> ! {
    // Metric names are constants in this file; an invalid one is a programming error.
    panic!("invalid metric definition {name}: {err}")
}

impl Metrics {
    fn new() -> Metrics {
        let registry = Registry::new();
        Metrics {
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
