//! The service's one error type: every way a request can be refused, in the contract's terms.

use crate::service::ports::{MeterError, NonceStoreError, StoreError};

/// What a 402 tells the client so it can pay: the bucket price and, when payments are
/// configured, the owner's deposit address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentHint {
    pub price_sats: i64,
    pub address: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    BadRequest(String),
    #[error("Unknown account; request a bucket first.")]
    UnknownAccount,
    #[error("The signer is neither the account nor a proven delegate of it.")]
    NotAuthorized,
    #[error("The nonce is not this account's live nonce; fetch one from /nonce.")]
    BadNonce,
    #[error("Signature does not verify: {0}")]
    BadSignature(String),
    #[error("This signed request was already accepted.")]
    Replayed,
    #[error("The key is held by another account.")]
    KeyOwnedByOther,
    #[error("Key not found.")]
    NotFound,
    #[error("No active bucket has room for {needed} bytes; buy a bucket.")]
    InsufficientStorage { needed: i64, payment: PaymentHint },
    #[error("The bucket holding this key has used its transfer allowance; buy a bucket.")]
    BandwidthExhausted { payment: PaymentHint },
    #[error("The bucket holding this key expired; buy a bucket.")]
    BucketExpired { payment: PaymentHint },
    #[error("The balance does not cover this; deposit first.")]
    InsufficientFunds { balance: i64 },
    #[error("This server has sold all of its storage capacity.")]
    ServerFull,
    #[error("Too many requests from this client; retry after {} s.", retry_after.as_secs())]
    RateLimited { retry_after: std::time::Duration },
    #[error("Payments are not configured on this server.")]
    PaymentsDisabled,
    #[error("A backing service is unavailable; nothing was changed. Retry shortly.")]
    Unavailable(String),
    #[error("Internal error.")]
    Internal(String),
}

impl From<StoreError> for ServiceError {
    fn from(err: StoreError) -> ServiceError {
        match err {
            StoreError::Unavailable(why) => ServiceError::Unavailable(why),
            StoreError::Internal(why) => ServiceError::Internal(why),
        }
    }
}

impl From<NonceStoreError> for ServiceError {
    fn from(err: NonceStoreError) -> ServiceError {
        ServiceError::Unavailable(err.to_string())
    }
}

impl From<MeterError> for ServiceError {
    fn from(err: MeterError) -> ServiceError {
        ServiceError::Unavailable(err.to_string())
    }
}
