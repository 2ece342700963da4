//! The meter in Redis: one counter per bucket plus a set of buckets with pending charges.

use async_trait::async_trait;
use redis::Script;

use crate::connect::redis::RedisLink;
use crate::service::ports::{MeterError, TransferMeter};

pub struct RedisMeter {
    link: RedisLink,
    prefix: String,
    charge: Script,
    drain: Script,
}

// KEYS: counter, dirty set. ARGV: bytes, folded, allowance, bucket id.
const CHARGE: &str = r#"
local pending = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[2]) + pending + tonumber(ARGV[1]) > tonumber(ARGV[3]) then return 0 end
redis.call('INCRBY', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[4])
return 1
"#;

// KEYS: counter, dirty set. ARGV: bucket id. Takes the counter and forgets the bucket at once.
const DRAIN: &str = r#"
local pending = tonumber(redis.call('GET', KEYS[1]) or '0')
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
return pending
"#;

impl RedisMeter {
    pub fn new(link: RedisLink, prefix: &str) -> RedisMeter {
        RedisMeter {
            link,
            prefix: prefix.to_owned(),
            charge: Script::new(CHARGE),
            drain: Script::new(DRAIN),
        }
    }

    fn counter_key(&self, bucket_id: i64) -> String {
        format!("{}transfer:{bucket_id}", self.prefix)
    }

    fn dirty_key(&self) -> String {
        format!("{}transfer:dirty", self.prefix)
    }
}

fn unavailable(err: redis::RedisError) -> MeterError {
    crate::telemetry::metrics::METRICS.redis_errors.inc();
    MeterError(err.to_string())
}

#[async_trait]
impl TransferMeter for RedisMeter {
    #[tracing::instrument(name = "redis.charge", skip_all)]
    async fn charge(
        &self,
        bucket_id: i64,
        bytes: i64,
        folded: i64,
        allowance: i64,
    ) -> Result<bool, MeterError> {
        let mut connection = self.link.connection().await.map_err(unavailable)?;
        let charged: i64 = self
            .charge
            .key(self.counter_key(bucket_id))
            .key(self.dirty_key())
            .arg(bytes)
            .arg(folded)
            .arg(allowance)
            .arg(bucket_id)
            .invoke_async(&mut connection)
            .await
            .map_err(unavailable)?;
        Ok(charged == 1)
    }

    #[tracing::instrument(name = "redis.pending", skip_all)]
    async fn pending(&self, bucket_id: i64) -> Result<i64, MeterError> {
        let mut connection = self.link.connection().await.map_err(unavailable)?;
        let pending: Option<i64> = redis::cmd("GET")
            .arg(self.counter_key(bucket_id))
            .query_async(&mut connection)
            .await
            .map_err(unavailable)?;
        Ok(pending.unwrap_or(0))
    }

    #[tracing::instrument(name = "redis.drain", skip_all)]
    async fn drain(&self) -> Result<Vec<(i64, i64)>, MeterError> {
        let mut connection = self.link.connection().await.map_err(unavailable)?;
        let dirty: Vec<i64> = redis::cmd("SMEMBERS")
            .arg(self.dirty_key())
            .query_async(&mut connection)
            .await
            .map_err(unavailable)?;
        let mut drained = Vec::with_capacity(dirty.len());
        for bucket_id in dirty {
            let bytes: i64 = self
                .drain
                .key(self.counter_key(bucket_id))
                .key(self.dirty_key())
                .arg(bucket_id)
                .invoke_async(&mut connection)
                .await
                .map_err(unavailable)?;
            if bytes > 0 {
                drained.push((bucket_id, bytes));
            }
        }
        Ok(drained)
    }

    #[tracing::instrument(name = "redis.restore", skip_all)]
    async fn restore(&self, bucket_id: i64, bytes: i64) -> Result<(), MeterError> {
        let mut connection = self.link.connection().await.map_err(unavailable)?;
        redis::pipe()
            .atomic()
            .cmd("INCRBY")
            .arg(self.counter_key(bucket_id))
            .arg(bytes)
            .ignore()
            .cmd("SADD")
            .arg(self.dirty_key())
            .arg(bucket_id)
            .ignore()
            .query_async::<()>(&mut connection)
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}
