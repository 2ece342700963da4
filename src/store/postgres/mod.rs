//! The PostgreSQL store: every rule that needs atomicity is one transaction here.

use async_trait::async_trait;
use deadpool_postgres::{Pool, PoolError, Transaction};
use time::OffsetDateTime;
use tokio_postgres::error::SqlState;
use tokio_postgres::Row;

mod documents;
mod ledger;

pub use documents::search_sql;
mod lifecycle;

use super::{NewPair, PoolStatus, PutOutcome, Store, StoreError, StoredPair};
use crate::domain::{Account, Bucket, BucketStatus, BucketTerms};

/// The title whose User and Contact fields `get_user` searches.
const ENROLLMENT_TITLE: &str = "Rein User Enrollment";

/// Attempts of a put that lost a race (same new key inserted concurrently, deadlock).
const PUT_ATTEMPTS: usize = 8;

pub struct PostgresStore {
    pool: Pool,
}

impl PostgresStore {
    pub fn new(pool: Pool) -> PostgresStore {
        PostgresStore { pool }
    }

    pub(super) async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool.get().await.map_err(pool_error)
    }
}

fn pool_error(err: PoolError) -> StoreError {
    StoreError::Unavailable(format!("postgresql pool: {err}"))
}

/// Connection trouble is `Unavailable` (503, retry later); a refused statement is a bug.
pub(super) fn db_error(err: tokio_postgres::Error) -> StoreError {
    // The database's own message says which statement failed and why; keep it for the log.
    let why = match err.as_db_error() {
        Some(db) => format!("postgresql {}: {}", db.code().code(), db.message()),
        None => format!("postgresql: {err}"),
    };
    match err.code() {
        Some(code) if is_transient(code) => StoreError::Unavailable(why),
        Some(_) => StoreError::Internal(why),
        None => StoreError::Unavailable(why),
    }
}

fn is_transient(code: &SqlState) -> bool {
    let class = &code.code()[..2];
    // 08 connection, 53 resources, 57 operator intervention (shutdown), 40 rollbacks.
    matches!(class, "08" | "53" | "57" | "40")
}

fn is_lost_race(err: &tokio_postgres::Error) -> bool {
    matches!(
        err.code(),
        Some(&SqlState::UNIQUE_VIOLATION)
            | Some(&SqlState::T_R_SERIALIZATION_FAILURE)
            | Some(&SqlState::T_R_DEADLOCK_DETECTED)
    )
}

pub(super) const BUCKET_COLUMNS: &str = "id, account_id, created_at, expires_at, status, free, \
     bytes_total, bytes_used, transfer_total, transfer_used, price_sats";

pub(super) fn bucket_from_row(row: &Row, offset: usize) -> Result<Bucket, StoreError> {
    let status: String = row.get(offset + 4);
    Ok(Bucket {
        id: row.get(offset),
        account_id: row.get(offset + 1),
        created: row.get(offset + 2),
        expires: row.get(offset + 3),
        status: BucketStatus::parse(&status)
            .ok_or_else(|| StoreError::Internal(format!("unknown bucket status {status:?}")))?,
        free: row.get(offset + 5),
        bytes_total: row.get(offset + 6),
        bytes_used: row.get(offset + 7),
        transfer_total: row.get(offset + 8),
        transfer_used: row.get(offset + 9),
        price_sats: row.get(offset + 10),
    })
}

fn account_from_row(row: &Row) -> Account {
    Account {
        id: row.get(0),
        address: row.get(1),
        contact: row.get(2),
    }
}

/// Claims `delta` bytes of one bucket if it is live and has room. The conditions sit in
/// the UPDATE's own WHERE so PostgreSQL re-checks them against the newest row version
/// when concurrent claims queue on the row: a bucket can never be over-filled.
async fn claim(
    tx: &Transaction<'_>,
    bucket_id: i64,
    delta: i64,
    now: OffsetDateTime,
) -> Result<Option<i64>, tokio_postgres::Error> {
    let row = tx
        .query_opt(
            &tx.prepare_cached(
                "UPDATE buckets SET bytes_used = bytes_used + $2 \
             WHERE id = $1 AND status = 'active' AND expires_at > $3 \
               AND bytes_used + $2 <= bytes_total \
             RETURNING bytes_total - bytes_used",
            )
            .await?,
            &[&bucket_id, &delta, &now],
        )
        .await?;
    Ok(row.map(|r| r.get(0)))
}

/// Claims `size` bytes from the account's newest live bucket with room.
pub(super) async fn claim_newest(
    tx: &Transaction<'_>,
    account_id: i64,
    size: i64,
    now: OffsetDateTime,
) -> Result<Option<(i64, i64)>, tokio_postgres::Error> {
    let candidates = tx
        .query(
            &tx.prepare_cached(
                "SELECT id FROM buckets \
             WHERE account_id = $1 AND status = 'active' AND expires_at > $2 \
               AND bytes_used + $3 <= bytes_total \
             ORDER BY id DESC",
            )
            .await?,
            &[&account_id, &now, &size],
        )
        .await?;
    for row in candidates {
        let id: i64 = row.get(0);
        if let Some(free) = claim(tx, id, size, now).await? {
            return Ok(Some((id, free)));
        }
    }
    Ok(None)
}

impl PostgresStore {
    async fn try_put(
        &self,
        pair: &NewPair<'_>,
        now: OffsetDateTime,
    ) -> Result<Result<Attempt, tokio_postgres::Error>, StoreError> {
        let mut client = self.client().await?;
        Ok(put_in_transaction(&mut client, pair, now).await)
    }
}

/// One try at a put: done, or lost a race and worth trying again.
enum Attempt {
    Done(PutOutcome),
    Retry,
}

async fn put_in_transaction(
    client: &mut deadpool_postgres::Object,
    pair: &NewPair<'_>,
    now: OffsetDateTime,
) -> Result<Attempt, tokio_postgres::Error> {
    let tx = client.transaction().await?;
    let existing = tx
        .query_opt(
            &tx.prepare_cached(
                "SELECT account_id, bucket_id, size FROM pairs WHERE key = $1 FOR UPDATE",
            )
            .await?,
            &[&pair.key],
        )
        .await?;
    let replacing = existing.is_some();
    let placed = match existing {
        Some(row) if row.get::<_, i64>(0) != pair.account_id => {
            return Ok(Attempt::Done(PutOutcome::KeyOwnedByOther))
        }
        Some(row) => {
            let (old_bucket, old_size): (i64, i64) = (row.get(1), row.get(2));
            match claim(&tx, old_bucket, pair.size - old_size, now).await? {
                Some(free) => Some((old_bucket, free)),
                None => {
                    // Growth does not fit where the pair lives: move it whole. If nothing
                    // has room the transaction rolls back and the release is undone.
                    tx.execute(
                        &tx.prepare_cached(
                            "UPDATE buckets SET bytes_used = bytes_used - $2 WHERE id = $1",
                        )
                        .await?,
                        &[&old_bucket, &old_size],
                    )
                    .await?;
                    claim_newest(&tx, pair.account_id, pair.size, now).await?
                }
            }
        }
        None => claim_newest(&tx, pair.account_id, pair.size, now).await?,
    };
    let Some((bucket_id, bytes_free)) = placed else {
        return Ok(Attempt::Done(PutOutcome::NoRoom));
    };
    let doc = pair.document;
    let doc_title = doc.map(|d| d.title.as_str());
    let doc_fields = doc.map(|d| d.fields_json());
    let doc_signer = doc.and_then(|d| d.signer.as_deref());
    let doc_valid = doc.is_some_and(|d| d.valid);
    let enrollment = doc.filter(|d| d.title == ENROLLMENT_TITLE);
    let doc_user = enrollment
        .and_then(|d| d.field("User"))
        .map(str::to_lowercase);
    let doc_contact = enrollment
        .and_then(|d| d.field("Contact"))
        .map(str::to_lowercase);
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 15] = [
        &pair.key,
        &pair.account_id,
        &bucket_id,
        &pair.value.as_bytes(),
        &pair.size,
        &pair.etag,
        &pair.testnet,
        &pair.proves_delegate,
        &now,
        &doc_title,
        &doc_fields,
        &doc_signer,
        &doc_valid,
        &doc_user,
        &doc_contact,
    ];
    let inserted = if replacing {
        tx.execute(
            &tx.prepare_cached(
                "UPDATE pairs SET bucket_id = $3, value = $4, size = $5, etag = $6, testnet = $7, \
               proves_delegate = $8, updated_at = $9, doc_title = $10, doc_fields = $11, \
               doc_signer = $12, doc_valid = $13, doc_user = $14, doc_contact = $15 \
             WHERE key = $1 AND account_id = $2",
            )
            .await?,
            &params,
        )
        .await?
    } else {
        // A concurrent insert of the same new key fails here with a unique violation;
        // the caller retries and then sees the winner's row (and its bytes stay exact).
        tx.execute(
            &tx.prepare_cached(
                "INSERT INTO pairs (key, account_id, bucket_id, value, size, etag, testnet, \
               proves_delegate, updated_at, doc_title, doc_fields, doc_signer, doc_valid, \
               doc_user, doc_contact) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
            )
            .await?,
            &params,
        )
        .await?
    };
    if inserted != 1 {
        // The row vanished between SELECT and UPDATE (deleted concurrently): try again.
        return Ok(Attempt::Retry);
    }
    tx.commit().await?;
    Ok(Attempt::Done(PutOutcome::Stored {
        bucket_id,
        bytes_free,
    }))
}

#[async_trait]
impl Store for PostgresStore {
    fn pool_status(&self) -> Option<PoolStatus> {
        let status = self.pool.status();
        Some(PoolStatus {
            size: status.size,
            available: status.available,
            waiting: status.waiting,
        })
    }

    #[tracing::instrument(name = "postgres.ping", skip_all)]
    async fn ping(&self) -> Result<(), StoreError> {
        let client = self.client().await?;
        client.simple_query("SELECT 1").await.map_err(db_error)?;
        Ok(())
    }

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
                 ON CONFLICT (address) DO UPDATE SET contact = COALESCE($2, accounts.contact) \
                 RETURNING id, address, contact",
                &[&address, &contact],
            )
            .await
            .map_err(db_error)?;
        Ok(account_from_row(&row))
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
        now: OffsetDateTime,
    ) -> Result<Option<Bucket>, StoreError> {
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
        if held >= limit {
            return Ok(None);
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
        Ok(Some(bucket))
    }

    #[tracing::instrument(name = "postgres.put_pair", skip_all)]
    async fn put_pair(
        &self,
        pair: NewPair<'_>,
        now: OffsetDateTime,
    ) -> Result<PutOutcome, StoreError> {
        let mut last = None;
        for _ in 0..PUT_ATTEMPTS {
            match self.try_put(&pair, now).await? {
                Ok(Attempt::Done(outcome)) => return Ok(outcome),
                Ok(Attempt::Retry) => last = None,
                Err(err) if is_lost_race(&err) => last = Some(err.to_string()),
                Err(err) => return Err(db_error(err)),
            }
        }
        Err(StoreError::Unavailable(format!(
            "put kept losing races: {}",
            last.unwrap_or_else(|| "key taken concurrently".into())
        )))
    }

    #[tracing::instrument(name = "postgres.get_pair", skip_all)]
    async fn get_pair(&self, key: &str) -> Result<Option<StoredPair>, StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(&format!(
                "SELECT p.account_id, p.value, p.etag, b.{} \
                 FROM pairs p JOIN buckets b ON b.id = p.bucket_id WHERE p.key = $1",
                BUCKET_COLUMNS.replace(", ", ", b.")
            ))
            .await
            .map_err(db_error)?;
        let row = client
            .query_opt(&statement, &[&key])
            .await
            .map_err(db_error)?;
        let Some(row) = row else { return Ok(None) };
        let value: Vec<u8> = row.get(1);
        Ok(Some(StoredPair {
            account_id: row.get(0),
            value: String::from_utf8(value).map_err(|_| {
                StoreError::Internal(format!("stored value of {key:?} is not UTF-8"))
            })?,
            etag: row.get(2),
            bucket: bucket_from_row(&row, 3)?,
        }))
    }

    #[tracing::instrument(name = "postgres.delete_pair", skip_all)]
    async fn delete_pair(&self, account_id: i64, key: &str) -> Result<bool, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db_error)?;
        let deleted = tx
            .query_opt(
                "DELETE FROM pairs WHERE key = $1 AND account_id = $2 RETURNING bucket_id, size",
                &[&key, &account_id],
            )
            .await
            .map_err(db_error)?;
        let Some(row) = deleted else { return Ok(false) };
        let (bucket_id, size): (i64, i64) = (row.get(0), row.get(1));
        tx.execute(
            "UPDATE buckets SET bytes_used = bytes_used - $2 WHERE id = $1",
            &[&bucket_id, &size],
        )
        .await
        .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        Ok(true)
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
