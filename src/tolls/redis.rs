//! The read toll in Redis: the rate limiter's `take` and the meter's `charge` in one script,
//! so a served `/get` makes one round trip for both.

use async_trait::async_trait;
use redis::Script;

use crate::connect::redis::RedisLink;
use crate::limits::{rate_key, TAKE_FN};
use crate::metering::{counter_key, dirty_key, unavailable, CHARGE_FN};
use crate::service::ports::{Charge, MeterError, RateLimit, ReadToll, Tolled};
use crate::service::rules::rate;
use crate::telemetry::metrics::METRICS;

pub struct RedisToll {
    link: RedisLink,
    prefix: String,
    toll: Script,
}

// KEYS: rate bucket, dirty set, counter. ARGV: now, interval, burst, grace, then bytes,
// folded, allowance, bucket id. Returns {wait, charged}: a refusal charges nothing.
const TOLL: &str = r#"
local wait = take(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]))
if wait > 0 then return {wait, 0} end
return {0, charge(KEYS[2], KEYS[3], ARGV[5], ARGV[6], ARGV[7], ARGV[8])}
"#;

impl RedisToll {
    /// On the meter's connection (the charge it replaces ran there); the limiter's keys and
    /// the meter's share `prefix` with the adapters that own them.
    pub fn new(link: RedisLink, prefix: &str) -> RedisToll {
        RedisToll {
            link,
            prefix: prefix.to_owned(),
            toll: Script::new(&format!("{TAKE_FN}{CHARGE_FN}{TOLL}")),
        }
    }
}

#[async_trait]
impl ReadToll for RedisToll {
    #[tracing::instrument(name = "redis.toll", skip_all)]
    async fn take_and_charge(
        &self,
        rate_bucket: &str,
        limit: RateLimit,
        now_micros: u64,
        charge: Charge,
    ) -> Result<Tolled, MeterError> {
        let _timer = METRICS.time_redis("toll");
        let mut connection = self.link.connection().await.map_err(unavailable)?;
        let (wait, charged): (u64, i64) = self
            .toll
            .key(rate_key(&self.prefix, rate_bucket))
            .key(dirty_key(&self.prefix))
            .key(counter_key(&self.prefix, charge.bucket_id))
            .arg(now_micros)
            .arg(limit.interval_micros)
            .arg(limit.burst_micros)
            .arg(rate::KEEP_GRACE_MICROS)
            .arg(charge.bytes)
            .arg(charge.folded)
            .arg(charge.allowance)
            .arg(charge.bucket_id)
            .invoke_async(&mut connection)
            .await
            .map_err(unavailable)?;
        Ok(match (wait, charged) {
            (0, 1) => Tolled::Charged,
            (0, _) => Tolled::Unpaid,
            (retry_after_micros, _) => Tolled::Refused { retry_after_micros },
        })
    }
}
