//! Admission of signed requests: signature, authority of the signer, nonce and replay.

use super::error::ServiceError;
use super::handle::Service;
use super::ports::{Admission, ProofVerdict, RequestId};
use super::rules::delegate;
use crate::auth::{message_id, verify_signed_message, Address, Signature};
use crate::domain::{Account, Nonce};
use crate::rein::{document, ReinDocument};
use crate::telemetry::metrics::METRICS;

/// A signed request let in; hand it back with `Service::release` if the request then fails.
pub(super) struct Admitted {
    account: String,
    nonce: Nonce,
    request: RequestId,
    /// The value being written, parsed as a Rein document when it is one.
    pub document: Option<ReinDocument>,
}

impl Service {
    /// Verifies the signature (one key recovery), parses the value being written (only
    /// once the request is known genuine, so forged requests cost one recovery), checks the
    /// signer may act for the account, and marks the request used so it is accepted at
    /// most once.
    pub(super) async fn admit(
        &self,
        account: &Account,
        signer: &Address,
        nonce: &Nonce,
        message: &str,
        signature: &Signature,
        value: Option<&str>,
    ) -> Result<Admitted, ServiceError> {
        self.check_signature(signer, message, signature)?;
        let document = value.and_then(|value| self.index_document(value));
        let is_owner = signer.as_str() == account.address;
        // A proof the value carries counts only when brought by the owner or by the delegate
        // it names: a stranger can not make it replace the owner's delegate.
        let proof = document
            .as_ref()
            .and_then(|doc| {
                Some((
                    self.delegate_proven_by(doc, &account.address)?,
                    doc.signed_id?,
                ))
            })
            .filter(|(delegate, _)| is_owner || delegate == signer);
        if !is_owner {
            let proven_here = match &proof {
                Some((_, id)) => {
                    let state = self.accounts.delegate_state(account.id, id).await?;
                    delegate::judge(&state, id) != ProofVerdict::Superseded
                }
                None => false,
            };
            if !proven_here
                && !self
                    .accounts
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
            Admission::Accepted => {
                if let Some((delegate, id)) = &proof {
                    // The owner's latest proof names the delegate from now on.
                    self.accounts
                        .adopt_delegate(account.id, Some(delegate.as_str()), id)
                        .await?;
                }
                Ok(Admitted {
                    account: account.address.clone(),
                    nonce: nonce.clone(),
                    request,
                    document,
                })
            }
            Admission::BadNonce => Err(ServiceError::BadNonce),
            Admission::Replayed => {
                METRICS.replays_rejected.inc();
                Err(ServiceError::Replayed)
            }
        }
    }

    /// One signed-message verification (one key recovery), counted by outcome.
    pub(super) fn check_signature(
        &self,
        signer: &Address,
        message: &str,
        signature: &Signature,
    ) -> Result<(), ServiceError> {
        let _span = tracing::info_span!("verify_signature").entered();
        let verified = verify_signed_message(signer, message, signature);
        let outcome = if verified.is_ok() { "valid" } else { "invalid" };
        METRICS
            .signature_verifications
            .with_label_values(&[outcome])
            .inc();
        verified.map_err(|err| ServiceError::BadSignature(err.to_string()))
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

    /// The value as a Rein document: its title and fields, and whether its armored
    /// signature verifies for the address in its armor. None for any other value.
    pub(super) fn index_document(&self, value: &str) -> Option<ReinDocument> {
        // PostgreSQL text and JSONB can not hold NUL: such a value is stored, never indexed.
        if value.contains('\0') {
            return None;
        }
        document::parse(value, &self.config.accepted_networks.0)
    }

    /// The delegate a document proves for `owner` (`rules::delegate`).
    pub(super) fn delegate_proven_by(&self, doc: &ReinDocument, owner: &str) -> Option<Address> {
        delegate::proven_by(doc, owner, &self.config.accepted_networks.0)
    }
}

/// The signer and the exact signed message identify a request, whatever encoding of the
/// signature carried it (a high-S twin of a signature is the same request).
pub(super) fn request_id(signer: &Address, message: &str) -> RequestId {
    message_id(signer.as_str(), message)
}
