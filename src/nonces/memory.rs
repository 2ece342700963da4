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
    live: HashMap<String, (Nonce, Instant)>,
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
    fn live_nonce(&mut self, account: &str, now: Instant) -> Option<&Nonce> {
        if matches!(self.live.get(account), Some((_, until)) if *until <= now) {
            self.live.remove(account);
        }
        self.live.get(account).map(|(nonce, _)| nonce)
    }

    /// Drops expired markers now and then so memory stays bounded by the live ones.
    fn sweep(&mut self, now: Instant) {
        self.admitted += 1;
        if self.admitted.is_multiple_of(1024) {
            self.used.retain(|_, until| *until > now);
            self.live.retain(|_, (_, until)| *until > now);
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
        if let Some(live) = state.live_nonce(account, now) {
            return Ok(live.clone());
        }
        state
            .live
            .insert(account.to_owned(), (fresh.clone(), now + ttl));
        Ok(fresh.clone())
    }

    async fn clear(&self, account: &str, nonce: &Nonce) -> Result<(), NonceStoreError> {
        let mut state = self.lock()?;
        if state.live_nonce(account, Instant::now()) == Some(nonce) {
            state.live.remove(account);
        }
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
        if state.live_nonce(account, now) != Some(nonce) {
            return Ok(Admission::BadNonce);
        }
        if matches!(state.used.get(request), Some(until) if *until > now) {
            return Ok(Admission::Replayed);
        }
        state.sweep(now);
        state.used.insert(*request, now + ttl);
        if consume {
            state.live.remove(account);
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
        if consumed && state.live_nonce(account, now).is_none() {
            state
                .live
                .insert(account.to_owned(), (nonce.clone(), now + ttl));
        }
        Ok(())
    }
}
