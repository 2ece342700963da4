//! The shared cache in this process's memory, for the embedded backend.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::service::ports::{Cache, CacheError};

#[derive(Default)]
pub struct MemoryCache {
    entries: Mutex<HashMap<String, (String, Instant)>>,
}

impl MemoryCache {
    pub fn new() -> MemoryCache {
        MemoryCache::default()
    }
}

#[async_trait]
impl Cache for MemoryCache {
    async fn get(&self, key: &str) -> Result<Option<String>, CacheError> {
        let entries = self
            .entries
            .lock()
            .map_err(|_| CacheError("memory cache poisoned".into()))?;
        Ok(entries
            .get(key)
            .filter(|(_, until)| *until > Instant::now())
            .map(|(value, _)| value.clone()))
    }

    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<(), CacheError> {
        let mut entries = self
            .entries
            .lock()
            .map_err(|_| CacheError("memory cache poisoned".into()))?;
        entries.insert(key.to_owned(), (value.to_owned(), Instant::now() + ttl));
        Ok(())
    }
}
