//! A served read's toll: its client's rate-limit token and its bandwidth charge, taken in
//! one atomic step, so a `/get` pays one round trip to the shared counters, not two.

use async_trait::async_trait;

use super::limits::RateLimit;
use super::meter::{Charge, MeterError};

/// What one read's toll came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tolled {
    /// Over the client's limit: nothing was taken or charged; a read after this many
    /// microseconds would be allowed.
    Refused { retry_after_micros: u64 },
    /// Counted against the limit and charged to the bucket.
    Charged,
    /// Counted against the limit, but the bucket can not pay: nothing was charged.
    Unpaid,
}

#[async_trait]
pub trait ReadToll: Send + Sync {
    /// Takes one request from the rate bucket `rate_bucket` as `RateLimiter::take` would
    /// and, only when it is allowed, makes `charge` as `TransferMeter::charge` would; both
    /// at once, atomically across replicas.
    async fn take_and_charge(
        &self,
        rate_bucket: &str,
        limit: RateLimit,
        now_micros: u64,
        charge: Charge,
    ) -> Result<Tolled, MeterError>;
}
