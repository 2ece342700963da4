//! The read toll as two steps in this process, for the embedded backend: the limiter, then
//! the meter only when the limiter allowed the read. One process needs no shared atomic
//! step: a read in the gap between them is just the next read.

use std::sync::Arc;

use async_trait::async_trait;

use crate::service::ports::{
    Charge, MeterError, RateLimit, RateLimiter, ReadToll, Taken, Tolled, TransferMeter,
};

pub struct InTurnToll {
    limiter: Arc<dyn RateLimiter>,
    meter: Arc<dyn TransferMeter>,
}

impl InTurnToll {
    pub fn new(limiter: Arc<dyn RateLimiter>, meter: Arc<dyn TransferMeter>) -> InTurnToll {
        InTurnToll { limiter, meter }
    }
}

#[async_trait]
impl ReadToll for InTurnToll {
    async fn take_and_charge(
        &self,
        rate_bucket: &str,
        limit: RateLimit,
        now_micros: u64,
        charge: Charge,
    ) -> Result<Tolled, MeterError> {
        let taken = self
            .limiter
            .take(rate_bucket, limit, now_micros)
            .await
            .map_err(|err| MeterError(err.to_string()))?;
        if let Taken::Refused { retry_after_micros } = taken {
            return Ok(Tolled::Refused { retry_after_micros });
        }
        let charged = self.meter.charge_many(&[charge]).await?;
        Ok(if charged.first() == Some(&true) {
            Tolled::Charged
        } else {
            Tolled::Unpaid
        })
    }
}
