//! The in-memory lifecycle passes: the same rules as PostgreSQL's, under the store's lock.

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};

use super::MemoryStore;
use crate::domain::BucketStatus;
use crate::store::{
    backoff, Delivery, DrainReport, ExpiredBucket, ExpiryReport, Lifecycle, MailSender,
    NoticeWriter, OutboxMail, StoreError,
};

/// A queued mail and its delivery state.
pub(super) struct OutboxRow {
    mail: OutboxMail,
    bucket_id: i64,
    next_attempt: OffsetDateTime,
    done: bool,
    /// Taken by a running drain, so a concurrent one skips it.
    in_flight: bool,
}

#[async_trait]
impl Lifecycle for MemoryStore {
    async fn expire(
        &self,
        now: OffsetDateTime,
        retention: Duration,
        notice: &NoticeWriter,
    ) -> Result<Option<ExpiryReport>, StoreError> {
        let mut state = self.lock()?;
        let mut report = ExpiryReport::default();
        let mut due: Vec<(OffsetDateTime, i64)> = state
            .buckets
            .iter()
            .filter(|b| b.status == BucketStatus::Active && b.expires <= now)
            .map(|b| (b.expires, b.id))
            .collect();
        due.sort();
        for (_, bucket_id) in due {
            let Some(bucket) = state.bucket_mut(bucket_id) else {
                continue;
            };
            bucket.status = BucketStatus::Expired;
            let account_id = bucket.account_id;
            state.expired_at.insert(bucket_id, now);
            let mut keys: Vec<(i64, String)> = state
                .pairs
                .iter()
                .filter(|(_, p)| p.bucket_id == bucket_id)
                .map(|(k, p)| (-p.size, k.clone()))
                .collect();
            keys.sort();
            let (mut moved, mut stranded) = (0, 0);
            for (negative_size, key) in keys {
                let size = -negative_size;
                match state.claim_newest(account_id, size, now) {
                    Some((target, _)) => {
                        if let Some(pair) = state.pairs.get_mut(&key) {
                            pair.bucket_id = target;
                        }
                        if let Some(old) = state.bucket_mut(bucket_id) {
                            old.bytes_used -= size;
                        }
                        moved += 1;
                    }
                    None => stranded += 1,
                }
            }
            let account = usize::try_from(account_id - 1)
                .ok()
                .and_then(|i| state.accounts.get(i))
                .cloned()
                .ok_or_else(|| {
                    StoreError::Internal(format!("bucket of missing account {account_id}"))
                })?;
            let expired = ExpiredBucket {
                bucket_id,
                account_address: account.address,
                contact: account.contact,
                moved,
                stranded,
            };
            let already = state.outbox.iter().any(|row| row.bucket_id == bucket_id);
            if stranded > 0 && !already {
                if let Some(mail) = notice(&expired) {
                    let id = state.outbox.len() as i64 + 1;
                    state.outbox.push(OutboxRow {
                        mail: OutboxMail {
                            id,
                            recipient: mail.recipient,
                            subject: mail.subject,
                            body: mail.body,
                            attempts: 0,
                        },
                        bucket_id,
                        next_attempt: now,
                        done: false,
                        in_flight: false,
                    });
                    report.mails_queued += 1;
                }
            }
            report.expired.push(expired);
        }
        let purge_before = now - retention;
        let purged: Vec<i64> = state
            .buckets
            .iter()
            .filter(|b| b.status == BucketStatus::Expired)
            .map(|b| b.id)
            .filter(|id| {
                state
                    .expired_at
                    .get(id)
                    .is_some_and(|at| *at <= purge_before)
            })
            .filter(|id| !state.purged.contains(id))
            .collect();
        for id in &purged {
            state.purged.insert(*id);
            if let Some(bucket) = state.bucket_mut(*id) {
                bucket.bytes_used = 0;
            }
        }
        report.purged_buckets = purged.len() as i64;
        let before = state.pairs.len();
        state.pairs.retain(|_, p| !purged.contains(&p.bucket_id));
        report.purged_pairs = (before - state.pairs.len()) as i64;
        Ok(Some(report))
    }

    async fn drain_outbox(
        &self,
        now: OffsetDateTime,
        max_attempts: i32,
        sender: &dyn MailSender,
    ) -> Result<DrainReport, StoreError> {
        let due: Vec<OutboxMail> = {
            let mut state = self.lock()?;
            state
                .outbox
                .iter_mut()
                .filter(|row| !row.done && !row.in_flight && row.next_attempt <= now)
                .map(|row| {
                    row.in_flight = true;
                    row.mail.clone()
                })
                .collect()
        };
        let mut report = DrainReport::default();
        for mail in due {
            // The lock is not held across the send: other requests go on meanwhile.
            let delivery = sender.deliver(&mail).await;
            let mut state = self.lock()?;
            let Some(row) = state.outbox.iter_mut().find(|row| row.mail.id == mail.id) else {
                continue;
            };
            row.in_flight = false;
            row.mail.attempts += 1;
            match delivery {
                Delivery::Sent => {
                    row.done = true;
                    report.sent += 1;
                }
                Delivery::Retry(_) if row.mail.attempts < max_attempts => {
                    row.next_attempt = now + backoff(row.mail.attempts - 1);
                    report.retried += 1;
                }
                Delivery::Retry(_) | Delivery::Failed(_) => {
                    row.done = true;
                    report.failed += 1;
                }
            }
        }
        Ok(report)
    }
}
