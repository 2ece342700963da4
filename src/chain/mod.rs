//! Bitcoin-side helpers: watch-only deposit address derivation.

pub mod deposit;
