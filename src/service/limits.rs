//! Admitting one request under its client's rate limit of its class.

use std::time::Duration;

use super::error::ServiceError;
use super::handle::Service;
use super::ports::{RateLimit, Taken};
use super::rules::rate::{self, RateClass};
use crate::domain::Client;
use crate::telemetry::metrics::METRICS;

const SECOND: u64 = 1_000_000;
const HOUR: u64 = 3600 * SECOND;

impl Service {
    /// Counts one request of `class` from `client`; `429 rate_limited` when it is over its
    /// limit. A limiter that can not be reached lets the request through: an outage of the
    /// shared counters must not turn into an outage of the API (and signed requests still
    /// need Redis for their nonces).
    pub async fn admit_client(
        &self,
        client: &Client,
        class: RateClass,
    ) -> Result<(), ServiceError> {
        let Some(limit) = self.rate_limit(class) else {
            return Ok(());
        };
        let bucket = format!("{}:{client}", class.as_str());
        let now = self.clock.now();
        let now_micros = u64::try_from(now.unix_timestamp_nanos() / 1000).unwrap_or(0);
        match self.limiter.take(&bucket, limit, now_micros).await {
            Ok(Taken::Allowed) => Ok(()),
            Ok(Taken::Refused { retry_after_micros }) => {
                METRICS
                    .rate_limited
                    .with_label_values(&[class.as_str()])
                    .inc();
                Err(ServiceError::RateLimited {
                    retry_after: Duration::from_secs(rate::retry_after_secs(retry_after_micros)),
                })
            }
            Err(err) => {
                tracing::warn!(error = %err, class = class.as_str(), "rate limiter unavailable; request let through");
                Ok(())
            }
        }
    }

    fn rate_limit(&self, class: RateClass) -> Option<RateLimit> {
        let config = &self.config;
        match class {
            RateClass::Reads => rate::limit(config.rate_reads_per_sec, SECOND),
            RateClass::Nonces => rate::limit(config.rate_nonces_per_sec, SECOND),
            RateClass::Writes => rate::limit(config.rate_writes_per_sec, SECOND),
            RateClass::NewAccounts => rate::limit(config.rate_new_accounts_per_hour, HOUR),
        }
    }
}
