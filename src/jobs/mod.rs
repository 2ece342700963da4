//! Background work of a replica: each job runs one pass every interval. Passes are safe in
//! every replica at once: the expiry pass takes a lock so one replica works at a time, mail
//! rows are sent by one replica each, metering folds drain disjoint amounts.

use std::future::Future;
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::config::Config;
use crate::service::{Service, ServiceError};
use crate::telemetry::metrics::METRICS;

/// The jobs, as `causeway run-job` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Job {
    Expiry,
    Payments,
    Mail,
    Metering,
}

impl Job {
    pub fn name(self) -> &'static str {
        match self {
            Job::Expiry => "expiry",
            Job::Payments => "payments",
            Job::Mail => "mail",
            Job::Metering => "metering",
        }
    }

    fn interval(self, config: &Config) -> Duration {
        let secs = match self {
            Job::Expiry => config.expiry_interval_secs,
            Job::Payments => config.payments_poll_secs,
            Job::Mail => config.mail_interval_secs,
            Job::Metering => config.metering_fold_secs,
        };
        Duration::from_secs(secs.max(1))
    }
}

/// Runs one pass of `job` and describes what it did, for logs and `run-job`.
pub async fn run_once(service: &Service, job: Job) -> Result<serde_json::Value, ServiceError> {
    let outcome = pass(service, job).await;
    let label = match &outcome {
        Ok(report) if report.get("skipped").is_some() => "skipped",
        Ok(_) => "ok",
        Err(_) => "failed",
    };
    METRICS
        .job_runs
        .with_label_values(&[job.name(), label])
        .inc();
    if outcome.is_ok() {
        METRICS
            .job_last_success
            .with_label_values(&[job.name()])
            .set(unix_now());
    }
    outcome
}

/// Wall-clock seconds, what Prometheus's `time()` compares a last-success stamp with.
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
        })
}

async fn pass(service: &Service, job: Job) -> Result<serde_json::Value, ServiceError> {
    Ok(match job {
        Job::Expiry => match service.expire_buckets().await? {
            Some(report) => serde_json::json!({
                "job": "expiry",
                "expired": report.expired.len(),
                "moved": report.expired.iter().map(|b| b.moved).sum::<i64>(),
                "stranded": report.expired.iter().map(|b| b.stranded).sum::<i64>(),
                "mails_queued": report.mails_queued,
                "purged_buckets": report.purged_buckets,
                "purged_pairs": report.purged_pairs,
                "dropped_pending": report.dropped_pending,
            }),
            None => {
                serde_json::json!({"job": "expiry", "skipped": "another replica is running it"})
            }
        },
        Job::Payments => match service.poll_payments().await? {
            Some(report) => serde_json::json!({
                "job": "payments",
                "credited": report.credited,
                "credited_sats": report.credited_sats,
                "activated": report.activated,
                "decreased": report.decreased,
            }),
            None => serde_json::json!({"job": "payments", "skipped": "no bitcoind configured"}),
        },
        Job::Mail => {
            let report = service.send_mail().await?;
            serde_json::json!({"job": "mail", "sent": report.sent, "retried": report.retried, "failed": report.failed})
        }
        Job::Metering => {
            let folded = service.fold_metering().await?;
            // The stored-bytes gauge rides on this frequent, cheap pass.
            service.refresh_stored_bytes().await?;
            serde_json::json!({"job": "metering", "buckets_folded": folded})
        }
    })
}

/// Starts every job's loop; the handles are aborted at shutdown.
pub fn spawn_all(service: &Service) -> Vec<JoinHandle<()>> {
    [Job::Metering, Job::Expiry, Job::Payments, Job::Mail]
        .into_iter()
        .map(|job| {
            let every = job.interval(service.config());
            METRICS
                .job_interval
                .with_label_values(&[job.name()])
                .set(i64::try_from(every.as_secs()).unwrap_or(i64::MAX));
            let service = service.clone();
            spawn_every(job.name(), every, move || {
                let service = service.clone();
                async move { run_once(&service, job).await.map(|_| ()) }
            })
        })
        .collect()
}

fn spawn_every<F, Fut>(name: &'static str, every: Duration, mut pass: F) -> JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), ServiceError>> + Send,
{
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if let Err(err) = pass().await {
                // Each pass is idempotent: the next tick simply tries again.
                tracing::warn!(job = name, error = %err, "job pass failed");
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use clap::ValueEnum;

    use super::Job;
    use crate::telemetry::metrics::TASKS;

    #[test]
    fn every_job_is_a_task_the_metrics_know() {
        let names: Vec<&str> = Job::value_variants().iter().map(|job| job.name()).collect();
        assert_eq!(names, TASKS);
    }
}
