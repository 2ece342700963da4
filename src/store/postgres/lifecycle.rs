//! The PostgreSQL lifecycle passes: expiry under a transaction-scoped advisory lock (one
//! replica at a time), the outbox drained with SKIP LOCKED (one sender per mail).

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};

use super::{claim_newest, db_error, PostgresStore};
use crate::store::{
    backoff, Delivery, DrainReport, ExpiredBucket, ExpiryReport, Lifecycle, MailSender,
    NoticeWriter, OutboxMail, StoreError,
};

/// Any fixed number; paired with the schema's hash so deployments sharing a database (or
/// tests, one schema each) do not wait on each other.
const EXPIRY_LOCK: i32 = 0x6578_7069;

/// Buckets handled per pass, so one pass stays one short transaction; the next pass
/// continues where this one stopped.
const EXPIRY_BATCH: i64 = 200;
const MAIL_BATCH: i64 = 20;

#[async_trait]
impl Lifecycle for PostgresStore {
    #[tracing::instrument(name = "postgres.expire", skip_all)]
    async fn expire(
        &self,
        now: OffsetDateTime,
        retention: Duration,
        notice: &NoticeWriter,
    ) -> Result<Option<ExpiryReport>, StoreError> {
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
        let mut report = ExpiryReport::default();
        let due = tx
            .query(
                "SELECT b.id, b.account_id, a.address, a.contact FROM buckets b \
                 JOIN accounts a ON a.id = b.account_id \
                 WHERE b.status = 'active' AND b.expires_at <= $1 ORDER BY b.expires_at, b.id LIMIT $2 \
                 FOR UPDATE OF b",
                &[&now, &EXPIRY_BATCH],
            )
            .await
            .map_err(db_error)?;
        for bucket in due {
            let (bucket_id, account_id): (i64, i64) = (bucket.get(0), bucket.get(1));
            // Off the books first, so the bucket can not be chosen as a destination.
            tx.execute(
                "UPDATE buckets SET status = 'expired', expired_at = $2 WHERE id = $1",
                &[&bucket_id, &now],
            )
            .await
            .map_err(db_error)?;
            let pairs = tx
                .query(
                    "SELECT key, size FROM pairs WHERE bucket_id = $1 ORDER BY size DESC, key FOR UPDATE",
                    &[&bucket_id],
                )
                .await
                .map_err(db_error)?;
            let (mut moved, mut stranded) = (0, 0);
            for pair in pairs {
                let (key, size): (String, i64) = (pair.get(0), pair.get(1));
                match claim_newest(&tx, account_id, size, now)
                    .await
                    .map_err(db_error)?
                {
                    Some((target, _)) => {
                        tx.execute(
                            "UPDATE pairs SET bucket_id = $2 WHERE key = $1",
                            &[&key, &target],
                        )
                        .await
                        .map_err(db_error)?;
                        tx.execute(
                            "UPDATE buckets SET bytes_used = bytes_used - $2 WHERE id = $1",
                            &[&bucket_id, &size],
                        )
                        .await
                        .map_err(db_error)?;
                        moved += 1;
                    }
                    None => stranded += 1,
                }
            }
            let expired = ExpiredBucket {
                bucket_id,
                account_address: bucket.get(2),
                contact: bucket.get(3),
                moved,
                stranded,
            };
            if stranded > 0 {
                if let Some(mail) = notice(&expired) {
                    report.mails_queued += tx
                        .execute(
                            "INSERT INTO outbox (kind, bucket_id, recipient, subject, body, created_at, next_attempt_at) \
                             VALUES ('bucket_expired', $1, $2, $3, $4, $5, $5) \
                             ON CONFLICT (kind, bucket_id) DO NOTHING",
                            &[&bucket_id, &mail.recipient, &mail.subject, &mail.body, &now],
                        )
                        .await
                        .map_err(db_error)? as i64;
                }
            }
            report.expired.push(expired);
        }
        let purge_before = now - retention;
        let purged = tx
            .query(
                "UPDATE buckets SET purged_at = $1, bytes_used = 0 \
                 WHERE id IN (SELECT id FROM buckets WHERE status = 'expired' AND purged_at IS NULL \
                              AND expired_at <= $2 ORDER BY id LIMIT $3 FOR UPDATE) \
                 RETURNING id",
                &[&now, &purge_before, &EXPIRY_BATCH],
            )
            .await
            .map_err(db_error)?;
        let purged_ids: Vec<i64> = purged.iter().map(|r| r.get(0)).collect();
        report.purged_buckets = purged_ids.len() as i64;
        if !purged_ids.is_empty() {
            report.purged_pairs = tx
                .execute(
                    "DELETE FROM pairs WHERE bucket_id = ANY($1)",
                    &[&purged_ids],
                )
                .await
                .map_err(db_error)? as i64;
        }
        tx.commit().await.map_err(db_error)?;
        Ok(Some(report))
    }

    #[tracing::instrument(name = "postgres.drain_outbox", skip_all)]
    async fn drain_outbox(
        &self,
        now: OffsetDateTime,
        max_attempts: i32,
        sender: &dyn MailSender,
    ) -> Result<DrainReport, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db_error)?;
        // Locked rows are skipped by other replicas: each mail has one sender at a time.
        let due = tx
            .query(
                "SELECT id, recipient, subject, body, attempts FROM outbox \
                 WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1 \
                 ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED",
                &[&now, &MAIL_BATCH],
            )
            .await
            .map_err(db_error)?;
        let mut report = DrainReport::default();
        for row in due {
            let mail = OutboxMail {
                id: row.get(0),
                recipient: row.get(1),
                subject: row.get(2),
                body: row.get(3),
                attempts: row.get(4),
            };
            let attempts = mail.attempts + 1;
            match sender.deliver(&mail).await {
                Delivery::Sent => {
                    tx.execute(
                        "UPDATE outbox SET sent_at = $2, attempts = $3 WHERE id = $1",
                        &[&mail.id, &now, &attempts],
                    )
                    .await
                    .map_err(db_error)?;
                    report.sent += 1;
                }
                Delivery::Retry(why) if attempts < max_attempts => {
                    tx.execute(
                        "UPDATE outbox SET attempts = $3, next_attempt_at = $2, last_error = $4 WHERE id = $1",
                        &[&mail.id, &(now + backoff(mail.attempts)), &attempts, &why],
                    )
                    .await
                    .map_err(db_error)?;
                    report.retried += 1;
                }
                Delivery::Retry(why) | Delivery::Failed(why) => {
                    tx.execute(
                        "UPDATE outbox SET attempts = $3, failed_at = $2, last_error = $4 WHERE id = $1",
                        &[&mail.id, &now, &attempts, &why],
                    )
                    .await
                    .map_err(db_error)?;
                    report.failed += 1;
                }
            }
        }
        tx.commit().await.map_err(db_error)?;
        Ok(report)
    }
}
