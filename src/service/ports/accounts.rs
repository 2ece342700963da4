//! Accounts, their delegates and their buckets, as the service needs them stored.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::store_error::StoreError;
use crate::domain::{Account, Bucket, BucketTerms};

/// What a free-bucket request came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grant {
    Granted(Bucket),
    /// The account holds as many free buckets as it may.
    LimitReached,
    /// The deployment has sold all of its capacity.
    ServerFull,
}

#[async_trait]
pub trait Accounts: Send + Sync {
    async fn find_account(&self, address: &str) -> Result<Option<Account>, StoreError>;

    /// The account of `address`, created with `contact` if new; an existing account keeps
    /// its contact (only the owner's signed requests change it, with `set_contact`).
    async fn upsert_account(
        &self,
        address: &str,
        contact: Option<&str>,
    ) -> Result<Account, StoreError>;

    /// Replaces the account's contact: only after the owner's signature was verified.
    async fn set_contact(&self, account_id: i64, contact: &str) -> Result<(), StoreError>;

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

    /// Adds an active free bucket if `rules::free_buckets::may_grant` allows it for the
    /// free buckets the account holds (counted under its lock) and `rules::capacity::may_add`
    /// for the deployment's `capacity` (counted under the capacity lock).
    async fn grant_free_bucket(
        &self,
        account_id: i64,
        limit: i64,
        terms: BucketTerms,
        capacity: i64,
        now: OffsetDateTime,
    ) -> Result<Grant, StoreError>;

    /// Adds metered transfer to a bucket's folded total.
    async fn add_transfer(&self, bucket_id: i64, bytes: i64) -> Result<(), StoreError>;

    /// Bytes stored across all buckets.
    async fn stored_bytes(&self) -> Result<i64, StoreError>;
}
