//! Everything the memory store holds, behind its one mutex, and the lookups the ports share.

use std::collections::{HashMap, HashSet};

use time::OffsetDateTime;

use crate::domain::{Account, Bucket, BucketStatus};
use crate::rein::ReinDocument;
use crate::service::ports::{DelegateState, LedgerEntry, LiveRoom, OutboxMail, ProofId};

#[derive(Default)]
pub(super) struct State {
    pub(super) accounts: Vec<Account>,
    pub(super) by_address: HashMap<String, usize>,
    /// Each account's one delegate and the proof it rests on (None: none recorded).
    pub(super) delegates: HashMap<i64, (Option<String>, ProofId)>,
    /// (account id, proof) of every proof of an owner's seen: spent for good.
    pub(super) spent_proofs: HashSet<(i64, ProofId)>,
    pub(super) buckets: Vec<Bucket>,
    pub(super) pairs: HashMap<String, Pair>,
    pub(super) balances: HashMap<i64, i64>,
    pub(super) ledger: Vec<LedgerRow>,
    pub(super) deposit_addresses: HashMap<i64, String>,
    /// Each account's deposit child index, given 0, 1, 2, … in the order they were asked for.
    pub(super) deposit_indexes: HashMap<i64, u32>,
    pub(super) deposits_seen: HashMap<i64, i64>,
    pub(super) outbox: Vec<OutboxRow>,
    pub(super) next_seq: i64,
    /// When the expiry pass expired each bucket: retention counts from there.
    pub(super) expired_at: HashMap<i64, OffsetDateTime>,
    /// Expired buckets whose pairs were purged after retention.
    pub(super) purged: HashSet<i64>,
}

pub(super) struct Pair {
    pub(super) account_id: i64,
    pub(super) bucket_id: i64,
    pub(super) value: String,
    pub(super) size: i64,
    pub(super) etag: String,
    /// Order of first storage, kept by replacements.
    pub(super) seq: i64,
    pub(super) testnet: bool,
    pub(super) document: Option<ReinDocument>,
}

impl State {
    pub(super) fn bucket_mut(&mut self, id: i64) -> Option<&mut Bucket> {
        // Bucket ids are 1-based positions, so lookups stay O(1).
        usize::try_from(id - 1)
            .ok()
            .and_then(|i| self.buckets.get_mut(i))
    }

    pub(super) fn account(&self, id: i64) -> Option<&Account> {
        usize::try_from(id - 1)
            .ok()
            .and_then(|i| self.accounts.get(i))
    }

    /// The live buckets of `account_id` with the room left in each: what the rules choose from.
    pub(super) fn live_rooms(&self, account_id: i64, now: OffsetDateTime) -> Vec<LiveRoom> {
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
    pub(super) fn add_used(&mut self, bucket_id: i64, delta: i64) {
        if let Some(bucket) = self.bucket_mut(bucket_id) {
            bucket.bytes_used += delta;
        }
    }

    pub(super) fn delegate_state(&self, account_id: i64, proof: &ProofId) -> DelegateState {
        DelegateState {
            current_proof: self.delegates.get(&account_id).map(|(_, current)| *current),
            spent: self.spent_proofs.contains(&(account_id, *proof)),
        }
    }

    /// Bytes of every live bucket, active or pending: what the capacity rule counts.
    pub(super) fn committed_bytes(&self) -> i64 {
        self.buckets
            .iter()
            .filter(|b| matches!(b.status, BucketStatus::Active | BucketStatus::Pending))
            .map(|b| b.bytes_total)
            .sum()
    }

    pub(super) fn new_bucket_id(&self) -> i64 {
        self.buckets.len() as i64 + 1
    }
}

/// One ledger row, kept so the memory backend records money as PostgreSQL does.
#[derive(Debug, Clone)]
pub(super) struct LedgerRow {
    pub(super) account_id: i64,
    pub(super) entry: LedgerEntry,
}

/// A queued mail and its delivery state.
pub(super) struct OutboxRow {
    pub(super) mail: OutboxMail,
    pub(super) bucket_id: i64,
    pub(super) next_attempt: OffsetDateTime,
    pub(super) done: bool,
    /// Claimed by a drain until then: nobody else gets it meanwhile.
    pub(super) lease_until: Option<OffsetDateTime>,
}
