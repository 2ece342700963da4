//! Rein documents behind one small trait: stored parsed, found by title, network and fields.

use async_trait::async_trait;

use super::StoreError;

/// A document's parsed form, stored with its pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedDoc {
    pub title: String,
    /// First occurrence of each field name, in document order.
    pub fields: Vec<(String, String)>,
    pub signer: Option<String>,
    pub valid: bool,
}

impl IndexedDoc {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The fields as one JSON object, for the store's containment index.
    pub fn fields_json(&self) -> serde_json::Value {
        let mut object = serde_json::Map::new();
        for (name, value) in &self.fields {
            object
                .entry(name.clone())
                .or_insert_with(|| serde_json::Value::String(value.clone()));
        }
        serde_json::Value::Object(object)
    }
}

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
}

#[async_trait]
pub trait Documents: Send + Sync {
    /// Matching documents, oldest first, at most `limit`.
    async fn find_documents(&self, query: &DocQuery) -> Result<Vec<FoundDoc>, StoreError>;
}
