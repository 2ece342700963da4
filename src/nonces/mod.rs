//! The nonce store adapters: Redis for deployments, memory for the embedded backend.

mod memory;
mod redis;

pub use self::redis::RedisNonces;
pub use memory::MemoryNonces;
