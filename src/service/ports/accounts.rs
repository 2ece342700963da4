//! Accounts, their delegates and their buckets, as the service needs them stored.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::store_error::StoreError;
use crate::domain::{Account, Bucket, BucketTerms};

/// Fingerprint of one proof of the owner's (a signed registration, an enrollment): its
/// signer and signed message hashed, so a re-encoded signature is the same proof.
pub type ProofId = [u8; 32];

/// An account's delegate as the delegate rules see it, read under the account's lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DelegateState {
    /// The proof the current delegate rests on; None before any (or for one migrated
    /// from before proofs were kept).
    pub current_proof: Option<ProofId>,
    /// Whether the proof being judged was seen before.
    pub spent: bool,
}

/// What a proof of the owner's (a signed `/request`, an enrollment) does to its delegate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofVerdict {
    /// A proof never seen: it names the account's delegate from now on, revoking the
    /// earlier one.
    Adopt,
    /// The proof the account's delegate already rests on: nothing changes.
    Current,
    /// A proof seen before and since replaced: it proves nothing, ever again.
    Superseded,
}

/// What a free-bucket request came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grant {
    Granted(Bucket),
    /// The account holds as many free buckets as it may.
    LimitReached,
    /// The deployment has sold all of its capacity.
    ServerFull,
}

/// The deployment's storage at a glance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StorageTotals {
    /// Bytes used across all buckets.
    pub stored: i64,
    /// Bytes of every live bucket, active or pending: the capacity sold.
    pub sold: i64,
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

    /// Records a delegate named without the owner's signature: kept, never trusted to write.
    async fn add_claimed_delegate(&self, account_id: i64, delegate: &str)
        -> Result<(), StoreError>;

    /// The account's delegate state for judging `proof` (read only).
    async fn delegate_state(
        &self,
        account_id: i64,
        proof: &ProofId,
    ) -> Result<DelegateState, StoreError>;

    /// Under the account's lock, judges `proof` with `rules::delegate::judge` and, when
    /// adopted, makes `delegate` (None: no delegate) the account's one delegate and marks
    /// the proof spent; returns the verdict.
    async fn adopt_delegate(
        &self,
        account_id: i64,
        delegate: Option<&str>,
        proof: &ProofId,
    ) -> Result<ProofVerdict, StoreError>;

    /// Marks a nonce-less signature of the owner's spent; true the first time only, so a
    /// replay of it changes nothing.
    async fn spend_proof(&self, account_id: i64, proof: &ProofId) -> Result<bool, StoreError>;

    /// Whether `delegate` is the account's current delegate.
    async fn is_proven_delegate(&self, account_id: i64, delegate: &str)
        -> Result<bool, StoreError>;

    /// The account's buckets, oldest first.
    async fn buckets(&self, account_id: i64) -> Result<Vec<Bucket>, StoreError>;

    /// The buckets with these ids (any account's), in no particular order.
    async fn buckets_by_id(&self, ids: &[i64]) -> Result<Vec<Bucket>, StoreError>;

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

    /// Bytes stored across all buckets, and bytes sold (every live bucket's size).
    async fn storage_totals(&self) -> Result<StorageTotals, StoreError>;
}
