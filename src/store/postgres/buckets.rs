//! Bucket bytes inside a transaction: locking an owner's live buckets so a rule can choose
//! among them, and claiming or releasing bytes as it chose.

use deadpool_postgres::Transaction;
use time::OffsetDateTime;

use crate::service::ports::LiveRoom;

/// Locks the live buckets of `account_ids`, in id order (so concurrent lockers never
/// deadlock on each other), and reads the room left in each. `NO KEY UPDATE` is the lock the
/// claim's UPDATE takes anyway; it leaves foreign-key checks on the bucket (a pair moving in)
/// unblocked.
pub(super) async fn lock_live_rooms(
    tx: &Transaction<'_>,
    account_ids: &[i64],
    now: OffsetDateTime,
) -> Result<Vec<LiveRoom>, tokio_postgres::Error> {
    let rows = tx
        .query(
            &tx.prepare_cached(
                "SELECT id, account_id, bytes_total - bytes_used FROM buckets \
                 WHERE account_id = ANY($1) AND status = 'active' AND expires_at > $2 \
                 ORDER BY id FOR NO KEY UPDATE",
            )
            .await?,
            &[&account_ids, &now],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| LiveRoom {
            bucket_id: row.get(0),
            account_id: row.get(1),
            bytes_free: row.get(2),
        })
        .collect())
}

/// Claims `delta` bytes of a bucket the rule chose; the bytes free after it, or None when
/// the bucket is no longer live or has no room. The conditions sit in the UPDATE's own
/// WHERE, so even a caller that skipped the lock can never over-fill a bucket.
pub(super) async fn claim(
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

/// Gives `bytes` of a bucket back (a pair left it).
pub(super) async fn release(
    tx: &Transaction<'_>,
    bucket_id: i64,
    bytes: i64,
) -> Result<(), tokio_postgres::Error> {
    tx.execute(
        &tx.prepare_cached("UPDATE buckets SET bytes_used = bytes_used - $2 WHERE id = $1")
            .await?,
        &[&bucket_id, &bytes],
    )
    .await?;
    Ok(())
}

/// The bytes of every live bucket, active or pending, as one aggregate over `buckets`: what
/// the capacity rule counts as sold.
pub(super) const SOLD_BYTES: &str =
    "COALESCE(sum(bytes_total) FILTER (WHERE status IN ('active', 'pending')), 0)::BIGINT";

/// Any fixed number; paired with the schema's hash like the expiry lock.
const CAPACITY_LOCK: i32 = 0x6361_7061;

/// Takes the deployment's capacity lock for the rest of the transaction (every replica's
/// grants and sales queue on it, so two can never both take the last bytes) and reads the
/// bytes committed to live buckets, active or pending.
pub(super) async fn lock_capacity(tx: &Transaction<'_>) -> Result<i64, tokio_postgres::Error> {
    tx.execute(
        &tx.prepare_cached("SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))")
            .await?,
        &[&CAPACITY_LOCK],
    )
    .await?;
    let row = tx
        .query_one(
            &tx.prepare_cached(&format!("SELECT {SOLD_BYTES} FROM buckets"))
                .await?,
            &[],
        )
        .await?;
    Ok(row.get(0))
}
