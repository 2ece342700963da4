//! Finding stored Rein documents by title, network, exact fields and "contains".

use async_trait::async_trait;

use super::store_error::StoreError;

/// The enrollment fields `get_user` matches by "contains".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Searchable {
    User,
    Contact,
}

/// One search: every condition given must hold; only documents whose signature verified.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocQuery {
    pub title: Option<String>,
    /// Some(true) testnet only, Some(false) mainnet only, None either.
    pub testnet: Option<bool>,
    /// Exact, case-sensitive field matches.
    pub fields: Vec<(String, String)>,
    /// Case-insensitive substring of an enrollment's User or Contact.
    pub contains: Option<(Searchable, String)>,
    pub limit: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundDoc {
    /// Order of first storage.
    pub seq: i64,
    pub key: String,
    pub value: String,
    /// The bucket that holds it: serving it charges that bucket.
    pub bucket_id: i64,
}

#[async_trait]
pub trait Documents: Send + Sync {
    /// Matching documents, oldest first, at most `limit`.
    async fn find_documents(&self, query: &DocQuery) -> Result<Vec<FoundDoc>, StoreError>;
}
