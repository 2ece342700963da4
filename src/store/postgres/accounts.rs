//! Accounts, delegates and buckets in PostgreSQL.

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use time::OffsetDateTime;

use super::buckets::{lock_capacity, SOLD_BYTES};
use super::errors::db_error;
use super::rows::{account_from_row, bucket_from_row, BUCKET_COLUMNS};
use super::PostgresStore;
use crate::domain::{Account, Bucket, BucketTerms};
use crate::service::ports::{
    Accounts, DelegateState, Grant, ProofId, ProofVerdict, StorageTotals, StoreError,
};
use crate::service::rules::{capacity, delegate, free_buckets};
use crate::telemetry::metrics::METRICS;

/// The account's current proof and whether `proof` was spent; `lock` is `" FOR UPDATE"` when
/// the caller goes on to change them.
async fn read_delegate_state(
    client: &impl GenericClient,
    account_id: i64,
    proof: &ProofId,
    lock: &str,
) -> Result<DelegateState, StoreError> {
    let row = client
        .query_one(
            &format!(
                "SELECT delegate_proof, EXISTS (SELECT 1 FROM spent_proofs \
                   WHERE account_id = $1 AND proof = $2) FROM accounts WHERE id = $1{lock}"
            ),
            &[&account_id, &proof.as_slice()],
        )
        .await
        .map_err(db_error)?;
    let current: Option<Vec<u8>> = row.get(0);
    Ok(DelegateState {
        current_proof: current.and_then(|bytes| bytes.try_into().ok()),
        spent: row.get(1),
    })
}

#[async_trait]
impl Accounts for PostgresStore {
    #[tracing::instrument(name = "postgres.find_account", skip_all)]
    async fn find_account(&self, address: &str) -> Result<Option<Account>, StoreError> {
        let _timer = METRICS.time_postgres("find_account");
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
        let _timer = METRICS.time_postgres("upsert_account");
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
        let _timer = METRICS.time_postgres("set_contact");
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

    #[tracing::instrument(name = "postgres.add_claimed_delegate", skip_all)]
    async fn add_claimed_delegate(
        &self,
        account_id: i64,
        delegate: &str,
    ) -> Result<(), StoreError> {
        let _timer = METRICS.time_postgres("add_claimed_delegate");
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO delegates (account_id, delegate, proven) VALUES ($1, $2, false) \
                 ON CONFLICT (account_id, delegate) DO NOTHING",
                &[&account_id, &delegate],
            )
            .await
            .map_err(db_error)?;
        Ok(())
    }

    #[tracing::instrument(name = "postgres.delegate_state", skip_all)]
    async fn delegate_state(
        &self,
        account_id: i64,
        proof: &ProofId,
    ) -> Result<DelegateState, StoreError> {
        let _timer = METRICS.time_postgres("delegate_state");
        let client = self.client().await?;
        read_delegate_state(&client, account_id, proof, "").await
    }

    #[tracing::instrument(name = "postgres.adopt_delegate", skip_all)]
    async fn adopt_delegate(
        &self,
        account_id: i64,
        delegate: Option<&str>,
        proof: &ProofId,
    ) -> Result<ProofVerdict, StoreError> {
        let _timer = METRICS.time_postgres("adopt_delegate");
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db_error)?;
        let state = read_delegate_state(&tx, account_id, proof, " FOR UPDATE").await?;
        let verdict = delegate::judge(&state, proof);
        if verdict == ProofVerdict::Adopt {
            tx.execute(
                "UPDATE accounts SET delegate = $2, delegate_proof = $3 WHERE id = $1",
                &[&account_id, &delegate, &proof.as_slice()],
            )
            .await
            .map_err(db_error)?;
            tx.execute(
                "INSERT INTO spent_proofs (account_id, proof) VALUES ($1, $2) \
                 ON CONFLICT DO NOTHING",
                &[&account_id, &proof.as_slice()],
            )
            .await
            .map_err(db_error)?;
        }
        tx.commit().await.map_err(db_error)?;
        Ok(verdict)
    }

    #[tracing::instrument(name = "postgres.spend_proof", skip_all)]
    async fn spend_proof(&self, account_id: i64, proof: &ProofId) -> Result<bool, StoreError> {
        let _timer = METRICS.time_postgres("spend_proof");
        let client = self.client().await?;
        let inserted = client
            .execute(
                "INSERT INTO spent_proofs (account_id, proof) VALUES ($1, $2) \
                 ON CONFLICT DO NOTHING",
                &[&account_id, &proof.as_slice()],
            )
            .await
            .map_err(db_error)?;
        Ok(inserted == 1)
    }

    #[tracing::instrument(name = "postgres.is_proven_delegate", skip_all)]
    async fn is_proven_delegate(
        &self,
        account_id: i64,
        delegate: &str,
    ) -> Result<bool, StoreError> {
        let _timer = METRICS.time_postgres("is_proven_delegate");
        let client = self.client().await?;
        let statement = client
            .prepare_cached("SELECT delegate = $2 FROM accounts WHERE id = $1")
            .await
            .map_err(db_error)?;
        let row = client
            .query_opt(&statement, &[&account_id, &delegate])
            .await
            .map_err(db_error)?;
        Ok(row.and_then(|row| row.get::<_, Option<bool>>(0)) == Some(true))
    }

    #[tracing::instrument(name = "postgres.buckets", skip_all)]
    async fn buckets(&self, account_id: i64) -> Result<Vec<Bucket>, StoreError> {
        let _timer = METRICS.time_postgres("buckets");
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

    #[tracing::instrument(name = "postgres.buckets_by_id", skip_all)]
    async fn buckets_by_id(&self, ids: &[i64]) -> Result<Vec<Bucket>, StoreError> {
        let _timer = METRICS.time_postgres("buckets_by_id");
        let client = self.client().await?;
        let statement = client
            .prepare_cached(&format!(
                "SELECT {BUCKET_COLUMNS} FROM buckets WHERE id = ANY($1)"
            ))
            .await
            .map_err(db_error)?;
        let rows = client.query(&statement, &[&ids]).await.map_err(db_error)?;
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
        let _timer = METRICS.time_postgres("grant_free_bucket");
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
        let _timer = METRICS.time_postgres("add_transfer");
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

    #[tracing::instrument(name = "postgres.storage_totals", skip_all)]
    async fn storage_totals(&self) -> Result<StorageTotals, StoreError> {
        let _timer = METRICS.time_postgres("storage_totals");
        let client = self.client().await?;
        let row = client
            .query_one(
                &format!("SELECT COALESCE(sum(bytes_used), 0)::BIGINT, {SOLD_BYTES} FROM buckets"),
                &[],
            )
            .await
            .map_err(db_error)?;
        Ok(StorageTotals {
            stored: row.get(0),
            sold: row.get(1),
        })
    }
}
