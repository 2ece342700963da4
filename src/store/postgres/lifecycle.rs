//! The PostgreSQL lifecycle: the expiry pass under a transaction-scoped advisory lock (one
//! replica at a time) applying `rules::expiry`'s plan, and the mail outbox handed out with
//! leases (`SKIP LOCKED` for the claim only, no transaction open while mail is sent).

use async_trait::async_trait;
use deadpool_postgres::Transaction;
use time::OffsetDateTime;

use super::buckets::{claim, lock_live_rooms, release};
use super::errors::db_error;
use super::PostgresStore;
use crate::service::ports::{
    DueBucket, DuePair, ExpiryPolicy, ExpiryReport, Lifecycle, MailAttempt, MailBacklog,
    OutboxMail, StoreError,
};
use crate::service::rules::expiry::{self, ExpiryPlan};
use crate::telemetry::metrics::METRICS;

/// Any fixed number; paired with the schema's hash so deployments sharing a database (or
/// tests, one schema each) do not wait on each other.
const EXPIRY_LOCK: i32 = 0x6578_7069;

/// Locks the pass's batch of due buckets with their owners, their pairs, and the owners'
/// live buckets: everything the plan reads.
async fn lock_due(
    tx: &Transaction<'_>,
    now: OffsetDateTime,
) -> Result<
    (
        Vec<DueBucket>,
        Vec<DuePair>,
        Vec<crate::service::ports::LiveRoom>,
    ),
    StoreError,
> {
    let due: Vec<DueBucket> = tx
        .query(
            "SELECT b.id, b.account_id, a.address, a.contact FROM buckets b \
             JOIN accounts a ON a.id = b.account_id \
             WHERE b.status = 'active' AND b.expires_at <= $1 \
             ORDER BY b.expires_at, b.id LIMIT $2 FOR UPDATE OF b",
            &[&now, &expiry::BATCH],
        )
        .await
        .map_err(db_error)?
        .iter()
        .map(|row| DueBucket {
            bucket_id: row.get(0),
            account_id: row.get(1),
            account_address: row.get(2),
            contact: row.get(3),
        })
        .collect();
    let due_ids: Vec<i64> = due.iter().map(|b| b.bucket_id).collect();
    let pairs = tx
        .query(
            "SELECT key, bucket_id, size FROM pairs WHERE bucket_id = ANY($1) FOR UPDATE",
            &[&due_ids],
        )
        .await
        .map_err(db_error)?
        .iter()
        .map(|row| DuePair {
            key: row.get(0),
            bucket_id: row.get(1),
            size: row.get(2),
        })
        .collect();
    let mut owners: Vec<i64> = due.iter().map(|b| b.account_id).collect();
    owners.sort_unstable();
    owners.dedup();
    let live = lock_live_rooms(tx, &owners, now).await.map_err(db_error)?;
    Ok((due, pairs, live))
}

/// Applies the plan: the due buckets leave the books, pairs move with their bytes, one
/// notice per bucket is queued (once, whatever reruns).
async fn apply(
    tx: &Transaction<'_>,
    plan: &ExpiryPlan,
    now: OffsetDateTime,
) -> Result<i64, StoreError> {
    let expired_ids: Vec<i64> = plan.expired.iter().map(|b| b.bucket_id).collect();
    tx.execute(
        "UPDATE buckets SET status = 'expired', expired_at = $2 WHERE id = ANY($1)",
        &[&expired_ids, &now],
    )
    .await
    .map_err(db_error)?;
    for step in &plan.moves {
        if claim(tx, step.to, step.size, now)
            .await
            .map_err(db_error)?
            .is_none()
        {
            // The destination was locked with the room the plan counted on.
            return Err(StoreError::Internal(format!(
                "expiry: bucket {} had no room for {:?}",
                step.to, step.key
            )));
        }
        release(tx, step.from, step.size).await.map_err(db_error)?;
        tx.execute(
            "UPDATE pairs SET bucket_id = $2 WHERE key = $1",
            &[&step.key, &step.to],
        )
        .await
        .map_err(db_error)?;
    }
    let mut queued = 0;
    for (bucket_id, mail) in &plan.notices {
        queued += tx
            .execute(
                "INSERT INTO outbox (kind, bucket_id, recipient, subject, body, created_at, next_attempt_at) \
                 VALUES ('bucket_expired', $1, $2, $3, $4, $5, $5) \
                 ON CONFLICT (kind, bucket_id) DO NOTHING",
                &[bucket_id, &mail.recipient, &mail.subject, &mail.body, &now],
            )
            .await
            .map_err(db_error)? as i64;
    }
    Ok(queued)
}

/// Deletes the pairs of a batch of buckets whose retention ended before `before`.
async fn purge(
    tx: &Transaction<'_>,
    now: OffsetDateTime,
    before: OffsetDateTime,
) -> Result<(i64, i64), StoreError> {
    let purged: Vec<i64> = tx
        .query(
            "UPDATE buckets SET purged_at = $1, bytes_used = 0 \
             WHERE id IN (SELECT id FROM buckets WHERE status = 'expired' AND purged_at IS NULL \
                          AND expired_at <= $2 ORDER BY id LIMIT $3 FOR UPDATE) \
             RETURNING id",
            &[&now, &before, &expiry::BATCH],
        )
        .await
        .map_err(db_error)?
        .iter()
        .map(|row| row.get(0))
        .collect();
    if purged.is_empty() {
        return Ok((0, 0));
    }
    let pairs = tx
        .execute("DELETE FROM pairs WHERE bucket_id = ANY($1)", &[&purged])
        .await
        .map_err(db_error)?;
    Ok((purged.len() as i64, pairs as i64))
}

#[async_trait]
impl Lifecycle for PostgresStore {
    #[tracing::instrument(name = "postgres.expire", skip_all)]
    async fn expire(
        &self,
        now: OffsetDateTime,
        policy: &ExpiryPolicy,
    ) -> Result<Option<ExpiryReport>, StoreError> {
        let _timer = METRICS.time_postgres("expire");
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db_error)?;
        let leader: bool = tx
            .query_one(
                "SELECT pg_try_advisory_xact_lock($1, hashtext(current_schema()))",
                &[&EXPIRY_LOCK],
            )
            .await
            .map_err(db_error)?
            .get(0);
        if !leader {
            return Ok(None);
        }
        let (due, pairs, live) = lock_due(&tx, now).await?;
        let plan = expiry::plan(&due, &pairs, &live, policy);
        let mails_queued = apply(&tx, &plan, now).await?;
        let (purged_buckets, purged_pairs) =
            purge(&tx, now, expiry::purge_before(now, policy)).await?;
        let dropped_pending = tx
            .execute(
                "UPDATE buckets SET status = 'expired', expired_at = $1 \
                 WHERE id IN (SELECT id FROM buckets WHERE status = 'pending' \
                              AND created_at <= $2 ORDER BY id LIMIT $3 FOR UPDATE)",
                &[&now, &expiry::unpaid_before(now, policy), &expiry::BATCH],
            )
            .await
            .map_err(db_error)? as i64;
        tx.commit().await.map_err(db_error)?;
        Ok(Some(ExpiryReport {
            expired: plan.expired,
            purged_buckets,
            purged_pairs,
            mails_queued,
            dropped_pending,
        }))
    }

    #[tracing::instrument(name = "postgres.claim_mail", skip_all)]
    async fn claim_mail(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: i64,
    ) -> Result<Vec<OutboxMail>, StoreError> {
        let _timer = METRICS.time_postgres("claim_mail");
        let client = self.client().await?;
        // One statement, committed at once: rows another replica is claiming right now are
        // skipped, and a claimed row is not due again until its lease ends.
        let rows = client
            .query(
                "UPDATE outbox SET lease_until = $2 WHERE id IN ( \
                   SELECT id FROM outbox \
                   WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1 \
                     AND (lease_until IS NULL OR lease_until <= $1) \
                   ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED) \
                 RETURNING id, recipient, subject, body, attempts",
                &[&now, &lease_until, &limit],
            )
            .await
            .map_err(db_error)?;
        let mut mails: Vec<OutboxMail> = rows
            .iter()
            .map(|row| OutboxMail {
                id: row.get(0),
                recipient: row.get(1),
                subject: row.get(2),
                body: row.get(3),
                attempts: row.get(4),
            })
            .collect();
        mails.sort_by_key(|mail| mail.id);
        Ok(mails)
    }

    #[tracing::instrument(name = "postgres.mail_backlog", skip_all)]
    async fn mail_backlog(&self, now: OffsetDateTime) -> Result<MailBacklog, StoreError> {
        let _timer = METRICS.time_postgres("mail_backlog");
        let client = self.client().await?;
        // The partial index outbox_due holds exactly the unsent, not given-up rows.
        let row = client
            .query_one(
                "SELECT count(*), min(next_attempt_at) FROM outbox \
                 WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1",
                &[&now],
            )
            .await
            .map_err(db_error)?;
        Ok(MailBacklog {
            due: row.get(0),
            oldest_due: row.get(1),
        })
    }

    #[tracing::instrument(name = "postgres.record_mail", skip_all)]
    async fn record_mail(
        &self,
        id: i64,
        attempt: &MailAttempt,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let _timer = METRICS.time_postgres("record_mail");
        // The row was unsent and unfailed while leased, so each outcome sets its own columns.
        let (attempts, sent_at, retry_at, failed_at, why) = match attempt {
            MailAttempt::Sent { attempts } => (attempts, Some(now), None, None, None),
            MailAttempt::Retry { attempts, at, why } => {
                (attempts, None, Some(*at), None, Some(why.as_str()))
            }
            MailAttempt::Failed { attempts, why } => {
                (attempts, None, None, Some(now), Some(why.as_str()))
            }
        };
        let client = self.client().await?;
        client
            .execute(
                "UPDATE outbox SET attempts = $2, sent_at = $3, \
                   next_attempt_at = COALESCE($4, next_attempt_at), failed_at = $5, \
                   last_error = COALESCE($6, last_error), lease_until = NULL WHERE id = $1",
                &[&id, attempts, &sent_at, &retry_at, &failed_at, &why],
            )
            .await
            .map_err(db_error)?;
        Ok(())
    }
}
