//! Replay protection: server-issued nonces per account and single-use markers per signed request.

use std::time::Duration;

use async_trait::async_trait;

use crate::domain::Nonce;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("nonce store unavailable: {0}")]
pub struct NonceStoreError(pub String);

/// The verdict on a signed request's nonce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Accepted,
    /// The nonce is not the account's live nonce.
    BadNonce,
    /// This very request was accepted before.
    Replayed,
}

/// Fingerprint of one signed request (signer and signed message), so a request is
/// accepted once however its signature is re-encoded.
pub type RequestId = [u8; 32];

#[async_trait]
pub trait NonceStore: Send + Sync {
    async fn ping(&self) -> Result<(), NonceStoreError>;

    /// The account's live nonce, or `fresh` made live for `ttl` when it has none.
    async fn issue(
        &self,
        account: &str,
        fresh: &Nonce,
        ttl: Duration,
    ) -> Result<Nonce, NonceStoreError>;

    /// Ends the nonce if it is the account's live one.
    async fn clear(&self, account: &str, nonce: &Nonce) -> Result<(), NonceStoreError>;

    /// Atomically checks the nonce and marks the request used; with `consume` the nonce
    /// ends too. Concurrent identical requests: exactly one is `Accepted`.
    async fn admit(
        &self,
        account: &str,
        nonce: &Nonce,
        request: &RequestId,
        ttl: Duration,
        consume: bool,
    ) -> Result<Admission, NonceStoreError>;

    /// Undoes `admit` for a request that then failed, so the client may retry it.
    async fn release(
        &self,
        account: &str,
        nonce: &Nonce,
        request: &RequestId,
        ttl: Duration,
        consumed: bool,
    ) -> Result<(), NonceStoreError>;
}
