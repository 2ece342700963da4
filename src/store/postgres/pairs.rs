//! Pairs in PostgreSQL: a put locks the key and the owner's live buckets, lets
//! `rules::placement` choose, and applies the choice in the same transaction.

use async_trait::async_trait;
use deadpool_postgres::Transaction;
use time::OffsetDateTime;

use super::buckets::{claim, lock_live_rooms, release};
use super::errors::{db_error, is_lost_race};
use super::rows::{bucket_from_row, BUCKET_COLUMNS};
use super::PostgresStore;
use crate::service::ports::{ExistingPair, NewPair, Pairs, PutOutcome, StoreError, StoredPair};
use crate::service::rules::placement::{self, Placement};
use crate::telemetry::metrics::METRICS;

/// Attempts of a put that lost a race (same new key inserted concurrently, deadlock).
const PUT_ATTEMPTS: usize = 8;

/// One try at a put: done, or lost a race and worth trying again.
enum Attempt {
    Done(PutOutcome),
    Retry,
}

/// One try at a put, in four round trips: `BEGIN`; the key and the owner's live buckets
/// locked together; the release, claim and write together; `COMMIT`. Statements sent
/// together are pipelined: tokio-postgres sends each request when its future is first
/// polled, and `futures::try_join!` polls in order, so they reach PostgreSQL, and take
/// their locks, in the same order as one at a time. A failed claim or write is rolled back
/// (the transaction is dropped), never committed.
async fn put_in_transaction(
    client: &mut deadpool_postgres::Object,
    pair: &NewPair<'_>,
    now: OffsetDateTime,
) -> Result<Attempt, tokio_postgres::Error> {
    let tx = client.transaction().await?;
    let owners = [pair.account_id];
    let (existing, rooms) =
        futures::try_join!(lock_key(&tx, pair.key), lock_live_rooms(&tx, &owners, now))?;
    let (bucket_id, claimed, released) =
        match placement::choose(pair.account_id, existing, pair.size, &rooms) {
            Placement::KeyOwnedByOther => return Ok(Attempt::Done(PutOutcome::KeyOwnedByOther)),
            Placement::NoRoom => return Ok(Attempt::Done(PutOutcome::NoRoom)),
            Placement::Place {
                bucket_id,
                claim,
                release,
            } => (bucket_id, claim, release),
        };
    let release_old = async {
        match released {
            Some((old_bucket, old_size)) => release(&tx, old_bucket, old_size).await,
            None => Ok(()),
        }
    };
    let ((), bytes_free, written) = futures::try_join!(
        release_old,
        claim(&tx, bucket_id, claimed, now),
        write_pair(&tx, pair, bucket_id, existing.is_some(), now)
    )?;
    let Some(bytes_free) = bytes_free else {
        // The chosen bucket was locked above, so only a bug gets here; never over-fill.
        return Ok(Attempt::Retry);
    };
    if written != 1 {
        // The row vanished between SELECT and UPDATE (deleted concurrently): try again.
        return Ok(Attempt::Retry);
    }
    tx.commit().await?;
    Ok(Attempt::Done(PutOutcome::Stored {
        bucket_id,
        bytes_free,
    }))
}

/// The pair stored under `key`, if any, locked until the transaction ends.
async fn lock_key(
    tx: &Transaction<'_>,
    key: &str,
) -> Result<Option<ExistingPair>, tokio_postgres::Error> {
    let row = tx
        .query_opt(
            &tx.prepare_cached(
                "SELECT account_id, bucket_id, size FROM pairs WHERE key = $1 FOR UPDATE",
            )
            .await?,
            &[&key],
        )
        .await?;
    Ok(row.map(|row| ExistingPair {
        account_id: row.get(0),
        bucket_id: row.get(1),
        size: row.get(2),
    }))
}

/// Inserts or updates the pair with its parsed document; the rows written.
async fn write_pair(
    tx: &Transaction<'_>,
    pair: &NewPair<'_>,
    bucket_id: i64,
    replacing: bool,
    now: OffsetDateTime,
) -> Result<u64, tokio_postgres::Error> {
    let doc = pair.document;
    let doc_title = doc.map(|d| d.title.as_str());
    let doc_fields = doc.map(super::documents::fields_json);
    let doc_signer = doc.and_then(|d| d.signer.as_deref());
    let doc_valid = doc.is_some_and(|d| d.signature_valid);
    let enrollment = doc.filter(|d| d.is_enrollment());
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
        // The column predates one-delegate accounts (migration 0006): nothing reads it now.
        &None::<&str>,
        &now,
        &doc_title,
        &doc_fields,
        &doc_signer,
        &doc_valid,
        &doc_user,
        &doc_contact,
    ];
    let statement = if replacing {
        "UPDATE pairs SET bucket_id = $3, value = $4, size = $5, etag = $6, testnet = $7, \
           proves_delegate = $8, updated_at = $9, doc_title = $10, doc_fields = $11, \
           doc_signer = $12, doc_valid = $13, doc_user = $14, doc_contact = $15 \
         WHERE key = $1 AND account_id = $2"
    } else {
        // A concurrent insert of the same new key fails here with a unique violation;
        // the caller retries and then sees the winner's row (and its bytes stay exact).
        "INSERT INTO pairs (key, account_id, bucket_id, value, size, etag, testnet, \
           proves_delegate, updated_at, doc_title, doc_fields, doc_signer, doc_valid, \
           doc_user, doc_contact) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
    };
    tx.execute(&tx.prepare_cached(statement).await?, &params)
        .await
}

#[async_trait]
impl Pairs for PostgresStore {
    #[tracing::instrument(name = "postgres.put_pair", skip_all)]
    async fn put_pair(
        &self,
        pair: NewPair<'_>,
        now: OffsetDateTime,
    ) -> Result<PutOutcome, StoreError> {
        let _timer = METRICS.time_postgres("put_pair");
        let mut last = None;
        for _ in 0..PUT_ATTEMPTS {
            let mut client = self.client().await?;
            match put_in_transaction(&mut client, &pair, now).await {
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
        let _timer = METRICS.time_postgres("get_pair");
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
        let _timer = METRICS.time_postgres("delete_pair");
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
        release(&tx, row.get(0), row.get(1))
            .await
            .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        Ok(true)
    }
}
