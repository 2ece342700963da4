//! The embedded in-process store: every port under one mutex, the same rules as PostgreSQL
//! (each decision is a `service::rules` call under the lock), lost on exit.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use async_trait::async_trait;
use time::OffsetDateTime;

mod accounts;
mod documents;
mod ledger;
mod lifecycle;
mod pairs;

use crate::domain::{Account, Bucket};
use crate::rein::ReinDocument;
use crate::service::ports::{Health, LiveRoom, StoreError};

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
    document: Option<ReinDocument>,
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
    fn bucket_mut(&mut self, id: i64) -> Option<&mut Bucket> {
        // Bucket ids are 1-based positions, so lookups stay O(1).
        usize::try_from(id - 1)
            .ok()
            .and_then(|i| self.buckets.get_mut(i))
    }

    fn account(&self, id: i64) -> Option<&Account> {
        usize::try_from(id - 1)
            .ok()
            .and_then(|i| self.accounts.get(i))
    }

    /// The live buckets of `account_id` with the room left in each: what the rules choose from.
    fn live_rooms(&self, account_id: i64, now: OffsetDateTime) -> Vec<LiveRoom> {
        self.buckets
            .iter()
            .filter(|b| b.account_id == account_id && b.is_live(now))
            .map(|b| LiveRoom {
                bucket_id: b.id,
                account_id,
                bytes_free: b.bytes_free(),
            })
            .collect()
    }

    /// Moves `bytes` of a bucket's use by `delta` (a claim or, negative, a release).
    fn add_used(&mut self, bucket_id: i64, delta: i64) {
        if let Some(bucket) = self.bucket_mut(bucket_id) {
            bucket.bytes_used += delta;
        }
    }

    fn new_bucket_id(&self) -> i64 {
        self.buckets.len() as i64 + 1
    }
}

#[async_trait]
impl Health for MemoryStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.lock().map(|_| ())
    }
}
