//! Account identities: address validation and Bitcoin signed-message verification.

pub mod address;
mod message_id;
pub mod signature;
// Private keys have no business in the server binary; tests and benches get the signer through
// the self dev-dependency in Cargo.toml.
#[cfg(any(test, feature = "test-signer"))]
pub mod test_signer;

pub use address::{Address, AddressError, AddressKind, Net};
pub use message_id::message_id;
pub use signature::{
    key_recoveries, signed_message_digest, verify_signed_message, HeaderClass, Signature,
    SignatureError, VerifyError,
};
#[cfg(any(test, feature = "test-signer"))]
pub use test_signer::{sign_message, Signer};

/// Any reason a claimed (address, message, signature) triple is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum AuthError {
    #[error(transparent)]
    Address(#[from] AddressError),
    #[error(transparent)]
    Signature(#[from] SignatureError),
    #[error(transparent)]
    Verify(#[from] VerifyError),
}

impl AuthError {
    /// Stable machine-readable name of the failed check, as used in the test vectors.
    pub fn reason(&self) -> &'static str {
        match self {
            AuthError::Address(AddressError::Malformed) => "bad_address",
            AuthError::Address(AddressError::Unsupported) => "unsupported_address",
            AuthError::Address(AddressError::WrongNetwork) => "wrong_network",
            AuthError::Signature(SignatureError::BadBase64) => "bad_base64",
            AuthError::Signature(SignatureError::BadLength) => "bad_length",
            AuthError::Signature(SignatureError::BadHeader) => "bad_header",
            AuthError::Verify(VerifyError::BadSignature) => "bad_signature",
            AuthError::Verify(VerifyError::Mismatch) => "mismatch",
        }
    }
}

/// Verifies that `signature_b64` is `address`'s signature of `message`, checking in the order
/// address, base64, length, header, signature, match, and returns the canonical address.
pub fn verify(
    address: &str,
    message: &str,
    signature_b64: &str,
    accepted: &[Net],
) -> Result<Address, AuthError> {
    let address = Address::parse(address, accepted)?;
    let signature = Signature::from_base64(signature_b64)?;
    verify_signed_message(&address, message, &signature)?;
    Ok(address)
}
