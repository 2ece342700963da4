//! The in-memory lifecycle: `rules::expiry`'s plan applied under the store's lock, with the
//! same batch limits as PostgreSQL, and the outbox handed out with leases.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::state::{OutboxRow, State};
use super::MemoryStore;
use crate::domain::BucketStatus;
use crate::service::ports::{
    DueBucket, DuePair, ExpiryPolicy, ExpiryReport, Lifecycle, MailAttempt, MailBacklog,
    OutboxMail, StoreError,
};
use crate::service::rules::expiry::{self, ExpiryPlan};

impl State {
    /// The pass's batch of due buckets, in pass order, with their owners.
    fn due_buckets(&self, now: OffsetDateTime) -> Result<Vec<DueBucket>, StoreError> {
        let mut due: Vec<_> = self
            .buckets
            .iter()
            .filter(|b| b.status == BucketStatus::Active && b.expires <= now)
            .map(|b| (b.expires, b.id, b.account_id))
            .collect();
        due.sort();
        due.truncate(usize::try_from(expiry::BATCH).unwrap_or(usize::MAX));
        due.into_iter()
            .map(|(_, bucket_id, account_id)| {
                let account = self.account(account_id).ok_or_else(|| {
                    StoreError::Internal(format!("bucket of missing account {account_id}"))
                })?;
                Ok(DueBucket {
                    bucket_id,
                    account_id,
                    account_address: account.address.clone(),
                    contact: account.contact.clone(),
                })
            })
            .collect()
    }

    fn apply(&mut self, plan: &ExpiryPlan, now: OffsetDateTime) -> i64 {
        for expired in &plan.expired {
            if let Some(bucket) = self.bucket_mut(expired.bucket_id) {
                bucket.status = BucketStatus::Expired;
            }
            self.expired_at.insert(expired.bucket_id, now);
        }
        for step in &plan.moves {
            self.add_used(step.to, step.size);
            self.add_used(step.from, -step.size);
            if let Some(pair) = self.pairs.get_mut(&step.key) {
                pair.bucket_id = step.to;
            }
        }
        let mut queued = 0;
        for (bucket_id, mail) in &plan.notices {
            // One notice per bucket, however often the pass runs (PostgreSQL: a UNIQUE key).
            if self.outbox.iter().any(|row| row.bucket_id == *bucket_id) {
                continue;
            }
            let id = self.outbox.len() as i64 + 1;
            self.outbox.push(OutboxRow {
                mail: OutboxMail {
                    id,
                    recipient: mail.recipient.clone(),
                    subject: mail.subject.clone(),
                    body: mail.body.clone(),
                    attempts: 0,
                },
                bucket_id: *bucket_id,
                next_attempt: now,
                done: false,
                lease_until: None,
            });
            queued += 1;
        }
        queued
    }

    /// Drops (expires) a batch of pending buckets bought at or before `before`.
    fn drop_unpaid(&mut self, now: OffsetDateTime, before: OffsetDateTime) -> i64 {
        let unpaid: Vec<i64> = self
            .buckets
            .iter()
            .filter(|b| b.status == BucketStatus::Pending && b.created <= before)
            .map(|b| b.id)
            .take(usize::try_from(expiry::BATCH).unwrap_or(usize::MAX))
            .collect();
        for id in &unpaid {
            if let Some(bucket) = self.bucket_mut(*id) {
                bucket.status = BucketStatus::Expired;
            }
            self.expired_at.insert(*id, now);
        }
        unpaid.len() as i64
    }

    fn purge(&mut self, before: OffsetDateTime) -> (i64, i64) {
        let mut purged: Vec<i64> = self
            .buckets
            .iter()
            .filter(|b| b.status == BucketStatus::Expired && !self.purged.contains(&b.id))
            .filter(|b| self.expired_at.get(&b.id).is_some_and(|at| *at <= before))
            .map(|b| b.id)
            .collect();
        purged.truncate(usize::try_from(expiry::BATCH).unwrap_or(usize::MAX));
        for id in &purged {
            self.purged.insert(*id);
            if let Some(bucket) = self.bucket_mut(*id) {
                bucket.bytes_used = 0;
            }
        }
        let before_count = self.pairs.len();
        self.pairs.retain(|_, p| !purged.contains(&p.bucket_id));
        (
            purged.len() as i64,
            (before_count - self.pairs.len()) as i64,
        )
    }
}

#[async_trait]
impl Lifecycle for MemoryStore {
    async fn expire(
        &self,
        now: OffsetDateTime,
        policy: &ExpiryPolicy,
    ) -> Result<Option<ExpiryReport>, StoreError> {
        let mut state = self.lock()?;
        let due = state.due_buckets(now)?;
        let pairs: Vec<DuePair> = state
            .pairs
            .iter()
            .filter(|(_, p)| due.iter().any(|b| b.bucket_id == p.bucket_id))
            .map(|(key, p)| DuePair {
                key: key.clone(),
                bucket_id: p.bucket_id,
                size: p.size,
            })
            .collect();
        let mut owners: Vec<i64> = due.iter().map(|b| b.account_id).collect();
        owners.sort_unstable();
        owners.dedup();
        let live: Vec<_> = owners
            .into_iter()
            .flat_map(|owner| state.live_rooms(owner, now))
            .collect();
        let plan = expiry::plan(&due, &pairs, &live, policy);
        let mails_queued = state.apply(&plan, now);
        let (purged_buckets, purged_pairs) = state.purge(expiry::purge_before(now, policy));
        let dropped_pending = state.drop_unpaid(now, expiry::unpaid_before(now, policy));
        Ok(Some(ExpiryReport {
            expired: plan.expired,
            purged_buckets,
            purged_pairs,
            mails_queued,
            dropped_pending,
        }))
    }

    async fn claim_mail(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: i64,
    ) -> Result<Vec<OutboxMail>, StoreError> {
        let mut state = self.lock()?;
        Ok(state
            .outbox
            .iter_mut()
            .filter(|row| !row.done && row.next_attempt <= now)
            .filter(|row| row.lease_until.is_none_or(|until| until <= now))
            .take(usize::try_from(limit).unwrap_or(0))
            .map(|row| {
                row.lease_until = Some(lease_until);
                row.mail.clone()
            })
            .collect())
    }

    async fn mail_backlog(&self, now: OffsetDateTime) -> Result<MailBacklog, StoreError> {
        let state = self.lock()?;
        let due: Vec<OffsetDateTime> = state
            .outbox
            .iter()
            .filter(|row| !row.done && row.next_attempt <= now)
            .map(|row| row.next_attempt)
            .collect();
        Ok(MailBacklog {
            due: i64::try_from(due.len()).unwrap_or(i64::MAX),
            oldest_due: due.into_iter().min(),
        })
    }

    async fn record_mail(
        &self,
        id: i64,
        attempt: &MailAttempt,
        _now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut state = self.lock()?;
        let Some(row) = state.outbox.iter_mut().find(|row| row.mail.id == id) else {
            return Ok(());
        };
        row.lease_until = None;
        match attempt {
            MailAttempt::Sent { attempts } | MailAttempt::Failed { attempts, .. } => {
                row.mail.attempts = *attempts;
                row.done = true;
            }
            MailAttempt::Retry { attempts, at, .. } => {
                row.mail.attempts = *attempts;
                row.next_attempt = *at;
            }
        }
        Ok(())
    }
}
