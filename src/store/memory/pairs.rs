//! Pairs in memory: a put asks `rules::placement` under the store's lock and applies it.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::state::Pair;
use super::MemoryStore;
use crate::service::ports::{ExistingPair, NewPair, Pairs, PutOutcome, StoreError, StoredPair};
use crate::service::rules::placement::{self, Placement};

#[async_trait]
impl Pairs for MemoryStore {
    async fn put_pair(
        &self,
        pair: NewPair<'_>,
        now: OffsetDateTime,
    ) -> Result<PutOutcome, StoreError> {
        let mut state = self.lock()?;
        let existing = state.pairs.get(pair.key).map(|old| ExistingPair {
            account_id: old.account_id,
            bucket_id: old.bucket_id,
            size: old.size,
        });
        let rooms = state.live_rooms(pair.account_id, now);
        let (bucket_id, claim, release) =
            match placement::choose(pair.account_id, existing, pair.size, &rooms) {
                Placement::KeyOwnedByOther => return Ok(PutOutcome::KeyOwnedByOther),
                Placement::NoRoom => return Ok(PutOutcome::NoRoom),
                Placement::Place {
                    bucket_id,
                    claim,
                    release,
                } => (bucket_id, claim, release),
            };
        if let Some((old_bucket, old_size)) = release {
            state.add_used(old_bucket, -old_size);
        }
        state.add_used(bucket_id, claim);
        let bytes_free = state
            .bucket_mut(bucket_id)
            .map(|b| b.bytes_free())
            .unwrap_or(0);
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
        if state.pairs.get(key).map(|p| p.account_id) != Some(account_id) {
            return Ok(false);
        }
        if let Some(pair) = state.pairs.remove(key) {
            state.add_used(pair.bucket_id, -pair.size);
        }
        Ok(true)
    }
}
