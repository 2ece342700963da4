//! The in-memory ledger: `rules::money` decides under the store's one lock.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::state::{LedgerRow, State};
use super::MemoryStore;
use crate::domain::{Bucket, BucketStatus, BucketTerms};
use crate::service::ports::{
    DepositOutcome, Entry, Ledger, LedgerEntry, Posted, Purchase, StoreError,
};
use crate::service::rules::capacity;
use crate::service::rules::money::{self, PendingBucket};

impl State {
    fn balance_of(&self, account_id: i64) -> i64 {
        self.balances.get(&account_id).copied().unwrap_or(0)
    }

    /// Changes the balance by what a rule allowed, with its ledger row.
    fn record(
        &mut self,
        account_id: i64,
        delta: i64,
        entry: Entry,
        bucket_id: Option<i64>,
        memo: &str,
        at: OffsetDateTime,
    ) {
        if delta == 0 {
            return;
        }
        let balance = self.balances.entry(account_id).or_insert(0);
        *balance += delta;
        let balance_after = *balance;
        self.ledger.push(LedgerRow {
            account_id,
            entry: LedgerEntry {
                delta_sats: delta,
                balance_after,
                entry,
                bucket_id,
                memo: memo.to_owned(),
                at,
            },
        });
    }

    /// The account's pending buckets, what the money rules choose among.
    fn pending_of(&self, account_id: i64) -> Vec<PendingBucket> {
        self.buckets
            .iter()
            .filter(|b| b.account_id == account_id && b.status == BucketStatus::Pending)
            .map(|b| PendingBucket {
                bucket_id: b.id,
                price_sats: b.price_sats,
            })
            .collect()
    }

    fn pay_pending(&mut self, account_id: i64, now: OffsetDateTime) -> Vec<Bucket> {
        let pending = self.pending_of(account_id);
        let mut activated = Vec::new();
        for paid in money::pending_paid(self.balance_of(account_id), &pending) {
            self.record(
                account_id,
                -paid.price_sats,
                Entry::Purchase,
                Some(paid.bucket_id),
                "",
                now,
            );
            if let Some(bucket) = self.bucket_mut(paid.bucket_id) {
                (bucket.created, bucket.expires) =
                    money::activation(bucket.created, bucket.expires, now);
                bucket.status = BucketStatus::Active;
                activated.push(bucket.clone());
            }
        }
        activated
    }
}

#[async_trait]
impl Ledger for MemoryStore {
    async fn balance(&self, account_id: i64) -> Result<i64, StoreError> {
        Ok(self.lock()?.balance_of(account_id))
    }

    async fn entries(&self, account_id: i64) -> Result<Vec<LedgerEntry>, StoreError> {
        let state = self.lock()?;
        Ok(state
            .ledger
            .iter()
            .filter(|row| row.account_id == account_id)
            .map(|row| row.entry.clone())
            .collect())
    }

    async fn post(
        &self,
        account_id: i64,
        delta: i64,
        entry: Entry,
        memo: &str,
        now: OffsetDateTime,
    ) -> Result<Posted, StoreError> {
        let mut state = self.lock()?;
        let balance = state.balance_of(account_id);
        if money::post(balance, delta).is_none() {
            return Ok(Posted::Insufficient { balance });
        }
        state.record(account_id, delta, entry, None, memo, now);
        let activated = if money::pays_pending(delta) {
            state.pay_pending(account_id, now)
        } else {
            Vec::new()
        };
        Ok(Posted::Done {
            balance: state.balance_of(account_id),
            activated,
        })
    }

    async fn buy_bucket(
        &self,
        account_id: i64,
        terms: BucketTerms,
        price: i64,
        signed: bool,
        capacity: i64,
        now: OffsetDateTime,
    ) -> Result<Purchase, StoreError> {
        let mut state = self.lock()?;
        let pending = state.pending_of(account_id);
        if let Some(reused) = money::pending_reused(signed, &pending) {
            return state
                .bucket_mut(reused)
                .cloned()
                .map(Purchase::Bucket)
                .ok_or_else(|| StoreError::Internal(format!("no bucket {reused}")));
        }
        if !capacity::may_add(state.committed_bytes(), terms.bytes_total, capacity) {
            return Ok(Purchase::ServerFull);
        }
        let paid = money::pays_now(signed, state.balance_of(account_id), price);
        let id = state.new_bucket_id();
        if paid {
            state.record(account_id, -price, Entry::Purchase, Some(id), "", now);
        }
        let bucket = Bucket {
            id,
            account_id,
            created: now,
            expires: now + terms.term,
            status: if paid {
                BucketStatus::Active
            } else {
                BucketStatus::Pending
            },
            free: terms.free,
            bytes_total: terms.bytes_total,
            bytes_used: 0,
            transfer_total: terms.transfer_total,
            transfer_used: 0,
            price_sats: price,
        };
        state.buckets.push(bucket.clone());
        Ok(Purchase::Bucket(bucket))
    }

    async fn record_deposit(
        &self,
        address: &str,
        total_received: i64,
        now: OffsetDateTime,
    ) -> Result<DepositOutcome, StoreError> {
        let mut state = self.lock()?;
        let Some(account_id) = state
            .deposit_addresses
            .iter()
            .find(|(_, a)| a.as_str() == address)
            .map(|(id, _)| *id)
        else {
            return Ok(DepositOutcome::UnknownAddress);
        };
        let seen = state.deposits_seen.get(&account_id).copied().unwrap_or(0);
        let amount = match money::credit_deposit(seen, total_received) {
            Ok(amount) => amount,
            Err(nothing_to_credit) => return Ok(nothing_to_credit),
        };
        state.deposits_seen.insert(account_id, total_received);
        let memo = format!("received at {address}");
        state.record(account_id, amount, Entry::Deposit, None, &memo, now);
        let activated = state.pay_pending(account_id, now).len();
        Ok(DepositOutcome::Credited {
            amount,
            balance: state.balance_of(account_id),
            activated,
        })
    }

    async fn deposit_index(&self, account_id: i64) -> Result<u32, StoreError> {
        let mut state = self.lock()?;
        if let Some(index) = state.deposit_indexes.get(&account_id) {
            return Ok(*index);
        }
        let index = u32::try_from(state.deposit_indexes.len())
            .map_err(|_| StoreError::Internal("deposit indexes exhausted".into()))?;
        state.deposit_indexes.insert(account_id, index);
        Ok(index)
    }

    async fn set_deposit_address(&self, account_id: i64, address: &str) -> Result<(), StoreError> {
        self.lock()?
            .deposit_addresses
            .insert(account_id, address.to_owned());
        Ok(())
    }
}
