//! Admitting one request under its client's rate limit of its class.

use std::time::Duration;

use super::error::ServiceError;
use super::handle::Service;
use super::ports::{Charge, RateLimit, Taken, Tolled};
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
                Err(self.refused(bucket, class, now_micros, retry_after_micros))
            }
            Err(err) => {
                tracing::warn!(error = %err, class = class.as_str(), "rate limiter unavailable; request let through");
                Ok(())
            }
        }
    }

    /// A refusal, counted and, for reads, remembered (only `read_pass` consults it).
    fn refused(
        &self,
        bucket: String,
        class: RateClass,
        now_micros: u64,
        retry_after_micros: u64,
    ) -> ServiceError {
        if class == RateClass::Reads {
            self.refusals
                .note(bucket, now_micros + retry_after_micros, now_micros);
        }
        METRICS
            .rate_limited
            .with_label_values(&[class.as_str()])
            .inc();
        ServiceError::RateLimited {
            retry_after: Duration::from_secs(rate::retry_after_secs(retry_after_micros)),
        }
    }

    /// Starts a read under `client`'s read limit. A client this replica refused lately is
    /// asked now, so a flood past its limit costs PostgreSQL nothing; any other client's
    /// token is left in the pass, to be taken once the read knows what it serves: with its
    /// bandwidth charge in one round trip (`pass_and_charge`) or alone (`pass_alone`).
    pub(super) async fn read_pass(&self, client: &Client) -> Result<ReadPass, ServiceError> {
        let Some(limit) = self.rate_limit(RateClass::Reads) else {
            return Ok(ReadPass { untaken: None });
        };
        let bucket = bucket_of(client, RateClass::Reads);
        if self.refusals.holds(&bucket, self.now_micros()) {
            self.admit_bucket(bucket, RateClass::Reads).await?;
            return Ok(ReadPass { untaken: None });
        }
        Ok(ReadPass {
            untaken: Some((bucket, limit)),
        })
    }

    /// Ends a read that charges nothing (not found, expired, 304, HEAD): its token alone.
    pub(super) async fn pass_alone(&self, pass: ReadPass) -> Result<(), ServiceError> {
        match pass.untaken {
            Some((bucket, _)) => self.admit_bucket(bucket, RateClass::Reads).await,
            None => Ok(()),
        }
    }

    /// Ends a read that serves `charge`: its token and the charge in one step; true when
    /// charged, false when the bucket can not pay. A refusal charges nothing.
    pub(super) async fn pass_and_charge(
        &self,
        pass: ReadPass,
        charge: Charge,
    ) -> Result<bool, ServiceError> {
        let Some((bucket, limit)) = pass.untaken else {
            return Ok(self.meter.charge_many(&[charge]).await?.first() == Some(&true));
        };
        let now_micros = self.now_micros();
        match self
            .toll
            .take_and_charge(&bucket, limit, now_micros, charge)
            .await?
        {
            Tolled::Charged => Ok(true),
            Tolled::Unpaid => Ok(false),
            Tolled::Refused { retry_after_micros } => {
                Err(self.refused(bucket, RateClass::Reads, now_micros, retry_after_micros))
            }
        }
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

/// A read's rate-limit token, taken once the read knows whether it serves a charge. Every
/// read ends in `pass_alone` or `pass_and_charge`, or its client goes uncounted.
#[must_use = "end the read with pass_alone or pass_and_charge, or it is never counted"]
pub(super) struct ReadPass {
    /// The bucket and limit still to take from; `None` when the limit is off or the token
    /// was taken before the read.
    untaken: Option<(String, RateLimit)>,
}

fn bucket_of(client: &Client, class: RateClass) -> String {
    format!("{}:{client}", class.as_str())
}
