//! Accounts and their buckets: storage and transfer allowances with a term.

use time::{Duration, OffsetDateTime};

/// An account: a Bitcoin address that owns buckets and pairs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: i64,
    pub address: String,
    pub contact: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BucketStatus {
    Active,
    Pending,
    Expired,
}

impl BucketStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BucketStatus::Active => "active",
            BucketStatus::Pending => "pending",
            BucketStatus::Expired => "expired",
        }
    }

    pub fn parse(text: &str) -> Option<BucketStatus> {
        match text {
            "active" => Some(BucketStatus::Active),
            "pending" => Some(BucketStatus::Pending),
            "expired" => Some(BucketStatus::Expired),
            _ => None,
        }
    }
}

/// A bucket as stored. `transfer_used` is what has been folded into the store; the
/// live figure adds what the meter holds (see `metering`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    pub id: i64,
    pub account_id: i64,
    pub created: OffsetDateTime,
    pub expires: OffsetDateTime,
    pub status: BucketStatus,
    pub free: bool,
    pub bytes_total: i64,
    pub bytes_used: i64,
    pub transfer_total: i64,
    pub transfer_used: i64,
    /// What the bucket cost (0 for a free one); a pending bucket is activated once paid.
    pub price_sats: i64,
}

impl Bucket {
    pub fn bytes_free(&self) -> i64 {
        (self.bytes_total - self.bytes_used).max(0)
    }

    /// Whether the bucket serves and takes data at `now`.
    pub fn is_live(&self, now: OffsetDateTime) -> bool {
        self.status == BucketStatus::Active && self.expires > now
    }
}

/// The size and term of a bucket about to be created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BucketTerms {
    pub bytes_total: i64,
    pub transfer_total: i64,
    pub term: Duration,
    pub free: bool,
}
