//! Accounts, delegates and buckets in PostgreSQL.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::buckets::lock_capacity;
use super::errors::db_error;
use super::rows::{account_from_row, bucket_from_row, BUCKET_COLUMNS};
use super::PostgresStore;
use crate::domain::{Account, Bucket, BucketTerms};
use crate::service::ports::{Accounts, Grant, StoreError};
use crate::service::rules::{capacity, free_buckets};

#[async_trait]
impl Accounts for PostgresStore {
    #[tracing::instrument(name = "postgres.find_account", skip_all)]
    async fn find_account(&self, address: &str) -> Result<Option<Account>, StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached("SELECT id, address, contact FROM accounts WHERE address = $1")
            .await
            .map_err(db_error)?;
        let row = client
            .query_opt(&statement, &[&address])
            .await
            .map_err(db_error)?;
        Ok(row.as_ref().map(account_from_row))
    }

    #[tracing::instrument(name = "postgres.upsert_account", skip_all)]
    async fn upsert_account(
        &self,
        address: &str,
        contact: Option<&str>,
    ) -> Result<Account, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_one(
                "INSERT INTO accounts (address, contact) VALUES ($1, COALESCE($2, '')) \
                 ON CONFLICT (address) DO UPDATE SET contact = accounts.contact \
                 RETURNING id, address, contact",
                &[&address, &contact],
            )
            .await
            .map_err(db_error)?;
        Ok(account_from_row(&row))
    }

    #[tracing::instrument(name = "postgres.set_contact", skip_all)]
    async fn set_contact(&self, account_id: i64, contact: &str) -> Result<(), StoreError> {
        let client = self.client().await?;
        client
            .execute(
                "UPDATE accounts SET contact = $2 WHERE id = $1",
                &[&account_id, &contact],
            )
            .await
            .map_err(db_error)?;
        Ok(())
    }

    #[tracing::instrument(name = "postgres.add_delegate", skip_all)]
    async fn add_delegate(
        &self,
        account_id: i64,
        delegate: &str,
        proven: bool,
    ) -> Result<(), StoreError> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO delegates (account_id, delegate, proven) VALUES ($1, $2, $3) \
                 ON CONFLICT (account_id, delegate) DO UPDATE SET proven = delegates.proven OR $3",
                &[&account_id, &delegate, &proven],
            )
            .await
            .map_err(db_error)?;
        Ok(())
    }

    #[tracing::instrument(name = "postgres.is_proven_delegate", skip_all)]
    async fn is_proven_delegate(
        &self,
        account_id: i64,
        delegate: &str,
    ) -> Result<bool, StoreError> {
        let client = self.client().await?;
        // `proves_delegate` holds what `rules::delegate::proven_by` found when the pair was put.
        let row = client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM delegates \
                                WHERE account_id = $1 AND delegate = $2 AND proven) \
                     OR EXISTS (SELECT 1 FROM pairs \
                                WHERE account_id = $1 AND proves_delegate = $2)",
                &[&account_id, &delegate],
            )
            .await
            .map_err(db_error)?;
        Ok(row.get(0))
    }

    #[tracing::instrument(name = "postgres.buckets", skip_all)]
    async fn buckets(&self, account_id: i64) -> Result<Vec<Bucket>, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!("SELECT {BUCKET_COLUMNS} FROM buckets WHERE account_id = $1 ORDER BY id"),
                &[&account_id],
            )
            .await
            .map_err(db_error)?;
        rows.iter().map(|row| bucket_from_row(row, 0)).collect()
    }

    #[tracing::instrument(name = "postgres.grant_free_bucket", skip_all)]
    async fn grant_free_bucket(
        &self,
        account_id: i64,
        limit: i64,
        terms: BucketTerms,
        capacity: i64,
        now: OffsetDateTime,
    ) -> Result<Grant, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db_error)?;
        // The account row lock serializes concurrent grants, so the limit holds under races.
        tx.execute(
            "SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE",
            &[&account_id],
        )
        .await
        .map_err(db_error)?;
        let held: i64 = tx
            .query_one(
                "SELECT count(*) FROM buckets WHERE account_id = $1 AND free",
                &[&account_id],
            )
            .await
            .map_err(db_error)?
            .get(0);
        if !free_buckets::may_grant(held, limit) {
            return Ok(Grant::LimitReached);
        }
        let committed = lock_capacity(&tx).await.map_err(db_error)?;
        if !capacity::may_add(committed, terms.bytes_total, capacity) {
            return Ok(Grant::ServerFull);
        }
        let row = tx
            .query_one(
                &format!(
                    "INSERT INTO buckets (account_id, created_at, expires_at, status, free, bytes_total, transfer_total) \
                     VALUES ($1, $2, $3, 'active', $4, $5, $6) RETURNING {BUCKET_COLUMNS}"
                ),
                &[
                    &account_id,
                    &now,
                    &(now + terms.term),
                    &terms.free,
                    &terms.bytes_total,
                    &terms.transfer_total,
                ],
            )
            .await
            .map_err(db_error)?;
        let bucket = bucket_from_row(&row, 0)?;
        tx.commit().await.map_err(db_error)?;
        Ok(Grant::Granted(bucket))
    }

    #[tracing::instrument(name = "postgres.add_transfer", skip_all)]
    async fn add_transfer(&self, bucket_id: i64, bytes: i64) -> Result<(), StoreError> {
        let client = self.client().await?;
        client
            .execute(
                "UPDATE buckets SET transfer_used = transfer_used + $2 WHERE id = $1",
                &[&bucket_id, &bytes],
            )
            .await
            .map_err(db_error)?;
        Ok(())
    }

    #[tracing::instrument(name = "postgres.stored_bytes", skip_all)]
    async fn stored_bytes(&self) -> Result<i64, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_one(
                "SELECT COALESCE(sum(bytes_used), 0)::BIGINT FROM buckets",
                &[],
            )
            .await
            .map_err(db_error)?;
        Ok(row.get(0))
    }
}
