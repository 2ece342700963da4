//! The business rules as pure functions over plain data. Each store locks the rows a rule
//! needs, calls it, and applies its answer atomically; no store decides a business question
//! on its own, so PostgreSQL and memory can not drift apart.

pub mod bandwidth;
pub mod capacity;
pub mod delegate;
pub mod expiry;
pub mod free_buckets;
pub mod mail;
pub mod money;
pub mod placement;
pub mod rate;
