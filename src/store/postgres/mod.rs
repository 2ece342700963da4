//! The PostgreSQL store: each port's writes are one transaction that locks what the rule
//! needs, calls the rule and applies its answer; CHECK constraints and conditional updates
//! stay as the last line of defence under races.

mod accounts;
mod buckets;
pub(super) mod documents;
mod errors;
mod ledger;
mod lifecycle;
mod pairs;
mod rows;

use async_trait::async_trait;
use deadpool_postgres::Pool;

use crate::service::ports::{Health, PoolStatus, StoreError};
use crate::telemetry::metrics::METRICS;
use errors::{db_error, pool_error};

pub struct PostgresStore {
    pool: Pool,
}

impl PostgresStore {
    pub fn new(pool: Pool) -> PostgresStore {
        PostgresStore { pool }
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool.get().await.map_err(pool_error)
    }
}

#[async_trait]
impl Health for PostgresStore {
    #[tracing::instrument(name = "postgres.ping", skip_all)]
    async fn ping(&self) -> Result<(), StoreError> {
        let _timer = METRICS.time_postgres("ping");
        let client = self.client().await?;
        client.simple_query("SELECT 1").await.map_err(db_error)?;
        Ok(())
    }

    fn pool_status(&self) -> Option<PoolStatus> {
        let status = self.pool.status();
        Some(PoolStatus {
            size: status.size,
            available: status.available,
            waiting: status.waiting,
        })
    }
}
