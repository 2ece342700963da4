//! Accounts, delegates and buckets in memory.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::MemoryStore;
use crate::domain::{Account, Bucket, BucketStatus, BucketTerms};
use crate::service::ports::{Accounts, Grant, StoreError};
use crate::service::rules::{capacity, free_buckets};

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

    async fn add_delegate(
        &self,
        account_id: i64,
        delegate: &str,
        proven: bool,
    ) -> Result<(), StoreError> {
        // A claimed delegate authorizes nothing, so only proven ones are worth keeping here.
        if proven {
            self.lock()?
                .proven
                .insert((account_id, delegate.to_owned()));
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

    async fn stored_bytes(&self) -> Result<i64, StoreError> {
        let state = self.lock()?;
        Ok(state.buckets.iter().map(|b| b.bytes_used).sum())
    }
}
