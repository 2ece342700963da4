//! Key/value pairs as stored: written where `rules::placement` puts them, read with their bucket.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::store_error::StoreError;
use crate::domain::Bucket;
use crate::rein::ReinDocument;

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
    /// The value parsed as a Rein document, when it is one.
    pub document: Option<&'a ReinDocument>,
}

/// The pair a put would replace, as locked by the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExistingPair {
    pub account_id: i64,
    pub bucket_id: i64,
    pub size: i64,
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

#[async_trait]
pub trait Pairs: Send + Sync {
    /// Stores or replaces the pair in one atomic step: the store locks the key and the
    /// owner's live buckets, asks `rules::placement::choose` where the bytes go, and
    /// applies that answer.
    async fn put_pair(
        &self,
        pair: NewPair<'_>,
        now: OffsetDateTime,
    ) -> Result<PutOutcome, StoreError>;

    async fn get_pair(&self, key: &str) -> Result<Option<StoredPair>, StoreError>;

    /// Removes the account's pair and frees its bytes; false when the account holds no such key.
    async fn delete_pair(&self, account_id: i64, key: &str) -> Result<bool, StoreError>;
}
