//! Rate limits shared by every replica: one token bucket per client and class of request.

use async_trait::async_trait;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rate limiter unavailable: {0}")]
pub struct LimiterError(pub String);

/// A token bucket as GCRA sees it, in microseconds: one request is allowed every `interval`,
/// and a client may run up to `burst` ahead of that pace (`burst = interval × (N − 1)` for
/// bursts of N).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub interval_micros: u64,
    pub burst_micros: u64,
}

/// What the limiter said to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    Allowed,
    /// Over the limit; a request after this many microseconds would be allowed.
    Refused {
        retry_after_micros: u64,
    },
}

#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Takes one request from `bucket` (a class and a client) at `now_micros` (Unix time),
    /// atomically across replicas; a refused request takes nothing.
    async fn take(
        &self,
        bucket: &str,
        limit: RateLimit,
        now_micros: u64,
    ) -> Result<Taken, LimiterError>;
}
