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
    /// The nonce is not a live nonce of the account.
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

    /// Makes `fresh` a live nonce of the account for a full `ttl`. Every call issues its
    /// own: several may be live at once, and only the caller knows the one it got.
    async fn issue(
        &self,
        account: &str,
        fresh: &Nonce,
        ttl: Duration,
    ) -> Result<Nonce, NonceStoreError>;

    /// Ends this nonce of the account, if live; its other nonces are untouched.
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
