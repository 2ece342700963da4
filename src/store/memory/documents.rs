//! Finding Rein documents in memory: a scan, fine for the quick start's sizes.

use async_trait::async_trait;

use super::MemoryStore;
use crate::service::ports::{DocQuery, Documents, FoundDoc, Searchable, StoreError};

#[async_trait]
impl Documents for MemoryStore {
    async fn find_documents(&self, query: &DocQuery) -> Result<Vec<FoundDoc>, StoreError> {
        let state = self.lock()?;
        let mut found: Vec<FoundDoc> = state
            .pairs
            .iter()
            .filter(|(_, pair)| query.testnet.is_none_or(|t| pair.testnet == t))
            .filter_map(|(key, pair)| Some((key, pair, pair.document.as_ref()?)))
            .filter(|(_, _, doc)| doc.signature_valid)
            .filter(|(_, _, doc)| query.title.as_ref().is_none_or(|t| &doc.title == t))
            .filter(|(_, _, doc)| {
                query
                    .fields
                    .iter()
                    .all(|(name, value)| doc.field(name) == Some(value.as_str()))
            })
            .filter(|(_, _, doc)| match &query.contains {
                None => true,
                Some((field, text)) => {
                    let name = match field {
                        Searchable::User => "User",
                        Searchable::Contact => "Contact",
                    };
                    doc.is_enrollment()
                        && doc
                            .field(name)
                            .is_some_and(|v| v.to_lowercase().contains(&text.to_lowercase()))
                }
            })
            .map(|(key, pair, _)| FoundDoc {
                seq: pair.seq,
                bucket_id: pair.bucket_id,
                key: key.clone(),
                value: pair.value.clone(),
            })
            .collect();
        found.sort_by_key(|doc| doc.seq);
        found.truncate(usize::try_from(query.limit).unwrap_or(0));
        Ok(found)
    }
}
