//! Minimal Bitcoin Core JSON-RPC client: one generic `call` plus the typed helpers Causeway relies on.

mod amount;
mod answer;
mod client;
mod node_auth;

pub use answer::RpcError;
pub use client::{BitcoinRpc, BlockHeader, Received};
pub use node_auth::NodeAuth;
