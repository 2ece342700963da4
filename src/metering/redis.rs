//! The meter in Redis: one counter per bucket plus a set of buckets with pending charges.

use async_trait::async_trait;
use redis::Script;

use crate::connect::redis::RedisLink;
use crate::service::ports::{Charge, MeterError, TransferMeter};
use crate::telemetry::metrics::METRICS;

pub struct RedisMeter {
    link: RedisLink,
    prefix: String,
    charge: Script,
    drain: Script,
}

/// `charge(dirty, counter, bytes, folded, allowance, bucket id)`, each as the string a
/// caller sent: `rules::bandwidth::fits` on the server (folded + pending + bytes within the
/// allowance), then the charge and the bucket marked dirty; 1 when charged, else 0. The
/// strings go to INCRBY and SADD as sent (a Lua number could print as `1e+15`). A Lua
/// function so the read toll's script (`tolls::RedisToll`) runs the same one.
pub(crate) const CHARGE_FN: &str = r#"
local function charge(dirty, counter, bytes, folded, allowance, id)
  local pending = tonumber(redis.call('GET', counter) or '0')
  if tonumber(folded) + pending + tonumber(bytes) > tonumber(allowance) then return 0 end
  redis.call('INCRBY', counter, bytes)
  redis.call('SADD', dirty, id)
  return 1
end
"#;

// KEYS: dirty set, then one counter per charge. ARGV: bytes, folded, allowance, bucket id
// per charge. Charges to one bucket in one call see each other; 1 or 0 per charge.
const CHARGE: &str = r#"
local charged = {}
for i = 2, #KEYS do
  local a = (i - 2) * 4
  charged[i - 1] = charge(KEYS[1], KEYS[i], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4])
end
return charged
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
            charge: Script::new(&format!("{CHARGE_FN}{CHARGE}")),
            drain: Script::new(DRAIN),
        }
    }

    fn counter_key(&self, bucket_id: i64) -> String {
        counter_key(&self.prefix, bucket_id)
    }

    fn dirty_key(&self) -> String {
        dirty_key(&self.prefix)
    }
}

/// The Redis key of a bucket's pending charges.
pub(crate) fn counter_key(prefix: &str, bucket_id: i64) -> String {
    format!("{prefix}transfer:{bucket_id}")
}

/// The Redis set of buckets with pending charges.
pub(crate) fn dirty_key(prefix: &str) -> String {
    format!("{prefix}transfer:dirty")
}

pub(crate) fn unavailable(err: redis::RedisError) -> MeterError {
    METRICS.redis_errors.inc();
    MeterError(err.to_string())
}

#[async_trait]
impl TransferMeter for RedisMeter {
    #[tracing::instrument(name = "redis.charge_many", skip_all)]
    async fn charge_many(&self, charges: &[Charge]) -> Result<Vec<bool>, MeterError> {
        let _timer = METRICS.time_redis("charge_many");
        if charges.is_empty() {
            return Ok(Vec::new());
        }
        let mut connection = self.link.connection().await.map_err(unavailable)?;
        let mut invocation = self.charge.key(self.dirty_key());
        for charge in charges {
            invocation
                .key(self.counter_key(charge.bucket_id))
                .arg(charge.bytes)
                .arg(charge.folded)
                .arg(charge.allowance)
                .arg(charge.bucket_id);
        }
        let charged: Vec<i64> = invocation
            .invoke_async(&mut connection)
            .await
            .map_err(unavailable)?;
        Ok(charged.into_iter().map(|c| c == 1).collect())
    }

    #[tracing::instrument(name = "redis.pending", skip_all)]
    async fn pending(&self, bucket_id: i64) -> Result<i64, MeterError> {
        let _timer = METRICS.time_redis("pending");
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
        let _timer = METRICS.time_redis("drain");
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
        let _timer = METRICS.time_redis("restore");
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
