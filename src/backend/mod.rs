//! Connects the stores the configuration names: PostgreSQL + Redis, or the embedded memory backend.

pub mod migrate;
pub mod postgres;
pub mod redis;

use std::sync::Arc;

use crate::cache::{Cache, MemoryCache, RedisCache};
use crate::config::Config;
use crate::metering::{MemoryMeter, RedisMeter, TransferMeter};
use crate::nonces::{MemoryNonces, NonceStore, RedisNonces};
use crate::store::{Documents, Ledger, Lifecycle, MemoryStore, PostgresStore, Store};

/// The backing services one replica talks to.
#[derive(Clone)]
pub struct Backends {
    pub store: Arc<dyn Store>,
    pub ledger: Arc<dyn Ledger>,
    pub lifecycle: Arc<dyn Lifecycle>,
    pub documents: Arc<dyn Documents>,
    pub cache: Arc<dyn Cache>,
    pub nonces: Arc<dyn NonceStore>,
    pub meter: Arc<dyn TransferMeter>,
    /// True when nothing survives a restart.
    pub embedded: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("set both DATABASE_URL and REDIS_URL, or neither for the embedded memory backend")]
    HalfConfigured,
    #[error("postgresql: {0}")]
    Postgres(String),
    #[error("redis: {0}")]
    Redis(String),
}

impl Backends {
    /// The embedded backend: everything in this process's memory.
    pub fn memory() -> Backends {
        let store = Arc::new(MemoryStore::new());
        Backends {
            store: store.clone(),
            ledger: store.clone(),
            lifecycle: store.clone(),
            documents: store,
            cache: Arc::new(MemoryCache::new()),
            nonces: Arc::new(MemoryNonces::new()),
            meter: Arc::new(MemoryMeter::new()),
            embedded: true,
        }
    }

    /// PostgreSQL and Redis as configured, with the schema migrated; or memory when neither is set.
    pub async fn connect(config: &Config) -> Result<Backends, BackendError> {
        match (&config.database_url, &config.redis_url) {
            (None, None) => Ok(Backends::memory()),
            (Some(database_url), Some(redis_url)) => {
                let pool = postgres::pool(database_url, config)?;
                migrate::run(&pool)
                    .await
                    .map_err(|e| BackendError::Postgres(e.to_string()))?;
                let redis = redis::RedisLink::new(redis_url, config)?;
                let store = Arc::new(PostgresStore::new(pool));
                Ok(Backends {
                    store: store.clone(),
                    ledger: store.clone(),
                    lifecycle: store.clone(),
                    documents: store,
                    cache: Arc::new(RedisCache::new(redis.clone(), &config.redis_prefix)),
                    nonces: Arc::new(RedisNonces::new(redis.clone(), &config.redis_prefix)),
                    meter: Arc::new(RedisMeter::new(redis, &config.redis_prefix)),
                    embedded: false,
                })
            }
            _ => Err(BackendError::HalfConfigured),
        }
    }
}
