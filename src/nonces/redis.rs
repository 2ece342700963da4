//! Nonces in Redis, so any replica accepts a nonce another issued: one key per issued nonce,
//! expired by Redis itself. Admission and release are Lua scripts: atomic, one round trip.

use std::time::Duration;

use async_trait::async_trait;
use redis::Script;

use crate::connect::redis::RedisLink;
use crate::domain::Nonce;
use crate::service::ports::{Admission, NonceStore, NonceStoreError, RequestId};
use crate::telemetry::metrics::METRICS;

pub struct RedisNonces {
    link: RedisLink,
    prefix: String,
    admit: Script,
    release: Script,
}

// KEYS: nonce, used-marker. ARGV: ttl, consume. The marker is SET NX so of N identical
// requests in flight exactly one gets through; it lives as long as any nonce can.
const ADMIT: &str = r#"
if redis.call('EXISTS', KEYS[1]) == 0 then return 'bad_nonce' end
if not redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[1]) then return 'replayed' end
if ARGV[2] == '1' then redis.call('DEL', KEYS[1]) end
return 'accepted'
"#;

const RELEASE: &str = r#"
redis.call('DEL', KEYS[2])
if ARGV[2] == '1' then redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) end
return 1
"#;

impl RedisNonces {
    pub fn new(link: RedisLink, prefix: &str) -> RedisNonces {
        RedisNonces {
            link,
            prefix: prefix.to_owned(),
            admit: Script::new(ADMIT),
            release: Script::new(RELEASE),
        }
    }

    /// One key per issued nonce: each caller's nonce lives on its own, so nobody can end
    /// or replace another caller's.
    fn nonce_key(&self, account: &str, nonce: &Nonce) -> String {
        format!("{}nonce:{account}:{nonce}", self.prefix)
    }

    fn used_key(&self, request: &RequestId) -> String {
        format!("{}used:{}", self.prefix, hex::encode(request))
    }
}

fn unavailable(err: redis::RedisError) -> NonceStoreError {
    METRICS.redis_errors.inc();
    NonceStoreError(err.to_string())
}

fn ttl_secs(ttl: Duration) -> u64 {
    ttl.as_secs().max(1)
}

#[async_trait]
impl NonceStore for RedisNonces {
    #[tracing::instrument(name = "redis.ping", skip_all)]
    async fn ping(&self) -> Result<(), NonceStoreError> {
        let _timer = METRICS.time_redis("ping");
        let mut connection = self.link.connection().await.map_err(unavailable)?;
        redis::cmd("PING")
            .query_async::<String>(&mut connection)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    #[tracing::instrument(name = "redis.issue", skip_all)]
    async fn issue(
        &self,
        account: &str,
        fresh: &Nonce,
        ttl: Duration,
    ) -> Result<Nonce, NonceStoreError> {
        let _timer = METRICS.time_redis("issue");
        let mut connection = self.link.connection().await.map_err(unavailable)?;
        redis::cmd("SET")
            .arg(self.nonce_key(account, fresh))
            .arg("1")
            .arg("EX")
            .arg(ttl_secs(ttl))
            .query_async::<()>(&mut connection)
            .await
            .map_err(unavailable)?;
        Ok(fresh.clone())
    }

    #[tracing::instrument(name = "redis.clear", skip_all)]
    async fn clear(&self, account: &str, nonce: &Nonce) -> Result<(), NonceStoreError> {
        let _timer = METRICS.time_redis("clear");
        let mut connection = self.link.connection().await.map_err(unavailable)?;
        redis::cmd("DEL")
            .arg(self.nonce_key(account, nonce))
            .query_async::<i64>(&mut connection)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    #[tracing::instrument(name = "redis.admit", skip_all)]
    async fn admit(
        &self,
        account: &str,
        nonce: &Nonce,
        request: &RequestId,
        ttl: Duration,
        consume: bool,
    ) -> Result<Admission, NonceStoreError> {
        let _timer = METRICS.time_redis("admit");
        let mut connection = self.link.connection().await.map_err(unavailable)?;
        let verdict: String = self
            .admit
            .key(self.nonce_key(account, nonce))
            .key(self.used_key(request))
            .arg(ttl_secs(ttl))
            .arg(if consume { "1" } else { "0" })
            .invoke_async(&mut connection)
            .await
            .map_err(unavailable)?;
        match verdict.as_str() {
            "accepted" => Ok(Admission::Accepted),
            "bad_nonce" => Ok(Admission::BadNonce),
            "replayed" => Ok(Admission::Replayed),
            other => Err(NonceStoreError(format!(
                "unexpected admit verdict {other:?}"
            ))),
        }
    }

    #[tracing::instrument(name = "redis.release", skip_all)]
    async fn release(
        &self,
        account: &str,
        nonce: &Nonce,
        request: &RequestId,
        ttl: Duration,
        consumed: bool,
    ) -> Result<(), NonceStoreError> {
        let _timer = METRICS.time_redis("release");
        let mut connection = self.link.connection().await.map_err(unavailable)?;
        self.release
            .key(self.nonce_key(account, nonce))
            .key(self.used_key(request))
            .arg(ttl_secs(ttl))
            .arg(if consumed { "1" } else { "0" })
            .invoke_async::<i64>(&mut connection)
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}
