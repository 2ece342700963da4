//! Bitcoin: deposit addresses from the operator's xpub, and the operator's node over JSON-RPC.

pub mod deposit;
pub mod rpc;
