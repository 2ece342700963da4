//! Bandwidth metering: reads are charged to a fast counter per bucket, folded into the
//! store now and then, so a read never becomes a hot-row write in PostgreSQL.
//!
//! Accuracy bound: a charge is counted by the meter the moment it is made and checked
//! against `folded + pending`. The only window where the check undercounts is between a
//! fold draining a bucket's counter and the store committing the drained amount, so a
//! bucket can be over-served by at most what was charged to it in one fold interval
//! (`metering_fold_secs`). Losing Redis loses at most the charges not yet folded.

use async_trait::async_trait;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("meter unavailable: {0}")]
pub struct MeterError(pub String);

/// One read to charge: `bytes` to `bucket_id`, whose folded use and allowance the store gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Charge {
    pub bucket_id: i64,
    pub bytes: i64,
    pub folded: i64,
    pub allowance: i64,
}

#[async_trait]
pub trait TransferMeter: Send + Sync {
    /// Charges `bytes` to the bucket if `rules::bandwidth::fits` (folded + pending + bytes
    /// within `allowance`); true when charged. Atomic: concurrent charges never overdraw.
    async fn charge(
        &self,
        bucket_id: i64,
        bytes: i64,
        folded: i64,
        allowance: i64,
    ) -> Result<bool, MeterError> {
        let charge = Charge {
            bucket_id,
            bytes,
            folded,
            allowance,
        };
        Ok(self.charge_many(&[charge]).await?.first() == Some(&true))
    }

    /// Charges each of `charges` in turn, as `charge` would, in one atomic step; whether each
    /// was charged, in order.
    async fn charge_many(&self, charges: &[Charge]) -> Result<Vec<bool>, MeterError>;

    /// What the bucket has been charged since the last fold.
    async fn pending(&self, bucket_id: i64) -> Result<i64, MeterError>;

    /// Takes every pending charge, per bucket, for folding into the store.
    async fn drain(&self) -> Result<Vec<(i64, i64)>, MeterError>;

    /// Puts back a drained charge whose fold failed.
    async fn restore(&self, bucket_id: i64, bytes: i64) -> Result<(), MeterError>;
}
