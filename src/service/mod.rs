//! The rules of Causeway, free of HTTP: who may write what, where bytes go, what reads cost.

mod accounts;
mod clock;
mod error;
mod signed;
mod storage;

use std::sync::Arc;
use std::time::Instant;

use crate::backend::Backends;
use crate::config::Config;
use crate::metering::TransferMeter;
use crate::nonces::NonceStore;
use crate::store::Store;

pub use accounts::{FreeBucketOutcome, FreeBucketRequest, NonceRequest, Status};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::ServiceError;
pub use storage::{DeleteRequest, GetOutcome, GetRequest, PutRequest, Stored};

/// The service every endpoint calls; cheap to clone.
#[derive(Clone)]
pub struct Service {
    store: Arc<dyn Store>,
    nonces: Arc<dyn NonceStore>,
    meter: Arc<dyn TransferMeter>,
    config: Arc<Config>,
    clock: Arc<dyn Clock>,
    started: Instant,
}

impl Service {
    pub fn new(backends: &Backends, config: Arc<Config>, clock: Arc<dyn Clock>) -> Service {
        Service {
            store: backends.store.clone(),
            nonces: backends.nonces.clone(),
            meter: backends.meter.clone(),
            config,
            clock,
            started: Instant::now(),
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn price_sats(&self) -> i64 {
        self.config.price_sats
    }

    /// Whether every backing service answers (the readiness probe).
    pub async fn ready(&self) -> Result<(), ServiceError> {
        self.store.ping().await?;
        self.nonces.ping().await?;
        Ok(())
    }

    /// Folds pending bandwidth charges into the store; a failed fold puts its charge back.
    pub async fn fold_metering(&self) -> Result<usize, ServiceError> {
        let drained = self.meter.drain().await?;
        let mut folded = 0;
        for (bucket_id, bytes) in drained {
            match self.store.add_transfer(bucket_id, bytes).await {
                Ok(()) => folded += 1,
                Err(err) => {
                    self.meter.restore(bucket_id, bytes).await?;
                    return Err(err.into());
                }
            }
        }
        Ok(folded)
    }
}

impl Service {
    /// A service on the memory backend with default settings, for generating the API
    /// document without any backing service.
    pub fn detached() -> Service {
        Service::new(
            &Backends::memory(),
            Arc::new(Config::defaults()),
            Arc::new(SystemClock),
        )
    }
}
