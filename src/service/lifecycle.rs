//! The bucket lifecycle: running an expiry pass and draining the mail outbox. The decisions
//! are `rules::expiry` and `rules::mail`; mail is sent with no transaction open.

use super::error::ServiceError;
use super::handle::Service;
use super::ports::{ExpiryPolicy, ExpiryReport, MailAttempt};
use super::rules::mail;
use crate::telemetry::metrics::METRICS;

/// What one drain of the outbox did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DrainReport {
    pub sent: i64,
    pub retried: i64,
    pub failed: i64,
}

impl Service {
    /// One expiry pass (None when another replica is running it).
    pub async fn expire_buckets(&self) -> Result<Option<ExpiryReport>, ServiceError> {
        let policy = ExpiryPolicy {
            retention_days: self.config.expired_retention_days,
            price_sats: self.price_sats(),
            pending_days: self.config.pending_bucket_days,
        };
        let report = self.lifecycle.expire(self.clock.now(), &policy).await?;
        METRICS
            .job_leader
            .with_label_values(&["expiry"])
            .set(i64::from(report.is_some()));
        if let Some(report) = &report {
            METRICS.buckets_expired.inc_by(report.expired.len() as u64);
            for bucket in &report.expired {
                tracing::info!(
                    bucket = bucket.bucket_id,
                    moved = bucket.moved,
                    stranded = bucket.stranded,
                    "bucket expired"
                );
            }
        }
        Ok(report)
    }

    /// Sends due notices; without an SMTP server they stay queued. Each mail is leased,
    /// sent, then its outcome recorded: a crash between the SMTP answer and the record
    /// sends that one mail again once the lease ends (at-least-once).
    pub async fn send_mail(&self) -> Result<DrainReport, ServiceError> {
        let Some(mailer) = &self.mailer else {
            self.refresh_mail_backlog().await?;
            return Ok(DrainReport::default());
        };
        let now = self.clock.now();
        let claimed = self
            .lifecycle
            .claim_mail(now, now + mail::LEASE, mail::BATCH)
            .await?;
        let mut report = DrainReport::default();
        for outbox_mail in claimed {
            let delivery = mailer.deliver(&outbox_mail).await;
            let attempt = mail::after_attempt(
                outbox_mail.attempts,
                delivery,
                self.config.mail_max_attempts,
                self.clock.now(),
            );
            let counter = match &attempt {
                MailAttempt::Sent { .. } => &mut report.sent,
                MailAttempt::Retry { .. } => &mut report.retried,
                MailAttempt::Failed { .. } => &mut report.failed,
            };
            *counter += 1;
            self.lifecycle
                .record_mail(outbox_mail.id, &attempt, self.clock.now())
                .await?;
        }
        for (outcome, count) in [
            ("sent", report.sent),
            ("retried", report.retried),
            ("failed", report.failed),
        ] {
            METRICS
                .mails
                .with_label_values(&[outcome])
                .inc_by(count.unsigned_abs());
        }
        self.refresh_mail_backlog().await?;
        Ok(report)
    }

    /// The mails due now and still unsent, and how long (seconds) the oldest has waited.
    pub async fn mail_backlog(&self) -> Result<(i64, i64), ServiceError> {
        let now = self.clock.now();
        let backlog = self.lifecycle.mail_backlog(now).await?;
        let waited = backlog
            .oldest_due
            .map_or(0, |due| (now - due).whole_seconds().max(0));
        Ok((backlog.due, waited))
    }

    /// Sets the outbox gauges from what is due and unsent after this pass.
    async fn refresh_mail_backlog(&self) -> Result<(), ServiceError> {
        let (due, waited) = self.mail_backlog().await?;
        METRICS.mail_due.set(due);
        METRICS.mail_oldest_due_age.set(waited);
        Ok(())
    }
}
