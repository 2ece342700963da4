//! Whether the durable store answers: readiness and the pool gauges.

use async_trait::async_trait;

use super::store_error::StoreError;

/// Connections of a pooled store, for the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStatus {
    pub size: usize,
    pub available: usize,
    pub waiting: usize,
}

/// Whether the durable store answers, for readiness and the pool gauges.
#[async_trait]
pub trait Health: Send + Sync {
    async fn ping(&self) -> Result<(), StoreError>;

    /// The connection pool's state; None for a store without one.
    fn pool_status(&self) -> Option<PoolStatus> {
        None
    }
}
