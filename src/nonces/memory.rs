//! Nonces in this process's memory, for the embedded backend.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::domain::Nonce;
use crate::service::ports::{Admission, NonceStore, NonceStoreError, RequestId};

#[derive(Default)]
pub struct MemoryNonces {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// (account, nonce) → when it stops being live; one entry per issued nonce.
    live: HashMap<(String, Nonce), Instant>,
    used: HashMap<RequestId, Instant>,
    admitted: u64,
}

impl MemoryNonces {
    pub fn new() -> MemoryNonces {
        MemoryNonces::default()
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, State>, NonceStoreError> {
        self.state
            .lock()
            .map_err(|_| NonceStoreError("memory nonce store poisoned".into()))
    }
}

impl State {
    fn is_live(&mut self, account: &str, nonce: &Nonce, now: Instant) -> bool {
        let entry = (account.to_owned(), nonce.clone());
        match self.live.get(&entry) {
            Some(until) if *until > now => true,
            Some(_) => {
                self.live.remove(&entry);
                false
            }
            None => false,
        }
    }

    /// Drops expired markers now and then so memory stays bounded by the live ones.
    fn sweep(&mut self, now: Instant) {
        self.admitted += 1;
        if self.admitted.is_multiple_of(1024) {
            self.used.retain(|_, until| *until > now);
            self.live.retain(|_, until| *until > now);
        }
    }
}

#[async_trait]
impl NonceStore for MemoryNonces {
    async fn ping(&self) -> Result<(), NonceStoreError> {
        self.lock().map(|_| ())
    }

    async fn issue(
        &self,
        account: &str,
        fresh: &Nonce,
        ttl: Duration,
    ) -> Result<Nonce, NonceStoreError> {
        let mut state = self.lock()?;
        let now = Instant::now();
        state.sweep(now);
        state
            .live
            .insert((account.to_owned(), fresh.clone()), now + ttl);
        Ok(fresh.clone())
    }

    async fn clear(&self, account: &str, nonce: &Nonce) -> Result<(), NonceStoreError> {
        self.lock()?
            .live
            .remove(&(account.to_owned(), nonce.clone()));
        Ok(())
    }

    async fn admit(
        &self,
        account: &str,
        nonce: &Nonce,
        request: &RequestId,
        ttl: Duration,
        consume: bool,
    ) -> Result<Admission, NonceStoreError> {
        let mut state = self.lock()?;
        let now = Instant::now();
        if !state.is_live(account, nonce, now) {
            return Ok(Admission::BadNonce);
        }
        if matches!(state.used.get(request), Some(until) if *until > now) {
            return Ok(Admission::Replayed);
        }
        state.sweep(now);
        state.used.insert(*request, now + ttl);
        if consume {
            state.live.remove(&(account.to_owned(), nonce.clone()));
        }
        Ok(Admission::Accepted)
    }

    async fn release(
        &self,
        account: &str,
        nonce: &Nonce,
        request: &RequestId,
        ttl: Duration,
        consumed: bool,
    ) -> Result<(), NonceStoreError> {
        let mut state = self.lock()?;
        let now = Instant::now();
        state.used.remove(request);
        if consumed {
            state
                .live
                .entry((account.to_owned(), nonce.clone()))
                .or_insert(now + ttl);
        }
        Ok(())
    }
}
