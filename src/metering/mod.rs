//! The transfer meter adapters: Redis for deployments, memory for the embedded backend.
//! The accuracy bound is stated with the port, `service::ports::TransferMeter`.

mod memory;
mod redis;

pub use self::redis::RedisMeter;
pub use memory::MemoryMeter;
