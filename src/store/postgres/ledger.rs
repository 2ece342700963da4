//! The PostgreSQL ledger: each balance change and its effect commit together, and the
//! database's own CHECK keeps every balance at or above zero.

use async_trait::async_trait;
use deadpool_postgres::Transaction;
use time::OffsetDateTime;
use tokio_postgres::error::SqlState;

use super::{bucket_from_row, db_error, PostgresStore, BUCKET_COLUMNS};
use crate::domain::{Bucket, BucketTerms};
use crate::store::{DepositOutcome, Entry, Ledger, LedgerEntry, Posted, StoreError};

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
    let Row {
        account_id,
        delta,
        balance_after,
        entry,
        bucket_id,
        memo,
        at: now,
    } = row;
    if delta == 0 {
        // A free purchase moves no money, so it leaves no row.
        return Ok(());
    }
    tx.execute(
        "INSERT INTO ledger (account_id, delta_sats, balance_after, kind, bucket_id, memo, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[&account_id, &delta, &balance_after, &entry.as_str(), &bucket_id, &memo, &now],
    )
    .await
    .map_err(db_error)?;
    Ok(())
}

/// Takes `price` from the balance if it covers it; the new balance, or None.
async fn debit(
    tx: &Transaction<'_>,
    account_id: i64,
    price: i64,
) -> Result<Option<i64>, StoreError> {
    let row = tx
        .query_opt(
            "UPDATE accounts SET balance_sats = balance_sats - $2 \
             WHERE id = $1 AND balance_sats >= $2 RETURNING balance_sats",
            &[&account_id, &price],
        )
        .await
        .map_err(db_error)?;
    Ok(row.map(|r| r.get(0)))
}

/// Pays and activates pending buckets, oldest first, while the balance covers the next one.
/// Activation starts the term now: the pending bucket kept its term as expires - created.
async fn pay_pending(
    tx: &Transaction<'_>,
    account_id: i64,
    now: OffsetDateTime,
) -> Result<Vec<Bucket>, StoreError> {
    let pending = tx
        .query(
            "SELECT id, price_sats FROM buckets WHERE account_id = $1 AND status = 'pending' \
             ORDER BY id FOR UPDATE",
            &[&account_id],
        )
        .await
        .map_err(db_error)?;
    let mut activated = Vec::new();
    for row in pending {
        let (bucket_id, price): (i64, i64) = (row.get(0), row.get(1));
        let Some(balance) = debit(tx, account_id, price).await? else {
            break;
        };
        let bucket = tx
            .query_one(
                &format!(
                    "UPDATE buckets SET status = 'active', expires_at = $2::timestamptz + (expires_at - created_at), \
                       created_at = $2 WHERE id = $1 RETURNING {BUCKET_COLUMNS}"
                ),
                &[&bucket_id, &now],
            )
            .await
            .map_err(db_error)?;
        ledger_row(
            tx,
            Row {
                account_id,
                delta: -price,
                balance_after: balance,
                entry: Entry::Purchase,
                bucket_id: Some(bucket_id),
                memo: "",
                at: now,
            },
        )
        .await?;
        activated.push(bucket_from_row(&bucket, 0)?);
    }
    Ok(activated)
}

#[async_trait]
impl Ledger for PostgresStore {
    #[tracing::instrument(name = "postgres.balance", skip_all)]
    async fn balance(&self, account_id: i64) -> Result<i64, StoreError> {
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
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db_error)?;
        let updated = tx
            .query_one(
                "UPDATE accounts SET balance_sats = balance_sats + $2 WHERE id = $1 \
                 RETURNING balance_sats",
                &[&account_id, &delta],
            )
            .await;
        let balance: i64 = match updated {
            Ok(row) => row.get(0),
            Err(err) if err.code() == Some(&SqlState::CHECK_VIOLATION) => {
                drop(tx);
                drop(client);
                return Ok(Posted::Insufficient {
                    balance: self.balance(account_id).await?,
                });
            }
            Err(err) => return Err(db_error(err)),
        };
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
        let activated = if delta > 0 {
            pay_pending(&tx, account_id, now).await?
        } else {
            Vec::new()
        };
        let balance = if activated.is_empty() {
            balance
        } else {
            tx.query_one(
                "SELECT balance_sats FROM accounts WHERE id = $1",
                &[&account_id],
            )
            .await
            .map_err(db_error)?
            .get(0)
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
        pay_now: bool,
        now: OffsetDateTime,
    ) -> Result<Bucket, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db_error)?;
        let paid = if pay_now {
            debit(&tx, account_id, price).await?
        } else {
            None
        };
        let status = if paid.is_some() { "active" } else { "pending" };
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
        if let Some(balance) = paid {
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
        Ok(bucket)
    }

    #[tracing::instrument(name = "postgres.record_deposit", skip_all)]
    async fn record_deposit(
        &self,
        address: &str,
        total_received: i64,
        now: OffsetDateTime,
    ) -> Result<DepositOutcome, StoreError> {
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
        if total_received == seen {
            return Ok(DepositOutcome::Unchanged);
        }
        if total_received < seen {
            return Ok(DepositOutcome::Decreased {
                seen,
                reported: total_received,
            });
        }
        let amount = total_received - seen;
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
        let activated = pay_pending(&tx, account_id, now).await?;
        let balance: i64 = tx
            .query_one(
                "SELECT balance_sats FROM accounts WHERE id = $1",
                &[&account_id],
            )
            .await
            .map_err(db_error)?
            .get(0);
        tx.commit().await.map_err(db_error)?;
        Ok(DepositOutcome::Credited {
            amount,
            balance,
            activated: activated.len(),
        })
    }

    #[tracing::instrument(name = "postgres.set_deposit_address", skip_all)]
    async fn set_deposit_address(&self, account_id: i64, address: &str) -> Result<(), StoreError> {
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
