//! The read toll adapters: one Redis script for deployments, the memory limiter and meter in
//! turn for the embedded backend.

mod in_turn;
mod redis;

pub use self::redis::RedisToll;
pub use in_turn::InTurnToll;
