//! Picks and wires the adapters behind the service's ports: PostgreSQL + Redis when both
//! are configured, the embedded memory backend when neither is.

use std::sync::Arc;

use crate::cache::{MemoryCache, RedisCache};
use crate::config::Config;
use crate::connect::{self, migrate, ConnectError};
use crate::limits::{MemoryLimiter, RedisLimiter};
use crate::metering::{MemoryMeter, RedisMeter};
use crate::nonces::{MemoryNonces, RedisNonces};
use crate::service::ports::{
    Accounts, Cache, Documents, Health, Ledger, Lifecycle, NonceStore, Pairs, Ports, RateLimiter,
    ReadToll, TransferMeter,
};
use crate::store::{MemoryStore, PostgresStore};
use crate::tolls::{InTurnToll, RedisToll};

/// The ports one replica's service is built from.
#[derive(Clone)]
pub struct Backends {
    pub ports: Ports,
    /// True when nothing survives a restart.
    pub embedded: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("set both DATABASE_URL and REDIS_URL, or neither for the embedded memory backend")]
    HalfConfigured,
    #[error(transparent)]
    Connect(#[from] ConnectError),
}

/// The ports of one store that implements them all, with the given Redis or memory parts.
fn ports<S>(
    store: Arc<S>,
    cache: Arc<dyn Cache>,
    nonces: Arc<dyn NonceStore>,
    meter: Arc<dyn TransferMeter>,
    limiter: Arc<dyn RateLimiter>,
    toll: Arc<dyn ReadToll>,
) -> Ports
where
    S: Health + Accounts + Pairs + Ledger + Lifecycle + Documents + 'static,
{
    Ports {
        health: store.clone(),
        accounts: store.clone(),
        pairs: store.clone(),
        ledger: store.clone(),
        lifecycle: store.clone(),
        documents: store,
        cache,
        nonces,
        meter,
        limiter,
        toll,
    }
}

impl Backends {
    /// The embedded backend: everything in this process's memory.
    pub fn memory() -> Backends {
        let store = Arc::new(MemoryStore::new());
        let meter: Arc<dyn TransferMeter> = Arc::new(MemoryMeter::new());
        let limiter: Arc<dyn RateLimiter> = Arc::new(MemoryLimiter::new());
        let toll = Arc::new(InTurnToll::new(limiter.clone(), meter.clone()));
        Backends {
            ports: ports(
                store,
                Arc::new(MemoryCache::new()),
                Arc::new(MemoryNonces::new()),
                meter,
                limiter,
                toll,
            ),
            embedded: true,
        }
    }

    /// PostgreSQL and Redis as configured, with the schema migrated; or memory when neither is set.
    pub async fn connect(config: &Config) -> Result<Backends, BackendError> {
        match (&config.database_url, &config.redis_url) {
            (None, None) => Ok(Backends::memory()),
            (Some(database_url), Some(redis_url)) => {
                let pool = connect::postgres::pool(database_url, config)?;
                migrate::run(&pool)
                    .await
                    .map_err(|e| ConnectError::Postgres(e.to_string()))?;
                let redis = connect::redis::RedisLink::new(redis_url, config)?;
                let store = Arc::new(PostgresStore::new(pool));
                Ok(Backends {
                    ports: ports(
                        store,
                        Arc::new(RedisCache::new(redis.clone(), &config.redis_prefix)),
                        Arc::new(RedisNonces::new(redis.clone(), &config.redis_prefix)),
                        Arc::new(RedisMeter::new(redis.clone(), &config.redis_prefix)),
                        // Every request waits on the limiter first: its own connection
                        // keeps it from queueing behind the other scripts.
                        Arc::new(RedisLimiter::new(
                            connect::redis::RedisLink::new(redis_url, config)?,
                            &config.redis_prefix,
                        )),
                        // A served /get's token and charge: on the meter's connection,
                        // where the charge alone would run.
                        Arc::new(RedisToll::new(redis.clone(), &config.redis_prefix)),
                    ),
                    embedded: false,
                })
            }
            _ => Err(BackendError::HalfConfigured),
        }
    }
}
