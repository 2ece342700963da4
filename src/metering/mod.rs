//! The transfer meter adapters: Redis for deployments, memory for the embedded backend.
//! The accuracy bound is stated with the port, `service::ports::TransferMeter`.

mod memory;
mod redis;

pub use self::redis::RedisMeter;
pub(crate) use self::redis::{counter_key, dirty_key, unavailable, CHARGE_FN};
pub use memory::MemoryMeter;
