//! The embedded in-process store: every port under one mutex, the same rules as PostgreSQL
//! (each decision is a `service::rules` call under the lock), lost on exit.

use std::sync::Mutex;

use async_trait::async_trait;

mod accounts;
mod documents;
mod ledger;
mod lifecycle;
mod pairs;
mod state;

use crate::service::ports::{Health, StoreError};
use state::State;

#[derive(Default)]
pub struct MemoryStore {
    state: Mutex<State>,
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

#[async_trait]
impl Health for MemoryStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.lock().map(|_| ())
    }
}
