//! Admission of signed requests: signature, authority of the signer, nonce and replay.

use sha2::{Digest, Sha256};

use super::{Service, ServiceError};
use crate::auth::{verify_signed_message, Address, Signature};
use crate::domain::{Account, Nonce};
use crate::nonces::{Admission, RequestId};
use crate::rein::document;

/// Title of the Rein document that names an account's delegate.
const ENROLLMENT_TITLE: &str = "Rein User Enrollment";
const DELEGATE_FIELD: &str = "Delegate signing address";

/// A signed request let in; hand it back with `Service::release` if the request then fails.
pub(super) struct Admitted {
    account: String,
    nonce: Nonce,
    request: RequestId,
}

impl Service {
    /// Verifies the signature (one key recovery), checks the signer may act for the
    /// account, and marks the request used so it is accepted at most once.
    pub(super) async fn admit(
        &self,
        account: &Account,
        signer: &Address,
        nonce: &Nonce,
        message: &str,
        signature: &Signature,
        proving_value: Option<&str>,
    ) -> Result<Admitted, ServiceError> {
        verify_signed_message(signer, message, signature)
            .map_err(|err| ServiceError::BadSignature(err.to_string()))?;
        if signer.as_str() != account.address {
            let proven_here = proving_value
                .and_then(|value| self.delegate_proven_by(value, &account.address))
                .is_some_and(|delegate| delegate == signer.as_str());
            if !proven_here
                && !self
                    .store
                    .is_proven_delegate(account.id, signer.as_str())
                    .await?
            {
                return Err(ServiceError::NotAuthorized);
            }
        }
        let request = request_id(signer, message);
        let consume = self.config.nonce_mode == crate::config::NonceMode::SingleUse;
        let verdict = self
            .nonces
            .admit(
                &account.address,
                nonce,
                &request,
                self.config.nonce_ttl(),
                consume,
            )
            .await?;
        match verdict {
            Admission::Accepted => Ok(Admitted {
                account: account.address.clone(),
                nonce: nonce.clone(),
                request,
            }),
            Admission::BadNonce => Err(ServiceError::BadNonce),
            Admission::Replayed => Err(ServiceError::Replayed),
        }
    }

    /// Undoes an admission so the client may retry a request that failed; best effort,
    /// since the marker expires with the nonce anyway.
    pub(super) async fn release(&self, admitted: Admitted) {
        let consumed = self.config.nonce_mode == crate::config::NonceMode::SingleUse;
        if let Err(err) = self
            .nonces
            .release(
                &admitted.account,
                &admitted.nonce,
                &admitted.request,
                self.config.nonce_ttl(),
                consumed,
            )
            .await
        {
            tracing::warn!(error = %err, "could not release a failed request's replay marker");
        }
    }

    /// The delegate a value proves for `owner`: an enrollment signed by the owner that
    /// names its delegate signing address.
    pub(super) fn delegate_proven_by(&self, value: &str, owner: &str) -> Option<String> {
        if !value.contains(ENROLLMENT_TITLE) {
            return None;
        }
        let accepted = &self.config.accepted_networks.0;
        let doc = document::parse(value, accepted)?;
        if doc.title != ENROLLMENT_TITLE || !doc.signature_valid {
            return None;
        }
        let signer = Address::parse(doc.signer.as_deref()?, accepted).ok()?;
        if signer.as_str() != owner {
            return None;
        }
        let delegate = Address::parse(doc.field(DELEGATE_FIELD)?.trim(), accepted).ok()?;
        Some(delegate.as_str().to_owned())
    }
}

/// The signer and the exact signed message identify a request, whatever encoding of the
/// signature carried it (a high-S twin of a signature is the same request).
fn request_id(signer: &Address, message: &str) -> RequestId {
    let mut hash = Sha256::new();
    hash.update(signer.as_str().as_bytes());
    hash.update([0u8]);
    hash.update(message.as_bytes());
    hash.finalize().into()
}
