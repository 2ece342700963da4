//! Signing with private keys, for tests and benches only: built under `cfg(test)` or the `test-signer` feature.

use std::sync::OnceLock;

use bitcoin::secp256k1::{rand, Message, Secp256k1, SecretKey, SignOnly};
use bitcoin::PublicKey;

use super::address::{Address, AddressKind, Net};
use super::signature::{signed_message_digest, HeaderClass, Signature};

/// Context creation is expensive (it precomputes tables), so it is built once and shared by all
/// threads.
fn signing_context() -> &'static Secp256k1<SignOnly> {
    static CONTEXT: OnceLock<Secp256k1<SignOnly>> = OnceLock::new();
    CONTEXT.get_or_init(Secp256k1::signing_only)
}

/// Signs `message` the way Bitcoin Core and BIP-137 wallets do (RFC 6979 nonces, low S),
/// declaring `header_class` in the header byte.
pub fn sign_message(secret: &SecretKey, message: &str, header_class: HeaderClass) -> Signature {
    let digest = Message::from_digest(signed_message_digest(message));
    let (recovery_id, rs) = signing_context()
        .sign_ecdsa_recoverable(&digest, secret)
        .serialize_compact();
    // libsecp256k1 only returns recovery ids 0-3.
    let recovery_id = recovery_id.to_i32().clamp(0, 3) as u8;
    Signature::from_recovery(header_class, recovery_id, rs)
}

/// A key with its address, for tests and tools that need to produce signed requests.
#[derive(Clone, Debug)]
pub struct Signer {
    secret: SecretKey,
    pub address: Address,
    class: HeaderClass,
}

impl Signer {
    /// A fresh random key with an address of `kind`; P2PKH signers use the compressed key.
    pub fn random(kind: AddressKind, net: Net) -> Signer {
        let class = match kind {
            AddressKind::P2pkh => HeaderClass::P2pkhCompressed,
            AddressKind::P2shP2wpkh => HeaderClass::P2shP2wpkh,
            AddressKind::P2wpkh => HeaderClass::P2wpkh,
        };
        Signer::from_secret(SecretKey::new(&mut rand::thread_rng()), class, net)
    }

    /// A signer for `secret` whose address type and header bytes follow `class`.
    pub fn from_secret(secret: SecretKey, class: HeaderClass, net: Net) -> Signer {
        let key = PublicKey {
            compressed: class.compressed(),
            inner: secret.public_key(signing_context()),
        };
        Signer {
            secret,
            address: Address::from_public_key(&key, class.kind(), net),
            class,
        }
    }

    /// Base64 signature of `message` by this signer's key.
    pub fn sign(&self, message: &str) -> String {
        sign_message(&self.secret, message, self.class).to_base64()
    }

    pub fn public_key(&self) -> PublicKey {
        PublicKey {
            compressed: self.class.compressed(),
            inner: self.secret.public_key(signing_context()),
        }
    }

    pub fn secret(&self) -> &SecretKey {
        &self.secret
    }

    pub fn class(&self) -> HeaderClass {
        self.class
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::verify_signed_message;

    #[test]
    fn random_signers_have_the_requested_kind() {
        for kind in [
            AddressKind::P2pkh,
            AddressKind::P2shP2wpkh,
            AddressKind::P2wpkh,
        ] {
            let signer = Signer::random(kind, Net::Testnet);
            assert_eq!(signer.address.kind(), kind);
            let signature = Signature::from_base64(&signer.sign("hello")).unwrap();
            assert_eq!(
                verify_signed_message(&signer.address, "hello", &signature),
                Ok(())
            );
        }
    }

    #[test]
    fn bitcoin_core_reference_signature_is_reproduced() {
        // Bitcoin Core's rpc_signmessage.py key and signature (testnet P2PKH, compressed).
        let wif = "cUeKHd5orzT3mz8P9pxyREHfsWtVfgsfDjiZZBcjUBAaGk1BTj7N";
        let secret = bitcoin::PrivateKey::from_wif(wif).unwrap().inner;
        let signer = Signer::from_secret(secret, HeaderClass::P2pkhCompressed, Net::Testnet);
        assert_eq!(
            signer.address.as_str(),
            "mpLQjfK79b7CCV4VMJWEWAj5Mpx8Up5zxB"
        );
        assert_eq!(
            signer.sign("This is just a test message"),
            "INbVnW4e6PeRmsv2Qgu8NuopvrVjkcxob+sX8OcZG0SALhWybUjzMLPdAsXI46YZGb0KQTRii+wWIQzRpG/U+S0="
        );
    }
}
