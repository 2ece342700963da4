//! One lazily opened Redis connection shared by the nonce store and the meter.
//!
//! Lazy so a replica starts (and answers 503) while Redis is down, and recovers on its own
//! once Redis is back: the connection manager reconnects after a failure.

use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::OnceCell;

use super::ConnectError;
use crate::config::Config;

#[derive(Clone)]
pub struct RedisLink {
    client: redis::Client,
    timeout: Duration,
    connection: Arc<OnceCell<ConnectionManager>>,
}

impl RedisLink {
    pub fn new(redis_url: &str, config: &Config) -> Result<RedisLink, ConnectError> {
        let client = redis::Client::open(redis_url)
            .map_err(|e| ConnectError::Redis(format!("bad REDIS_URL: {e}")))?;
        Ok(RedisLink {
            client,
            timeout: config.backend_timeout(),
            connection: Arc::new(OnceCell::new()),
        })
    }

    /// A connection, opened on first use; fails fast while Redis is unreachable.
    pub async fn connection(&self) -> Result<ConnectionManager, redis::RedisError> {
        // A failed open leaves the cell empty, so the next request tries again.
        let connection = self
            .connection
            .get_or_try_init(|| async {
                let settings = ConnectionManagerConfig::new()
                    .set_connection_timeout(self.timeout)
                    .set_response_timeout(self.timeout)
                    .set_number_of_retries(1);
                tokio::time::timeout(
                    self.timeout,
                    ConnectionManager::new_with_config(self.client.clone(), settings),
                )
                .await
                .map_err(|_| {
                    redis::RedisError::from((
                        redis::ErrorKind::IoError,
                        "redis connection timed out",
                    ))
                })?
            })
            .await?;
        Ok(connection.clone())
    }
}
