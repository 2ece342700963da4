//! The one error of the durable store ports: unavailable (retry later) or internal (a bug).

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The backing database could not be reached or answered in time; nothing was changed.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// The database refused a statement: a bug, not the caller's fault.
    #[error("storage failure: {0}")]
    Internal(String),
}
