//! The rate limiter adapters: Redis for deployments (shared by every replica), memory for the
//! embedded backend.

mod memory;
mod redis;

pub use self::redis::RedisLimiter;
pub(crate) use self::redis::{rate_key, TAKE_FN};
pub use memory::MemoryLimiter;
