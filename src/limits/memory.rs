//! Rate limits in this process's memory, for the embedded backend.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::service::ports::{LimiterError, RateLimit, RateLimiter, Taken};
use crate::service::rules::rate;

/// Buckets kept before the full ones are swept out.
const SWEEP_AT: usize = 4096;

#[derive(Default)]
pub struct MemoryLimiter {
    /// bucket → (TAT, when it stops mattering), both in Unix microseconds.
    buckets: Mutex<HashMap<String, (u64, u64)>>,
}

impl MemoryLimiter {
    pub fn new() -> MemoryLimiter {
        MemoryLimiter::default()
    }
}

#[async_trait]
impl RateLimiter for MemoryLimiter {
    async fn take(
        &self,
        bucket: &str,
        limit: RateLimit,
        now_micros: u64,
    ) -> Result<Taken, LimiterError> {
        let mut buckets = self
            .buckets
            .lock()
            .map_err(|_| LimiterError("memory rate limiter poisoned".into()))?;
        let tat = buckets
            .get(bucket)
            .filter(|(_, until)| *until > now_micros)
            .map(|(tat, _)| *tat);
        let judgement = rate::judge(tat, now_micros, limit);
        if let Some((next, keep_for)) = judgement.store {
            // A bucket that has refilled is the same as no bucket: sweeping those keeps memory
            // bounded by the clients seen within one window, however many pass by.
            if buckets.len() >= SWEEP_AT && !buckets.contains_key(bucket) {
                buckets.retain(|_, (_, until)| *until > now_micros);
            }
            buckets.insert(bucket.to_owned(), (next, now_micros + keep_for));
        }
        Ok(judgement.taken)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn refilled_buckets_are_swept_and_live_ones_kept() {
        let limiter = MemoryLimiter::new();
        let limit = rate::limit(1, 1_000_000).unwrap();
        for i in 0..SWEEP_AT {
            limiter.take(&format!("c{i}"), limit, 0).await.unwrap();
        }
        // Once every bucket is full again and past its grace, the next new client sweeps them.
        let later = 1_000_000 + rate::KEEP_GRACE_MICROS;
        limiter.take("later", limit, later).await.unwrap();
        assert_eq!(limiter.buckets.lock().unwrap().len(), 1);
        // A bucket still running keeps its state through a sweep.
        assert!(matches!(
            limiter.take("later", limit, later).await.unwrap(),
            Taken::Refused { .. }
        ));
    }
}
