//! The bucket lifecycle as stored: the expiry pass applies `rules::expiry`'s plan, the mail
//! outbox hands out leased mails and records what `rules::mail` decided about each.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::store_error::StoreError;

/// What expiry notices say and how long expired data is kept (`rules::expiry`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpiryPolicy {
    pub retention_days: i64,
    pub price_sats: i64,
    /// Days a bought bucket may stay unpaid before it is dropped.
    pub pending_days: i64,
}

/// The outcome of one send attempt to record (`rules::mail::after_attempt`); `attempts`
/// counts this one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailAttempt {
    Sent {
        attempts: i32,
    },
    Retry {
        attempts: i32,
        at: OffsetDateTime,
        why: String,
    },
    Failed {
        attempts: i32,
        why: String,
    },
}

/// An active bucket whose term has ended, with its owner, as the pass locked it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueBucket {
    pub bucket_id: i64,
    pub account_id: i64,
    pub account_address: String,
    pub contact: String,
}

/// A pair held by a due bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuePair {
    pub key: String,
    pub bucket_id: i64,
    pub size: i64,
}

/// A live bucket of a due bucket's owner: where that bucket's pairs may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveRoom {
    pub bucket_id: i64,
    pub account_id: i64,
    pub bytes_free: i64,
}

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
    /// Bought buckets left unpaid past `pending_days`: dropped (expired), holding nothing.
    pub dropped_pending: i64,
}

/// The mails due and waiting: neither sent nor given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailBacklog {
    pub due: i64,
    /// When the longest-waiting of them fell due.
    pub oldest_due: Option<OffsetDateTime>,
}

/// A queued mail as the sender sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMail {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    /// Attempts made before this one.
    pub attempts: i32,
}

#[async_trait]
pub trait Lifecycle: Send + Sync {
    /// One expiry pass, exclusive across replicas: locks a batch of due buckets, their
    /// pairs and their owners' live buckets, applies `rules::expiry::plan` (expire, move,
    /// queue one notice per bucket), purges what `rules::expiry::purge_before` says and drops
    /// the pending buckets bought before `rules::expiry::unpaid_before`; all in one
    /// transaction. None when another replica is running the pass right now.
    async fn expire(
        &self,
        now: OffsetDateTime,
        policy: &ExpiryPolicy,
    ) -> Result<Option<ExpiryReport>, StoreError>;

    /// Up to `limit` due mails, leased until `lease_until`: no other caller gets them
    /// before the lease ends or the outcome is recorded. No transaction stays open.
    async fn claim_mail(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: i64,
    ) -> Result<Vec<OutboxMail>, StoreError>;

    /// The mails due by `now` that are neither sent nor given up (leased ones included).
    async fn mail_backlog(&self, now: OffsetDateTime) -> Result<MailBacklog, StoreError>;

    /// Records the outcome of one attempt and ends the mail's lease.
    async fn record_mail(
        &self,
        id: i64,
        attempt: &MailAttempt,
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;
}
