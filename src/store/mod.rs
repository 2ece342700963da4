//! The durable state behind small traits: `Store` (accounts, delegates, buckets, pairs) and
//! `Ledger` (balances, purchases).
//!
//! Two implementations sit side by side: `postgres` for deployments and `memory` for the
//! zero-setup quick start and fast unit tests. Both run the same conformance suite.

mod documents;
mod ledger;
mod lifecycle;
mod memory;
mod postgres;

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::domain::{Account, Bucket, BucketTerms};

pub use documents::{DocQuery, Documents, FoundDoc, IndexedDoc, Searchable};
pub use ledger::{DepositOutcome, Entry, Ledger, LedgerEntry, Posted};
pub use lifecycle::{
    backoff, Delivery, DrainReport, ExpiredBucket, ExpiryReport, Lifecycle, Mail, MailSender,
    NoticeWriter, OutboxMail,
};
pub use memory::MemoryStore;
pub use postgres::{search_sql, PostgresStore};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The backing database could not be reached or answered in time; nothing was changed.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// The database refused a statement: a bug, not the caller's fault.
    #[error("storage failure: {0}")]
    Internal(String),
}

/// A pair about to be written, already authorized and sized.
#[derive(Debug, Clone)]
pub struct NewPair<'a> {
    pub account_id: i64,
    pub key: &'a str,
    pub value: &'a str,
    /// Bytes charged: key + value.
    pub size: i64,
    pub etag: &'a str,
    pub testnet: bool,
    /// The delegate this value proves for its owner, when it is the owner's signed enrollment.
    pub proves_delegate: Option<&'a str>,
    /// The value parsed as a Rein document, when it is one.
    pub document: Option<&'a IndexedDoc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutOutcome {
    Stored { bucket_id: i64, bytes_free: i64 },
    KeyOwnedByOther,
    NoRoom,
}

/// A stored pair with the bucket that holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPair {
    pub account_id: i64,
    pub value: String,
    pub etag: String,
    pub bucket: Bucket,
}

/// Connections of a pooled store, for the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStatus {
    pub size: usize,
    pub available: usize,
    pub waiting: usize,
}

#[async_trait]
pub trait Store: Send + Sync {
    /// Answers when the store can serve requests.
    async fn ping(&self) -> Result<(), StoreError>;

    /// The connection pool's state; None for a store without one.
    fn pool_status(&self) -> Option<PoolStatus> {
        None
    }

    async fn find_account(&self, address: &str) -> Result<Option<Account>, StoreError>;

    /// Creates the account if new; sets its contact when one is given.
    async fn upsert_account(
        &self,
        address: &str,
        contact: Option<&str>,
    ) -> Result<Account, StoreError>;

    /// Records a delegate of the account; a proven delegate is never downgraded to claimed.
    async fn add_delegate(
        &self,
        account_id: i64,
        delegate: &str,
        proven: bool,
    ) -> Result<(), StoreError>;

    /// Whether the delegate is proven by a signed registration or a stored enrollment.
    async fn is_proven_delegate(&self, account_id: i64, delegate: &str)
        -> Result<bool, StoreError>;

    /// The account's buckets, oldest first.
    async fn buckets(&self, account_id: i64) -> Result<Vec<Bucket>, StoreError>;

    /// Adds an active free bucket unless the account already holds `limit` free buckets.
    async fn grant_free_bucket(
        &self,
        account_id: i64,
        limit: i64,
        terms: BucketTerms,
        now: OffsetDateTime,
    ) -> Result<Option<Bucket>, StoreError>;

    /// Stores or replaces the pair in one atomic step, claiming bytes from the owner's
    /// newest live bucket with room; a replacement is charged only its growth.
    async fn put_pair(
        &self,
        pair: NewPair<'_>,
        now: OffsetDateTime,
    ) -> Result<PutOutcome, StoreError>;

    async fn get_pair(&self, key: &str) -> Result<Option<StoredPair>, StoreError>;

    /// Removes the account's pair and frees its bytes; false when the account holds no such key.
    async fn delete_pair(&self, account_id: i64, key: &str) -> Result<bool, StoreError>;

    /// Adds metered transfer to a bucket's folded total.
    async fn add_transfer(&self, bucket_id: i64, bytes: i64) -> Result<(), StoreError>;

    /// Bytes stored across all buckets.
    async fn stored_bytes(&self) -> Result<i64, StoreError>;
}
