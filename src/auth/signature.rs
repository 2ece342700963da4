//! Bitcoin signed messages (BIP-137 / Electrum style): decoding and verifying them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use bitcoin::secp256k1::ecdsa::{RecoverableSignature, RecoveryId};
use bitcoin::secp256k1::{Message, Secp256k1, VerifyOnly};
use bitcoin::PublicKey;

use super::address::{Address, AddressKind};

/// Lowest and highest header byte of a BIP-137 signature.
const HEADER_MIN: u8 = 27;
const HEADER_MAX: u8 = 42;

/// The secp256k1 group order n, big-endian.
const CURVE_ORDER: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
    0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
];

/// Context creation is expensive (it precomputes tables), so it is built once and shared by all
/// threads.
fn verifier() -> &'static Secp256k1<VerifyOnly> {
    static CONTEXT: OnceLock<Secp256k1<VerifyOnly>> = OnceLock::new();
    CONTEXT.get_or_init(Secp256k1::verification_only)
}

/// Why a signature string could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum SignatureError {
    #[error("signature is not canonical, padded standard base64")]
    BadBase64,
    #[error("signature is not 65 bytes long")]
    BadLength,
    #[error("signature header byte is outside 27-42")]
    BadHeader,
}

/// Why a decoded signature does not prove the claimed address signed the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum VerifyError {
    #[error("invalid signature: no public key can be recovered from it")]
    BadSignature,
    #[error("signature was not made by the claimed address")]
    Mismatch,
}

/// Which address type a signature's header byte declares (BIP-137).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HeaderClass {
    /// Headers 27-30: P2PKH of the uncompressed key.
    P2pkhUncompressed,
    /// Headers 31-34: P2PKH of the compressed key, and (Electrum) its segwit addresses.
    P2pkhCompressed,
    /// Headers 35-38.
    P2shP2wpkh,
    /// Headers 39-42.
    P2wpkh,
}

impl HeaderClass {
    pub const ALL: [HeaderClass; 4] = [
        HeaderClass::P2pkhUncompressed,
        HeaderClass::P2pkhCompressed,
        HeaderClass::P2shP2wpkh,
        HeaderClass::P2wpkh,
    ];

    /// The kind of address a signer of this class has.
    pub fn kind(self) -> AddressKind {
        match self {
            HeaderClass::P2pkhUncompressed | HeaderClass::P2pkhCompressed => AddressKind::P2pkh,
            HeaderClass::P2shP2wpkh => AddressKind::P2shP2wpkh,
            HeaderClass::P2wpkh => AddressKind::P2wpkh,
        }
    }

    pub(super) fn compressed(self) -> bool {
        self != HeaderClass::P2pkhUncompressed
    }
}

/// A decoded 65-byte signed-message signature whose header is known to be in range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    header: u8,
    rs: [u8; 64],
}

impl Signature {
    /// Decodes strict base64: standard alphabet, `=` padding required, no whitespace and no
    /// non-zero trailing bits. Lenient decoding would let many strings stand for one
    /// signature, which defeats replay detection keyed on the signature text.
    pub fn from_base64(s: &str) -> Result<Signature, SignatureError> {
        let bytes = STANDARD.decode(s).map_err(|_| SignatureError::BadBase64)?;
        let bytes: [u8; 65] = bytes.try_into().map_err(|_| SignatureError::BadLength)?;
        let header = bytes[0];
        // Range-check rather than mask: masking makes e.g. 43 read as 27, accepting
        // signatures Bitcoin Core's signers never produce.
        if !(HEADER_MIN..=HEADER_MAX).contains(&header) {
            return Err(SignatureError::BadHeader);
        }
        let mut rs = [0u8; 64];
        rs.copy_from_slice(&bytes[1..]);
        Ok(Signature { header, rs })
    }

    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.as_bytes65())
    }

    pub fn as_bytes65(&self) -> [u8; 65] {
        let mut bytes = [0u8; 65];
        bytes[0] = self.header;
        bytes[1..].copy_from_slice(&self.rs);
        bytes
    }

    pub fn header(&self) -> u8 {
        self.header
    }

    pub fn header_class(&self) -> HeaderClass {
        match (self.header - HEADER_MIN) / 4 {
            0 => HeaderClass::P2pkhUncompressed,
            1 => HeaderClass::P2pkhCompressed,
            2 => HeaderClass::P2shP2wpkh,
            _ => HeaderClass::P2wpkh,
        }
    }

    /// The signature a signer declaring `class` makes from libsecp256k1's recovery id (0-3) and
    /// compact (r, s). Only signing needs it, and the server never signs.
    #[cfg(any(test, feature = "test-signer"))]
    pub(super) fn from_recovery(class: HeaderClass, recovery_id: u8, rs: [u8; 64]) -> Signature {
        let offset = match class {
            HeaderClass::P2pkhUncompressed => 0,
            HeaderClass::P2pkhCompressed => 4,
            HeaderClass::P2shP2wpkh => 8,
            HeaderClass::P2wpkh => 12,
        };
        Signature {
            header: HEADER_MIN + offset + recovery_id,
            rs,
        }
    }

    fn recovery_id(&self) -> i32 {
        i32::from((self.header - HEADER_MIN) % 4)
    }
}

/// The digest a signed message signs:
/// `SHA256d("\x18Bitcoin Signed Message:\n" || varint(len) || message)`.
pub fn signed_message_digest(message: &str) -> [u8; 32] {
    use bitcoin::hashes::Hash as _;
    bitcoin::sign_message::signed_msg_hash(message).to_byte_array()
}

/// Whether a big-endian 32-byte scalar is in 1..n.
fn is_valid_scalar(scalar: &[u8]) -> bool {
    scalar.iter().any(|&b| b != 0) && scalar < &CURVE_ORDER[..]
}

/// Public-key recoveries this process has made: what a request's signature work cost, for
/// tests and benchmarks to count (one relaxed atomic add per recovery).
static KEY_RECOVERIES: AtomicU64 = AtomicU64::new(0);

/// How many public-key recoveries this process has made so far.
pub fn key_recoveries() -> u64 {
    KEY_RECOVERIES.load(Ordering::Relaxed)
}

/// Checks that `signature` over `message` was made by the key behind `address`.
///
/// Costs exactly one public-key recovery. High-S signatures and recovery ids 2 and 3 are
/// accepted, as Bitcoin Core accepts them; r or s of zero or at least n are rejected, never
/// reduced.
pub fn verify_signed_message(
    address: &Address,
    message: &str,
    signature: &Signature,
) -> Result<(), VerifyError> {
    let (r, s) = signature.rs.split_at(32);
    if !is_valid_scalar(r) || !is_valid_scalar(s) {
        return Err(VerifyError::BadSignature);
    }
    let recovery_id =
        RecoveryId::from_i32(signature.recovery_id()).map_err(|_| VerifyError::BadSignature)?;
    let recoverable = RecoverableSignature::from_compact(&signature.rs, recovery_id)
        .map_err(|_| VerifyError::BadSignature)?;
    let digest = Message::from_digest(signed_message_digest(message));
    KEY_RECOVERIES.fetch_add(1, Ordering::Relaxed);
    let inner = verifier()
        .recover_ecdsa(&digest, &recoverable)
        .map_err(|_| VerifyError::BadSignature)?;

    let class = signature.header_class();
    let key = PublicKey {
        compressed: class.compressed(),
        inner,
    };
    // 31-34 predates segwit headers, so Electrum uses it for segwit addresses too; the other
    // classes name their address type exactly.
    let kind_allowed = class == HeaderClass::P2pkhCompressed || address.kind() == class.kind();
    if kind_allowed && address.matches_key(&key) {
        Ok(())
    } else {
        Err(VerifyError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use bitcoin::secp256k1::{rand, SecretKey};

    use super::*;
    use crate::auth::{Net, Signer};

    const NETS: [Net; 2] = [Net::Mainnet, Net::Testnet];

    fn verify_b64(address: &Address, message: &str, b64: &str) -> Result<(), VerifyError> {
        let signature = Signature::from_base64(b64).expect("own signatures decode");
        verify_signed_message(address, message, &signature)
    }

    #[test]
    fn signatures_round_trip_for_every_header_class_and_network() {
        for net in NETS {
            for class in HeaderClass::ALL {
                let signer =
                    Signer::from_secret(SecretKey::new(&mut rand::thread_rng()), class, net);
                assert_eq!(signer.address.net(), net);
                assert_eq!(signer.address.kind(), class.kind());
                let reparsed = Address::parse(signer.address.as_str(), &[net]).unwrap();
                assert_eq!(reparsed, signer.address);

                let message = format!("round trip {class:?} on {net}");
                let b64 = signer.sign(&message);
                let signature = Signature::from_base64(&b64).unwrap();
                assert_eq!(signature.header_class(), class);
                assert_eq!(signature.to_base64(), b64);
                assert_eq!(verify_b64(&signer.address, &message, &b64), Ok(()));
                assert_eq!(
                    verify_b64(&signer.address, &format!("{message}."), &b64),
                    Err(VerifyError::Mismatch)
                );
            }
        }
    }

    #[test]
    fn electrum_compressed_header_verifies_segwit_addresses_of_the_key() {
        for net in NETS {
            let secret = SecretKey::new(&mut rand::thread_rng());
            let electrum = Signer::from_secret(secret, HeaderClass::P2pkhCompressed, net);
            let b64 = electrum.sign("electrum");
            for class in [HeaderClass::P2shP2wpkh, HeaderClass::P2wpkh] {
                let segwit = Signer::from_secret(secret, class, net);
                assert_eq!(verify_b64(&segwit.address, "electrum", &b64), Ok(()));
            }
            // The strict segwit headers do not stretch to other address types.
            let p2wpkh = Signer::from_secret(secret, HeaderClass::P2wpkh, net);
            let p2sh = Signer::from_secret(secret, HeaderClass::P2shP2wpkh, net);
            let b64 = p2wpkh.sign("strict");
            assert_eq!(verify_b64(&p2wpkh.address, "strict", &b64), Ok(()));
            assert_eq!(
                verify_b64(&p2sh.address, "strict", &b64),
                Err(VerifyError::Mismatch)
            );
            assert_eq!(
                verify_b64(&electrum.address, "strict", &b64),
                Err(VerifyError::Mismatch)
            );
        }
    }

    #[test]
    fn uncompressed_signer_does_not_match_its_compressed_address() {
        let secret = SecretKey::new(&mut rand::thread_rng());
        let uncompressed =
            Signer::from_secret(secret, HeaderClass::P2pkhUncompressed, Net::Mainnet);
        let compressed = Signer::from_secret(secret, HeaderClass::P2pkhCompressed, Net::Mainnet);
        assert_ne!(uncompressed.address, compressed.address);
        let b64 = uncompressed.sign("m");
        assert_eq!(
            verify_b64(&compressed.address, "m", &b64),
            Err(VerifyError::Mismatch)
        );
    }

    #[test]
    fn decoding_is_strict() {
        let good = "H8TdqIQtE6tHSaRUcot8WD2QQDK6ilXK20lWNAzNqF/zVg1gsLwQDznxunIpFTr2IdyYApyMpaDKSFv+znRSAjA=";
        assert!(Signature::from_base64(good).is_ok());
        let bad_base64 = [
            format!("{good}\n"),
            format!(" {good}"),
            good.trim_end_matches('=').to_owned(),
            good.replace("AjA=", "AjB="),
            good.replace('/', "_"),
        ];
        for s in bad_base64 {
            assert_eq!(
                Signature::from_base64(&s),
                Err(SignatureError::BadBase64),
                "{s:?}"
            );
        }
        assert_eq!(Signature::from_base64(""), Err(SignatureError::BadLength));
        assert_eq!(
            Signature::from_base64("AAAA"),
            Err(SignatureError::BadLength)
        );
        for header in [0u8, 26, 43, 255] {
            let mut bytes = Signature::from_base64(good).unwrap().as_bytes65();
            bytes[0] = header;
            assert_eq!(
                Signature::from_base64(&STANDARD.encode(bytes)),
                Err(SignatureError::BadHeader)
            );
        }
    }

    #[test]
    fn high_s_with_flipped_recovery_parity_is_accepted() {
        let signer = Signer::random(AddressKind::P2pkh, Net::Mainnet);
        let low = Signature::from_base64(&signer.sign("high s")).unwrap();
        let mut high = low.clone();
        // s -> n - s, big-endian with borrow.
        let mut borrow = 0i16;
        for i in (0..32).rev() {
            let diff = i16::from(CURVE_ORDER[i]) - i16::from(low.rs[32 + i]) - borrow;
            borrow = i16::from(diff < 0);
            high.rs[32 + i] = diff.rem_euclid(256) as u8;
        }
        // Flip the recovery id's parity bit (the header counts from 27, an odd number).
        high.header = HEADER_MIN + ((low.header - HEADER_MIN) ^ 1);
        assert_ne!(high.rs, low.rs);
        assert_eq!(
            verify_signed_message(&signer.address, "high s", &high),
            Ok(())
        );
        // Without the parity flip a different key recovers.
        high.header = low.header;
        assert_eq!(
            verify_signed_message(&signer.address, "high s", &high),
            Err(VerifyError::Mismatch)
        );
    }

    #[test]
    fn scalar_range_is_checked() {
        let mut below = CURVE_ORDER;
        below[31] -= 1;
        let mut above = CURVE_ORDER;
        above[31] += 1;
        assert!(is_valid_scalar(&below));
        assert!(!is_valid_scalar(&CURVE_ORDER));
        assert!(!is_valid_scalar(&above));
        assert!(!is_valid_scalar(&[0u8; 32]));
        let mut one = [0u8; 32];
        one[31] = 1;
        assert!(is_valid_scalar(&one));
    }
}
