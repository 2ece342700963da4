//! The meter in this process's memory, for the embedded backend.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::service::ports::{Charge, MeterError, TransferMeter};
use crate::service::rules::bandwidth;

#[derive(Default)]
pub struct MemoryMeter {
    pending: Mutex<HashMap<i64, i64>>,
}

impl MemoryMeter {
    pub fn new() -> MemoryMeter {
        MemoryMeter::default()
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, HashMap<i64, i64>>, MeterError> {
        self.pending
            .lock()
            .map_err(|_| MeterError("memory meter poisoned".into()))
    }
}

#[async_trait]
impl TransferMeter for MemoryMeter {
    async fn charge_many(&self, charges: &[Charge]) -> Result<Vec<bool>, MeterError> {
        let mut pending = self.lock()?;
        Ok(charges
            .iter()
            .map(|charge| {
                let entry = pending.entry(charge.bucket_id).or_insert(0);
                let fits = bandwidth::fits(charge.folded, *entry, charge.bytes, charge.allowance);
                if fits {
                    *entry += charge.bytes;
                }
                fits
            })
            .collect())
    }

    async fn pending(&self, bucket_id: i64) -> Result<i64, MeterError> {
        Ok(self.lock()?.get(&bucket_id).copied().unwrap_or(0))
    }

    async fn drain(&self) -> Result<Vec<(i64, i64)>, MeterError> {
        let mut pending = self.lock()?;
        Ok(pending.drain().filter(|(_, bytes)| *bytes > 0).collect())
    }

    async fn restore(&self, bucket_id: i64, bytes: i64) -> Result<(), MeterError> {
        *self.lock()?.entry(bucket_id).or_insert(0) += bytes;
        Ok(())
    }
}
