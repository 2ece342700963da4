//! The PostgreSQL ledger: the account row is locked, `rules::money` decides, and each
//! balance change commits with its ledger row and its effect. The database's own CHECK
//! keeps every balance at or above zero whatever the code does.

use async_trait::async_trait;
use deadpool_postgres::Transaction;
use time::OffsetDateTime;

use super::buckets::lock_capacity;
use super::errors::db_error;
use super::rows::{bucket_from_row, BUCKET_COLUMNS};
use super::PostgresStore;
use crate::domain::{Bucket, BucketTerms};
use crate::service::ports::{
    DepositOutcome, Entry, Ledger, LedgerEntry, Posted, Purchase, StoreError,
};
use crate::service::rules::capacity;
use crate::service::rules::money::{self, PendingBucket};
use crate::telemetry::metrics::METRICS;

/// A ledger row about to be written.
struct Row<'a> {
    account_id: i64,
    delta: i64,
    balance_after: i64,
    entry: Entry,
    bucket_id: Option<i64>,
    memo: &'a str,
    at: OffsetDateTime,
}

async fn ledger_row(tx: &Transaction<'_>, row: Row<'_>) -> Result<(), StoreError> {
    if row.delta == 0 {
        // A free purchase moves no money, so it leaves no row.
        return Ok(());
    }
    tx.execute(
        "INSERT INTO ledger (account_id, delta_sats, balance_after, kind, bucket_id, memo, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            &row.account_id,
            &row.delta,
            &row.balance_after,
            &row.entry.as_str(),
            &row.bucket_id,
            &row.memo,
            &row.at,
        ],
    )
    .await
    .map_err(db_error)?;
    Ok(())
}

/// Locks the account row: every balance decision is taken under it.
async fn lock_balance(tx: &Transaction<'_>, account_id: i64) -> Result<i64, StoreError> {
    tx.query_opt(
        "SELECT balance_sats FROM accounts WHERE id = $1 FOR UPDATE",
        &[&account_id],
    )
    .await
    .map_err(db_error)?
    .map(|row| row.get(0))
    .ok_or_else(|| StoreError::Internal(format!("no account {account_id}")))
}

/// Adds `delta` to the balance the rule allowed; the new balance.
async fn add_to_balance(
    tx: &Transaction<'_>,
    account_id: i64,
    delta: i64,
) -> Result<i64, StoreError> {
    Ok(tx
        .query_one(
            "UPDATE accounts SET balance_sats = balance_sats + $2 WHERE id = $1 \
             RETURNING balance_sats",
            &[&account_id, &delta],
        )
        .await
        .map_err(db_error)?
        .get(0))
}

/// Pays the pending buckets `rules::money::pending_paid` picks for `balance` and starts
/// their terms; the activated buckets and the balance left.
async fn pay_pending(
    tx: &Transaction<'_>,
    account_id: i64,
    balance: i64,
    now: OffsetDateTime,
) -> Result<(Vec<Bucket>, i64), StoreError> {
    let rows = tx
        .query(
            "SELECT id, price_sats, created_at, expires_at FROM buckets \
             WHERE account_id = $1 AND status = 'pending' ORDER BY id FOR UPDATE",
            &[&account_id],
        )
        .await
        .map_err(db_error)?;
    let pending: Vec<PendingBucket> = rows
        .iter()
        .map(|row| PendingBucket {
            bucket_id: row.get(0),
            price_sats: row.get(1),
        })
        .collect();
    let mut activated = Vec::new();
    let mut balance = balance;
    for paid in money::pending_paid(balance, &pending) {
        let Some(row) = rows
            .iter()
            .find(|row| row.get::<_, i64>(0) == paid.bucket_id)
        else {
            continue;
        };
        let (created, expires) = money::activation(row.get(2), row.get(3), now);
        balance = add_to_balance(tx, account_id, -paid.price_sats).await?;
        let bucket = tx
            .query_one(
                &format!(
                    "UPDATE buckets SET status = 'active', created_at = $2, expires_at = $3 \
                     WHERE id = $1 RETURNING {BUCKET_COLUMNS}"
                ),
                &[&paid.bucket_id, &created, &expires],
            )
            .await
            .map_err(db_error)?;
        ledger_row(
            tx,
            Row {
                account_id,
                delta: -paid.price_sats,
                balance_after: balance,
                entry: Entry::Purchase,
                bucket_id: Some(paid.bucket_id),
                memo: "",
                at: now,
            },
        )
        .await?;
        activated.push(bucket_from_row(&bucket, 0)?);
    }
    Ok((activated, balance))
}

#[async_trait]
impl Ledger for PostgresStore {
    #[tracing::instrument(name = "postgres.balance", skip_all)]
    async fn balance(&self, account_id: i64) -> Result<i64, StoreError> {
        let _timer = METRICS.time_postgres("balance");
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT balance_sats FROM accounts WHERE id = $1",
                &[&account_id],
            )
            .await
            .map_err(db_error)?;
        Ok(row.map(|r| r.get(0)).unwrap_or(0))
    }

    #[tracing::instrument(name = "postgres.entries", skip_all)]
    async fn entries(&self, account_id: i64) -> Result<Vec<LedgerEntry>, StoreError> {
        let _timer = METRICS.time_postgres("entries");
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT delta_sats, balance_after, kind, bucket_id, memo, created_at \
                 FROM ledger WHERE account_id = $1 ORDER BY id",
                &[&account_id],
            )
            .await
            .map_err(db_error)?;
        rows.iter()
            .map(|row| {
                let kind: String = row.get(2);
                Ok(LedgerEntry {
                    delta_sats: row.get(0),
                    balance_after: row.get(1),
                    entry: Entry::parse(&kind).ok_or_else(|| {
                        StoreError::Internal(format!("unknown ledger kind {kind:?}"))
                    })?,
                    bucket_id: row.get(3),
                    memo: row.get(4),
                    at: row.get(5),
                })
            })
            .collect()
    }

    #[tracing::instrument(name = "postgres.post", skip_all)]
    async fn post(
        &self,
        account_id: i64,
        delta: i64,
        entry: Entry,
        memo: &str,
        now: OffsetDateTime,
    ) -> Result<Posted, StoreError> {
        let _timer = METRICS.time_postgres("post");
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db_error)?;
        let balance = lock_balance(&tx, account_id).await?;
        if money::post(balance, delta).is_none() {
            return Ok(Posted::Insufficient { balance });
        }
        let balance = add_to_balance(&tx, account_id, delta).await?;
        ledger_row(
            &tx,
            Row {
                account_id,
                delta,
                balance_after: balance,
                entry,
                bucket_id: None,
                memo,
                at: now,
            },
        )
        .await?;
        let (activated, balance) = if money::pays_pending(delta) {
            pay_pending(&tx, account_id, balance, now).await?
        } else {
            (Vec::new(), balance)
        };
        tx.commit().await.map_err(db_error)?;
        Ok(Posted::Done { balance, activated })
    }

    #[tracing::instrument(name = "postgres.buy_bucket", skip_all)]
    async fn buy_bucket(
        &self,
        account_id: i64,
        terms: BucketTerms,
        price: i64,
        signed: bool,
        capacity: i64,
        now: OffsetDateTime,
    ) -> Result<Purchase, StoreError> {
        let _timer = METRICS.time_postgres("buy_bucket");
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db_error)?;
        let balance = lock_balance(&tx, account_id).await?;
        let pending: Vec<Bucket> = tx
            .query(
                &format!(
                    "SELECT {BUCKET_COLUMNS} FROM buckets \
                     WHERE account_id = $1 AND status = 'pending'"
                ),
                &[&account_id],
            )
            .await
            .map_err(db_error)?
            .iter()
            .map(|row| bucket_from_row(row, 0))
            .collect::<Result<_, _>>()?;
        let queue: Vec<PendingBucket> = pending
            .iter()
            .map(|bucket| PendingBucket {
                bucket_id: bucket.id,
                price_sats: bucket.price_sats,
            })
            .collect();
        if let Some(reused) = money::pending_reused(signed, &queue) {
            if let Some(bucket) = pending.into_iter().find(|bucket| bucket.id == reused) {
                return Ok(Purchase::Bucket(bucket));
            }
        }
        let committed = lock_capacity(&tx).await.map_err(db_error)?;
        if !capacity::may_add(committed, terms.bytes_total, capacity) {
            return Ok(Purchase::ServerFull);
        }
        let paid = money::pays_now(signed, balance, price);
        let status = if paid { "active" } else { "pending" };
        let row = tx
            .query_one(
                &format!(
                    "INSERT INTO buckets (account_id, created_at, expires_at, status, free, \
                       bytes_total, transfer_total, price_sats) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {BUCKET_COLUMNS}"
                ),
                &[
                    &account_id,
                    &now,
                    &(now + terms.term),
                    &status,
                    &terms.free,
                    &terms.bytes_total,
                    &terms.transfer_total,
                    &price,
                ],
            )
            .await
            .map_err(db_error)?;
        let bucket = bucket_from_row(&row, 0)?;
        if paid {
            let balance = add_to_balance(&tx, account_id, -price).await?;
            ledger_row(
                &tx,
                Row {
                    account_id,
                    delta: -price,
                    balance_after: balance,
                    entry: Entry::Purchase,
                    bucket_id: Some(bucket.id),
                    memo: "",
                    at: now,
                },
            )
            .await?;
        }
        tx.commit().await.map_err(db_error)?;
        Ok(Purchase::Bucket(bucket))
    }

    #[tracing::instrument(name = "postgres.record_deposit", skip_all)]
    async fn record_deposit(
        &self,
        address: &str,
        total_received: i64,
        now: OffsetDateTime,
    ) -> Result<DepositOutcome, StoreError> {
        let _timer = METRICS.time_postgres("record_deposit");
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db_error)?;
        // The row lock makes "seen → credited" one step: two replicas polling the node at
        // once credit an increase exactly once.
        let row = tx
            .query_opt(
                "SELECT id, deposits_seen_sats FROM accounts WHERE deposit_address = $1 FOR UPDATE",
                &[&address],
            )
            .await
            .map_err(db_error)?;
        let Some(row) = row else {
            return Ok(DepositOutcome::UnknownAddress);
        };
        let (account_id, seen): (i64, i64) = (row.get(0), row.get(1));
        let amount = match money::credit_deposit(seen, total_received) {
            Ok(amount) => amount,
            Err(nothing_to_credit) => return Ok(nothing_to_credit),
        };
        let balance: i64 = tx
            .query_one(
                "UPDATE accounts SET deposits_seen_sats = $2, balance_sats = balance_sats + $3 \
                 WHERE id = $1 RETURNING balance_sats",
                &[&account_id, &total_received, &amount],
            )
            .await
            .map_err(db_error)?
            .get(0);
        ledger_row(
            &tx,
            Row {
                account_id,
                delta: amount,
                balance_after: balance,
                entry: Entry::Deposit,
                bucket_id: None,
                memo: &format!("received at {address}"),
                at: now,
            },
        )
        .await?;
        let (activated, balance) = pay_pending(&tx, account_id, balance, now).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(DepositOutcome::Credited {
            amount,
            balance,
            activated: activated.len(),
        })
    }

    #[tracing::instrument(name = "postgres.deposit_index", skip_all)]
    async fn deposit_index(&self, account_id: i64) -> Result<u32, StoreError> {
        let _timer = METRICS.time_postgres("deposit_index");
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db_error)?;
        let given: Option<i32> = tx
            .query_opt(
                "SELECT deposit_index FROM accounts WHERE id = $1 FOR UPDATE",
                &[&account_id],
            )
            .await
            .map_err(db_error)?
            .ok_or_else(|| StoreError::Internal(format!("no account {account_id}")))?
            .get(0);
        let index = match given {
            Some(index) => index,
            None => {
                // The counter's row lock orders concurrent first askers; the index commits
                // with the account, so none is skipped.
                let index: i32 = tx
                    .query_one(
                        "UPDATE deposit_indexes SET next = next + 1 RETURNING next - 1",
                        &[],
                    )
                    .await
                    .map_err(db_error)?
                    .get(0);
                tx.execute(
                    "UPDATE accounts SET deposit_index = $2 WHERE id = $1",
                    &[&account_id, &index],
                )
                .await
                .map_err(db_error)?;
                index
            }
        };
        tx.commit().await.map_err(db_error)?;
        u32::try_from(index).map_err(|_| StoreError::Internal(format!("deposit index {index}")))
    }

    #[tracing::instrument(name = "postgres.set_deposit_address", skip_all)]
    async fn set_deposit_address(&self, account_id: i64, address: &str) -> Result<(), StoreError> {
        let _timer = METRICS.time_postgres("set_deposit_address");
        let client = self.client().await?;
        client
            .execute(
                "UPDATE accounts SET deposit_address = $2 WHERE id = $1",
                &[&account_id, &address],
            )
            .await
            .map_err(db_error)?;
        Ok(())
    }
}
