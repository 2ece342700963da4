//! Rein market documents stored by Causeway.

pub mod document;

pub use document::{ReinDocument, DELEGATE_FIELD, ENROLLMENT_TITLE};
