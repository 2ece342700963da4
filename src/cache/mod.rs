//! The shared cache adapters: Redis for deployments, memory for the embedded backend.

mod memory;
mod redis;

pub use self::redis::RedisCache;
pub use memory::MemoryCache;
