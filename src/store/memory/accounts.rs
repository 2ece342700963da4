//! Accounts, delegates and buckets in memory.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::MemoryStore;
use crate::domain::{Account, Bucket, BucketStatus, BucketTerms};
use crate::service::ports::{
    Accounts, DelegateState, Grant, ProofId, ProofVerdict, StorageTotals, StoreError,
};
use crate::service::rules::{capacity, delegate, free_buckets};

#[async_trait]
impl Accounts for MemoryStore {
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
                    contact: contact.unwrap_or_default().to_owned(),
                });
                state.by_address.insert(address.to_owned(), i);
                i
            }
        };
        Ok(state.accounts[index].clone())
    }

    async fn set_contact(&self, account_id: i64, contact: &str) -> Result<(), StoreError> {
        let mut state = self.lock()?;
        if let Some(account) = usize::try_from(account_id - 1)
            .ok()
            .and_then(|i| state.accounts.get_mut(i))
        {
            account.contact = contact.to_owned();
        }
        Ok(())
    }

    async fn add_claimed_delegate(
        &self,
        _account_id: i64,
        _delegate: &str,
    ) -> Result<(), StoreError> {
        // A claimed delegate authorizes nothing and nothing here reads it back.
        Ok(())
    }

    async fn delegate_state(
        &self,
        account_id: i64,
        proof: &ProofId,
    ) -> Result<DelegateState, StoreError> {
        Ok(self.lock()?.delegate_state(account_id, proof))
    }

    async fn adopt_delegate(
        &self,
        account_id: i64,
        delegate: Option<&str>,
        proof: &ProofId,
    ) -> Result<ProofVerdict, StoreError> {
        let mut state = self.lock()?;
        let verdict = delegate::judge(&state.delegate_state(account_id, proof), proof);
        if verdict == ProofVerdict::Adopt {
            state
                .delegates
                .insert(account_id, (delegate.map(str::to_owned), *proof));
            state.spent_proofs.insert((account_id, *proof));
        }
        Ok(verdict)
    }

    async fn spend_proof(&self, account_id: i64, proof: &ProofId) -> Result<bool, StoreError> {
        Ok(self.lock()?.spent_proofs.insert((account_id, *proof)))
    }

    async fn is_proven_delegate(
        &self,
        account_id: i64,
        delegate: &str,
    ) -> Result<bool, StoreError> {
        let state = self.lock()?;
        Ok(state
            .delegates
            .get(&account_id)
            .is_some_and(|(current, _)| current.as_deref() == Some(delegate)))
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

    async fn buckets_by_id(&self, ids: &[i64]) -> Result<Vec<Bucket>, StoreError> {
        let mut state = self.lock()?;
        Ok(ids
            .iter()
            .filter_map(|id| state.bucket_mut(*id).map(|b| b.clone()))
            .collect())
    }

    async fn grant_free_bucket(
        &self,
        account_id: i64,
        limit: i64,
        terms: BucketTerms,
        capacity: i64,
        now: OffsetDateTime,
    ) -> Result<Grant, StoreError> {
        let mut state = self.lock()?;
        let held = state
            .buckets
            .iter()
            .filter(|b| b.account_id == account_id && b.free)
            .count() as i64;
        if !free_buckets::may_grant(held, limit) {
            return Ok(Grant::LimitReached);
        }
        if !capacity::may_add(state.committed_bytes(), terms.bytes_total, capacity) {
            return Ok(Grant::ServerFull);
        }
        let bucket = Bucket {
            id: state.new_bucket_id(),
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
        Ok(Grant::Granted(bucket))
    }

    async fn add_transfer(&self, bucket_id: i64, bytes: i64) -> Result<(), StoreError> {
        let mut state = self.lock()?;
        if let Some(bucket) = state.bucket_mut(bucket_id) {
            bucket.transfer_used += bytes;
        }
        Ok(())
    }

    async fn storage_totals(&self) -> Result<StorageTotals, StoreError> {
        let state = self.lock()?;
        Ok(StorageTotals {
            stored: state.buckets.iter().map(|b| b.bytes_used).sum(),
            sold: state.committed_bytes(),
        })
    }
}
