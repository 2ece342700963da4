//! The groups the OpenAPI document sorts the endpoints into.

use poem_openapi::Tags;

#[derive(Tags)]
pub(super) enum Tag {
    /// Signed key/value storage.
    Storage,
    /// Nonces, accounts and buckets.
    Accounts,
    /// Deposits, balances and buying buckets.
    Payments,
    /// Rein document queries and the operator's Bitcoin node.
    Rein,
    /// Service information.
    Info,
}
