//! Rate limits in Redis, so every replica counts a client against the same bucket: one key
//! per (class, client) holding its TAT, updated by one Lua script per request.

use async_trait::async_trait;
use redis::Script;

use crate::connect::redis::RedisLink;
use crate::service::ports::{LimiterError, RateLimit, RateLimiter, Taken};
use crate::service::rules::rate;
use crate::telemetry::metrics::METRICS;

pub struct RedisLimiter {
    link: RedisLink,
    prefix: String,
    take: Script,
}

/// `take(key, now, interval, burst, grace)`, all numbers in microseconds: 0 when allowed,
/// else the microseconds until a request would be. The same arithmetic as
/// `rules::rate::judge` (Lua numbers are doubles: exact for Unix microseconds until the year
/// 2255). The key expires a grace after the bucket is full again, so idle clients cost
/// nothing. A Lua function so the read toll's script (`tolls::RedisToll`) runs the same one.
pub(crate) const TAKE_FN: &str = r#"
local function take(key, now, interval, burst, grace)
  local tat = tonumber(redis.call('GET', key) or '0')
  if tat < now then tat = now end
  local ahead = tat - now
  if ahead > burst then return ahead - burst end
  local nextat = tat + interval
  redis.call('SET', key, string.format('%.0f', nextat), 'PX', math.ceil((nextat - now + grace) / 1000))
  return 0
end
"#;

// KEYS: the bucket. ARGV: now, interval, burst, grace.
const TAKE: &str = "return take(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]))";

/// The Redis key of one rate bucket (a class and a client).
pub(crate) fn rate_key(prefix: &str, bucket: &str) -> String {
    format!("{prefix}rate:{bucket}")
}

impl RedisLimiter {
    pub fn new(link: RedisLink, prefix: &str) -> RedisLimiter {
        RedisLimiter {
            link,
            prefix: prefix.to_owned(),
            take: Script::new(&format!("{TAKE_FN}{TAKE}")),
        }
    }
}

fn unavailable(err: redis::RedisError) -> LimiterError {
    METRICS.redis_errors.inc();
    LimiterError(err.to_string())
}

#[async_trait]
impl RateLimiter for RedisLimiter {
    #[tracing::instrument(name = "redis.rate", skip_all)]
    async fn take(
        &self,
        bucket: &str,
        limit: RateLimit,
        now_micros: u64,
    ) -> Result<Taken, LimiterError> {
        let _timer = METRICS.time_redis("rate");
        let mut connection = self.link.connection().await.map_err(unavailable)?;
        let wait: u64 = self
            .take
            .key(rate_key(&self.prefix, bucket))
            .arg(now_micros)
            .arg(limit.interval_micros)
            .arg(limit.burst_micros)
            .arg(rate::KEEP_GRACE_MICROS)
            .invoke_async(&mut connection)
            .await
            .map_err(unavailable)?;
        Ok(match wait {
            0 => Taken::Allowed,
            retry_after_micros => Taken::Refused { retry_after_micros },
        })
    }
}
