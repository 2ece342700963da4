//! The shared cache in Redis: one key per entry, expired by Redis itself.

use std::time::Duration;

use async_trait::async_trait;

use crate::connect::redis::RedisLink;
use crate::service::ports::{Cache, CacheError};
use crate::telemetry::metrics::METRICS;

pub struct RedisCache {
    link: RedisLink,
    prefix: String,
}

impl RedisCache {
    pub fn new(link: RedisLink, prefix: &str) -> RedisCache {
        RedisCache {
            link,
            prefix: format!("{prefix}cache:"),
        }
    }
}

fn unavailable(err: redis::RedisError) -> CacheError {
    METRICS.redis_errors.inc();
    CacheError(err.to_string())
}

#[async_trait]
impl Cache for RedisCache {
    #[tracing::instrument(name = "redis.get", skip_all)]
    async fn get(&self, key: &str) -> Result<Option<String>, CacheError> {
        let _timer = METRICS.time_redis("get");
        let mut connection = self.link.connection().await.map_err(unavailable)?;
        redis::cmd("GET")
            .arg(format!("{}{key}", self.prefix))
            .query_async(&mut connection)
            .await
            .map_err(unavailable)
    }

    #[tracing::instrument(name = "redis.set", skip_all)]
    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<(), CacheError> {
        let _timer = METRICS.time_redis("set");
        let mut connection = self.link.connection().await.map_err(unavailable)?;
        redis::cmd("SET")
            .arg(format!("{}{key}", self.prefix))
            .arg(value)
            .arg("PX")
            .arg(ttl.as_millis().max(1) as u64)
            .query_async::<()>(&mut connection)
            .await
            .map_err(unavailable)
    }
}
