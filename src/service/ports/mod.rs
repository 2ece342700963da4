//! The service's ports: the small traits it needs from the outside world, with the data
//! that crosses them. Adapters (`store`, `nonces`, `metering`, `cache`, `mail`) implement
//! them; the service is built from a `Ports` value and never names an adapter.

mod accounts;
mod cache;
mod documents;
mod ledger;
mod lifecycle;
mod mail;
mod meter;
mod nonces;
mod pairs;

use std::sync::Arc;

use async_trait::async_trait;

pub use accounts::Accounts;
pub use cache::{Cache, CacheError};
pub use documents::{DocQuery, Documents, FoundDoc, Searchable};
pub use ledger::{DepositOutcome, Entry, Ledger, LedgerEntry, Posted};
pub use lifecycle::{
    DueBucket, DuePair, ExpiredBucket, ExpiryReport, Lifecycle, LiveRoom, Mail, OutboxMail,
};
pub use mail::{Delivery, MailSender};
pub use meter::{MeterError, TransferMeter};
pub use nonces::{Admission, NonceStore, NonceStoreError, RequestId};
pub use pairs::{ExistingPair, NewPair, Pairs, PutOutcome, StoredPair};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The backing database could not be reached or answered in time; nothing was changed.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// The database refused a statement: a bug, not the caller's fault.
    #[error("storage failure: {0}")]
    Internal(String),
}

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

/// Everything the service talks to, as traits; the wiring (`app::Backends`) fills it in.
#[derive(Clone)]
pub struct Ports {
    pub health: Arc<dyn Health>,
    pub accounts: Arc<dyn Accounts>,
    pub pairs: Arc<dyn Pairs>,
    pub ledger: Arc<dyn Ledger>,
    pub lifecycle: Arc<dyn Lifecycle>,
    pub documents: Arc<dyn Documents>,
    pub cache: Arc<dyn Cache>,
    pub nonces: Arc<dyn NonceStore>,
    pub meter: Arc<dyn TransferMeter>,
}
