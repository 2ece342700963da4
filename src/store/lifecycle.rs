//! The bucket lifecycle behind one small trait: expiry with redistribution, purge, the mail
//! outbox. Each pass is exclusive across replicas and safe to repeat.

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};

use super::StoreError;

/// A bucket that expired in a pass, and what became of its pairs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiredBucket {
    pub bucket_id: i64,
    pub account_address: String,
    pub contact: String,
    /// Pairs moved to the owner's other live buckets.
    pub moved: i64,
    /// Pairs that fit nowhere: kept, not served.
    pub stranded: i64,
}

/// A mail to write to the outbox in the same transaction as the expiry it reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub recipient: String,
    pub subject: String,
    pub body: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExpiryReport {
    pub expired: Vec<ExpiredBucket>,
    /// Expired buckets whose retention ended: their pairs are deleted.
    pub purged_buckets: i64,
    pub purged_pairs: i64,
    pub mails_queued: i64,
}

/// A queued mail as the sender sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMail {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub attempts: i32,
}

/// What became of one send attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    /// Try again after the backoff.
    Retry(String),
    /// Never try again (bad recipient, permanent rejection).
    Failed(String),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DrainReport {
    pub sent: i64,
    pub retried: i64,
    pub failed: i64,
}

/// Sends one mail; implemented by the service over SMTP.
#[async_trait]
pub trait MailSender: Send + Sync {
    async fn deliver(&self, mail: &OutboxMail) -> Delivery;
}

/// Writes the notice for a bucket that expired with stranded pairs; None sends nothing.
pub type NoticeWriter = dyn Fn(&ExpiredBucket) -> Option<Mail> + Send + Sync;

#[async_trait]
pub trait Lifecycle: Send + Sync {
    /// Expires live buckets whose term ended at `now`, moving their pairs to the owner's
    /// other live buckets with room and queueing one notice per bucket that keeps any;
    /// purges expired buckets older than `retention`. None when another replica is running
    /// the pass right now.
    async fn expire(
        &self,
        now: OffsetDateTime,
        retention: Duration,
        notice: &NoticeWriter,
    ) -> Result<Option<ExpiryReport>, StoreError>;

    /// Sends due mails, each at most once at a time across replicas; failures are retried
    /// with exponential backoff up to `max_attempts`.
    async fn drain_outbox(
        &self,
        now: OffsetDateTime,
        max_attempts: i32,
        sender: &dyn MailSender,
    ) -> Result<DrainReport, StoreError>;
}

/// Backoff before attempt `attempts + 1`: 30 s doubling, capped at 6 h.
pub fn backoff(attempts: i32) -> Duration {
    let exponent = attempts.clamp(0, 10) as u32;
    Duration::seconds((30_i64 << exponent).min(6 * 3600))
}
