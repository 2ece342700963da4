//! Admitting one request under its client's rate limit of its class.

use std::future::Future;
use std::time::Duration;

use super::error::ServiceError;
use super::handle::Service;
use super::ports::{RateLimit, StoreError, Taken};
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
        self.admit_bucket(bucket_of(client, class), class).await
    }

    /// `admit_client` for the bucket `bucket_of(client, class)` names.
    async fn admit_bucket(&self, bucket: String, class: RateClass) -> Result<(), ServiceError> {
        let Some(limit) = self.rate_limit(class) else {
            return Ok(());
        };
        let now_micros = self.now_micros();
        match self.limiter.take(&bucket, limit, now_micros).await {
            Ok(Taken::Allowed) => Ok(()),
            Ok(Taken::Refused { retry_after_micros }) => {
                // Only reads consult the refusals (`admitted_read`), so only they are kept.
                if class == RateClass::Reads {
                    self.refusals
                        .note(bucket, now_micros + retry_after_micros, now_micros);
                }
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

    /// Runs `read` (which must change nothing) under `client`'s read limit. A client in good
    /// standing waits for one round trip, not two: the limiter and the read run together,
    /// and a refusal discards what was read. One this replica refused lately is checked
    /// first, so a client flooding past its limit costs PostgreSQL nothing.
    pub(super) async fn admitted_read<T>(
        &self,
        client: &Client,
        read: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, ServiceError> {
        let bucket = bucket_of(client, RateClass::Reads);
        if self.refusals.holds(&bucket, self.now_micros()) {
            self.admit_bucket(bucket, RateClass::Reads).await?;
            return Ok(read.await?);
        }
        let (admitted, read) = futures::join!(self.admit_bucket(bucket, RateClass::Reads), read);
        admitted?;
        Ok(read?)
    }

    fn now_micros(&self) -> u64 {
        u64::try_from(self.clock.now().unix_timestamp_nanos() / 1000).unwrap_or(0)
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

fn bucket_of(client: &Client, class: RateClass) -> String {
    format!("{}:{client}", class.as_str())
}
