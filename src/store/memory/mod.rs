//! The embedded in-process store: the same rules as PostgreSQL, held in memory, lost on exit.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use async_trait::async_trait;
use time::OffsetDateTime;

mod documents;
mod ledger;
mod lifecycle;

use super::{IndexedDoc, NewPair, PutOutcome, Store, StoreError, StoredPair};
use crate::domain::{Account, Bucket, BucketStatus, BucketTerms};

#[derive(Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    accounts: Vec<Account>,
    by_address: HashMap<String, usize>,
    /// (account id, delegate) of delegates proven by a signed registration.
    proven: HashSet<(i64, String)>,
    claimed: HashSet<(i64, String)>,
    /// (account id, delegate) → how many stored enrollments prove it, so the check is O(1).
    enrollment_proofs: HashMap<(i64, String), usize>,
    buckets: Vec<Bucket>,
    pairs: HashMap<String, Pair>,
    balances: HashMap<i64, i64>,
    ledger: Vec<ledger::LedgerRow>,
    deposit_addresses: HashMap<i64, String>,
    deposits_seen: HashMap<i64, i64>,
    outbox: Vec<lifecycle::OutboxRow>,
    next_seq: i64,
    /// When the expiry pass expired each bucket: retention counts from there.
    expired_at: HashMap<i64, OffsetDateTime>,
    /// Expired buckets whose pairs were purged after retention.
    purged: HashSet<i64>,
}

struct Pair {
    account_id: i64,
    bucket_id: i64,
    value: String,
    size: i64,
    etag: String,
    proves_delegate: Option<String>,
    /// Order of first storage, kept by replacements.
    seq: i64,
    testnet: bool,
    document: Option<IndexedDoc>,
}

impl MemoryStore {
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, State>, StoreError> {
        // A poisoned lock means a panic mid-update; refuse service rather than serve torn state.
        self.state
            .lock()
            .map_err(|_| StoreError::Internal("memory store poisoned".into()))
    }
}

impl State {
    fn forget_proof(&mut self, account_id: i64, delegate: Option<String>) {
        if let Some(delegate) = delegate {
            let entry = (account_id, delegate);
            if let Some(n) = self.enrollment_proofs.get_mut(&entry) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    self.enrollment_proofs.remove(&entry);
                }
            }
        }
    }

    fn bucket_mut(&mut self, id: i64) -> Option<&mut Bucket> {
        // Bucket ids are 1-based positions, so lookups stay O(1).
        usize::try_from(id - 1)
            .ok()
            .and_then(|i| self.buckets.get_mut(i))
    }

    fn claim(&mut self, bucket_id: i64, delta: i64, now: OffsetDateTime) -> Option<i64> {
        let bucket = self.bucket_mut(bucket_id)?;
        if bucket.is_live(now) && bucket.bytes_used + delta <= bucket.bytes_total {
            bucket.bytes_used += delta;
            Some(bucket.bytes_free())
        } else {
            None
        }
    }

    fn claim_newest(
        &mut self,
        account_id: i64,
        size: i64,
        now: OffsetDateTime,
    ) -> Option<(i64, i64)> {
        let newest_with_room = self
            .buckets
            .iter()
            .rev()
            .filter(|b| b.account_id == account_id && b.is_live(now))
            .find(|b| b.bytes_used + size <= b.bytes_total)
            .map(|b| b.id)?;
        self.claim(newest_with_room, size, now)
            .map(|free| (newest_with_room, free))
    }
}

#[async_trait]
impl Store for MemoryStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.lock().map(|_| ())
    }

    async fn find_account(&self, address: &str) -> Result<Option<Account>, StoreError> {
        let state = self.lock()?;
        Ok(state
            .by_address
            .get(address)
            .map(|&i| state.accounts[i].clone()))
    }

    async fn upsert_account(
        &self,
        address: &str,
        contact: Option<&str>,
    ) -> Result<Account, StoreError> {
        let mut state = self.lock()?;
        let index = match state.by_address.get(address) {
            Some(&i) => i,
            None => {
                let i = state.accounts.len();
                state.accounts.push(Account {
                    id: i as i64 + 1,
                    address: address.to_owned(),
                    contact: String::new(),
                });
                state.by_address.insert(address.to_owned(), i);
                i
            }
        };
        if let Some(contact) = contact {
            state.accounts[index].contact = contact.to_owned();
        }
        Ok(state.accounts[index].clone())
    }

    async fn add_delegate(
        &self,
        account_id: i64,
        delegate: &str,
        proven: bool,
    ) -> Result<(), StoreError> {
        let mut state = self.lock()?;
        let entry = (account_id, delegate.to_owned());
        if proven {
            state.proven.insert(entry);
        } else {
            state.claimed.insert(entry);
        }
        Ok(())
    }

    async fn is_proven_delegate(
        &self,
        account_id: i64,
        delegate: &str,
    ) -> Result<bool, StoreError> {
        let state = self.lock()?;
        if state.proven.contains(&(account_id, delegate.to_owned())) {
            return Ok(true);
        }
        Ok(state
            .pairs
            .values()
            .any(|p| p.account_id == account_id && p.proves_delegate.as_deref() == Some(delegate)))
    }

    async fn buckets(&self, account_id: i64) -> Result<Vec<Bucket>, StoreError> {
        let state = self.lock()?;
        Ok(state
            .buckets
            .iter()
            .filter(|b| b.account_id == account_id)
            .cloned()
            .collect())
    }

    async fn grant_free_bucket(
        &self,
        account_id: i64,
        limit: i64,
        terms: BucketTerms,
        now: OffsetDateTime,
    ) -> Result<Option<Bucket>, StoreError> {
        let mut state = self.lock()?;
        let held = state
            .buckets
            .iter()
            .filter(|b| b.account_id == account_id && b.free)
            .count() as i64;
        if held >= limit {
            return Ok(None);
        }
        let bucket = Bucket {
            id: state.buckets.len() as i64 + 1,
            account_id,
            created: now,
            expires: now + terms.term,
            status: BucketStatus::Active,
            free: terms.free,
            bytes_total: terms.bytes_total,
            bytes_used: 0,
            transfer_total: terms.transfer_total,
            transfer_used: 0,
            price_sats: 0,
        };
        state.buckets.push(bucket.clone());
        Ok(Some(bucket))
    }

    async fn put_pair(
        &self,
        pair: NewPair<'_>,
        now: OffsetDateTime,
    ) -> Result<PutOutcome, StoreError> {
        let mut state = self.lock()?;
        let placed = match state.pairs.get(pair.key) {
            Some(old) if old.account_id != pair.account_id => {
                return Ok(PutOutcome::KeyOwnedByOther)
            }
            Some(old) => {
                let (old_bucket, old_size) = (old.bucket_id, old.size);
                match state.claim(old_bucket, pair.size - old_size, now) {
                    Some(free) => Some((old_bucket, free)),
                    None => {
                        // Growth does not fit where the pair lives: move it whole, or not at all.
                        if let Some(bucket) = state.bucket_mut(old_bucket) {
                            bucket.bytes_used -= old_size;
                        }
                        let moved = state.claim_newest(pair.account_id, pair.size, now);
                        if moved.is_none() {
                            if let Some(bucket) = state.bucket_mut(old_bucket) {
                                bucket.bytes_used += old_size;
                            }
                        }
                        moved
                    }
                }
            }
            None => state.claim_newest(pair.account_id, pair.size, now),
        };
        let Some((bucket_id, bytes_free)) = placed else {
            return Ok(PutOutcome::NoRoom);
        };
        let replaced = state
            .pairs
            .get(pair.key)
            .and_then(|p| p.proves_delegate.clone());
        state.forget_proof(pair.account_id, replaced);
        if let Some(delegate) = pair.proves_delegate {
            *state
                .enrollment_proofs
                .entry((pair.account_id, delegate.to_owned()))
                .or_insert(0) += 1;
        }
        let seq = match state.pairs.get(pair.key) {
            Some(old) => old.seq,
            None => {
                state.next_seq += 1;
                state.next_seq
            }
        };
        state.pairs.insert(
            pair.key.to_owned(),
            Pair {
                account_id: pair.account_id,
                bucket_id,
                value: pair.value.to_owned(),
                size: pair.size,
                etag: pair.etag.to_owned(),
                proves_delegate: pair.proves_delegate.map(str::to_owned),
                seq,
                testnet: pair.testnet,
                document: pair.document.cloned(),
            },
        );
        Ok(PutOutcome::Stored {
            bucket_id,
            bytes_free,
        })
    }

    async fn get_pair(&self, key: &str) -> Result<Option<StoredPair>, StoreError> {
        let mut state = self.lock()?;
        let Some(pair) = state.pairs.get(key) else {
            return Ok(None);
        };
        let (account_id, value, etag, bucket_id) = (
            pair.account_id,
            pair.value.clone(),
            pair.etag.clone(),
            pair.bucket_id,
        );
        let bucket = state
            .bucket_mut(bucket_id)
            .cloned()
            .ok_or_else(|| StoreError::Internal(format!("pair in missing bucket {bucket_id}")))?;
        Ok(Some(StoredPair {
            account_id,
            value,
            etag,
            bucket,
        }))
    }

    async fn delete_pair(&self, account_id: i64, key: &str) -> Result<bool, StoreError> {
        let mut state = self.lock()?;
        match state.pairs.get(key) {
            Some(pair) if pair.account_id == account_id => {}
            _ => return Ok(false),
        }
        if let Some(pair) = state.pairs.remove(key) {
            if let Some(bucket) = state.bucket_mut(pair.bucket_id) {
                bucket.bytes_used -= pair.size;
            }
            state.forget_proof(account_id, pair.proves_delegate);
        }
        Ok(true)
    }

    async fn add_transfer(&self, bucket_id: i64, bytes: i64) -> Result<(), StoreError> {
        let mut state = self.lock()?;
        if let Some(bucket) = state.bucket_mut(bucket_id) {
            bucket.transfer_used += bytes;
        }
        Ok(())
    }

    async fn stored_bytes(&self) -> Result<i64, StoreError> {
        let state = self.lock()?;
        Ok(state.buckets.iter().map(|b| b.bytes_used).sum())
    }
}
