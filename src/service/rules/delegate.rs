//! The delegate rules: which delegate a document proves for its owner, and which of the
//! owner's proofs counts (the latest; a superseded one never again).

use crate::auth::{Address, Net};
use crate::rein::{ReinDocument, DELEGATE_FIELD};
use crate::service::ports::{DelegateState, ProofId, ProofVerdict};

/// Judges `proof` against the account's delegate state, as locked by the store.
pub fn judge(state: &DelegateState, proof: &ProofId) -> ProofVerdict {
    if state.current_proof.as_ref() == Some(proof) {
        ProofVerdict::Current
    } else if state.spent {
        ProofVerdict::Superseded
    } else {
        ProofVerdict::Adopt
    }
}

/// The delegate `doc` proves for `owner`: the document is an enrollment whose armored
/// signature verified for `owner` itself, and it names a delegate signing address of an
/// accepted network. The first such field counts, surrounding blanks ignored; anything
/// else proves nothing.
pub fn proven_by(doc: &ReinDocument, owner: &str, accepted: &[Net]) -> Option<Address> {
    if !doc.is_enrollment() || !doc.signature_valid {
        return None;
    }
    let signer = Address::parse(doc.signer.as_deref()?, accepted).ok()?;
    if signer.as_str() != owner {
        return None;
    }
    Address::parse(doc.field(DELEGATE_FIELD)?.trim(), accepted).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{AddressKind, Signer};

    #[test]
    fn the_latest_proof_counts_and_a_replaced_one_never_again() {
        let (first, second) = ([1u8; 32], [2u8; 32]);
        let fresh = DelegateState {
            current_proof: None,
            spent: false,
        };
        assert_eq!(judge(&fresh, &first), ProofVerdict::Adopt);
        let on_first = DelegateState {
            current_proof: Some(first),
            spent: true,
        };
        assert_eq!(judge(&on_first, &first), ProofVerdict::Current);
        let second_unseen = DelegateState {
            current_proof: Some(first),
            spent: false,
        };
        assert_eq!(judge(&second_unseen, &second), ProofVerdict::Adopt);
        // After the second was adopted, the first is spent and not current.
        let on_second = DelegateState {
            current_proof: Some(second),
            spent: true,
        };
        assert_eq!(judge(&on_second, &first), ProofVerdict::Superseded);
    }
    use crate::rein::document::parse;

    const MAINNET: &[Net] = &[Net::Mainnet];

    fn enrollment(owner: &Signer, delegate_line: &str) -> String {
        let body = format!(
            "Rein User Enrollment\nUser: Ada\nContact: ada@example.org\n\
             Master signing address: {}\n{delegate_line}",
            owner.address
        );
        let signature = owner.sign(&body);
        format!(
            "-----BEGIN BITCOIN SIGNED MESSAGE-----\n{body}\n-----BEGIN SIGNATURE-----\n\
             {}\n{signature}\n-----END BITCOIN SIGNED MESSAGE-----\n",
            owner.address
        )
    }

    fn proven(text: &str, owner: &Address, accepted: &[Net]) -> Option<Address> {
        proven_by(&parse(text, accepted)?, owner.as_str(), accepted)
    }

    #[test]
    fn an_enrollment_proves_only_its_own_delegate_for_its_own_signer() {
        let owner = Signer::random(AddressKind::P2pkh, Net::Mainnet);
        let delegate = Signer::random(AddressKind::P2shP2wpkh, Net::Mainnet);
        let stranger = Signer::random(AddressKind::P2pkh, Net::Mainnet);
        let text = enrollment(
            &owner,
            &format!("Delegate signing address: {}", delegate.address),
        );
        assert_eq!(
            proven(&text, &owner.address, MAINNET),
            Some(delegate.address.clone())
        );
        assert_eq!(proven(&text, &stranger.address, MAINNET), None);
        assert_eq!(
            proven(&text.replace("Ada", "Eve"), &owner.address, MAINNET),
            None
        );
        let retitled = text.replace("Rein User Enrollment", "Rein Job");
        assert_eq!(proven(&retitled, &owner.address, MAINNET), None);
        // Same content signed by someone else is no proof for the owner.
        let forged = enrollment(
            &stranger,
            &format!("Delegate signing address: {}", delegate.address),
        )
        .replace(stranger.address.as_str(), owner.address.as_str());
        assert_eq!(proven(&forged, &owner.address, MAINNET), None);
        // Unarmored text proves nothing; nor does a network the server does not accept.
        let body = text.lines().skip(1).take(5).collect::<Vec<_>>().join("\n");
        assert_eq!(proven(&body, &owner.address, MAINNET), None);
        assert_eq!(proven(&text, &owner.address, &[Net::Testnet]), None);
    }

    #[test]
    fn the_first_delegate_line_counts_and_its_padding_is_ignored() {
        let owner = Signer::random(AddressKind::P2wpkh, Net::Mainnet);
        let first = Signer::random(AddressKind::P2pkh, Net::Mainnet);
        let second = Signer::random(AddressKind::P2pkh, Net::Mainnet);
        let padded = enrollment(
            &owner,
            &format!("Delegate signing address:  {}  ", first.address),
        );
        assert_eq!(
            proven(&padded, &owner.address, MAINNET),
            Some(first.address.clone())
        );
        let repeated = enrollment(
            &owner,
            &format!(
                "Delegate signing address: {}\nDelegate signing address: {}",
                first.address, second.address
            ),
        );
        assert_eq!(
            proven(&repeated, &owner.address, MAINNET),
            Some(first.address.clone())
        );
        let garbage = enrollment(&owner, "Delegate signing address: not-an-address");
        assert_eq!(proven(&garbage, &owner.address, MAINNET), None);
    }
}
