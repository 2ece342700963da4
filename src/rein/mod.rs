//! Rein market documents stored by Causeway.

pub mod document;
