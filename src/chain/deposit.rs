//! Watch-only deposit addresses derived from the operator's extended public key.

use std::str::FromStr;
use std::sync::OnceLock;

use bitcoin::address::KnownHrp;
use bitcoin::bip32::{self, ChildNumber, Xpub};
use bitcoin::key::Secp256k1;
use bitcoin::secp256k1::VerifyOnly;
use bitcoin::{Address, NetworkKind};

/// Script type used for deposit addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DepositKind {
    /// Native segwit v0 (`bc1q…` / `tb1q…`).
    P2wpkh,
    /// Legacy pay-to-pubkey-hash (`1…` / `m…` / `n…`).
    P2pkh,
}

impl DepositKind {
    /// Parses a configuration value such as `"p2wpkh"` or `"P2PKH"`.
    pub fn parse(s: &str) -> Option<DepositKind> {
        if s.eq_ignore_ascii_case("p2wpkh") {
            Some(DepositKind::P2wpkh)
        } else if s.eq_ignore_ascii_case("p2pkh") {
            Some(DepositKind::P2pkh)
        } else {
            None
        }
    }
}

/// Network the deposit addresses are encoded for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DepositNet {
    Mainnet,
    /// Any test network (testnet3, testnet4, signet); they share address encodings.
    Testnet,
}

impl DepositNet {
    fn kind(self) -> NetworkKind {
        match self {
            DepositNet::Mainnet => NetworkKind::Main,
            DepositNet::Testnet => NetworkKind::Test,
        }
    }

    fn hrp(self) -> KnownHrp {
        match self {
            DepositNet::Mainnet => KnownHrp::Mainnet,
            DepositNet::Testnet => KnownHrp::Testnets,
        }
    }

    fn name(self) -> &'static str {
        match self {
            DepositNet::Mainnet => "mainnet",
            DepositNet::Testnet => "testnet",
        }
    }
}

/// Errors from configuring deposit keys or deriving addresses.
///
/// Messages deliberately never echo the key string: an xpub links every
/// deposit address together, so it should not end up in logs.
#[derive(Debug, thiserror::Error)]
pub enum DepositError {
    #[error("invalid extended public key (expected an xpub…/tpub… string): {0}")]
    BadXpub(bip32::Error),
    #[error("extended public key is for {key}, but deposits are configured for {configured}")]
    NetworkMismatch {
        key: &'static str,
        configured: &'static str,
    },
    #[error("deposit index {0} is out of range (must be below 2^31)")]
    IndexOutOfRange(u32),
    #[error("failed to derive deposit key: {0}")]
    Derivation(bip32::Error),
    #[error("deposit address type must be p2wpkh or p2pkh")]
    UnknownKind,
    #[error("deposit network must be mainnet or testnet")]
    UnknownNetwork,
}

/// The operator's watch-only key material plus address settings.
#[derive(Clone, Debug)]
pub struct DepositKeys {
    xpub: Xpub,
    kind: DepositKind,
    net: DepositNet,
}

// Derivation only needs verification tables; building them is costly, so do it once.
fn secp() -> &'static Secp256k1<VerifyOnly> {
    static SECP: OnceLock<Secp256k1<VerifyOnly>> = OnceLock::new();
    SECP.get_or_init(Secp256k1::verification_only)
}

impl DepositKeys {
    /// Parses an `xpub…`/`tpub…` string and checks it belongs to `net`.
    pub fn new(
        xpub: &str,
        kind: DepositKind,
        net: DepositNet,
    ) -> Result<DepositKeys, DepositError> {
        let xpub = Xpub::from_str(xpub).map_err(DepositError::BadXpub)?;
        // A tpub on mainnet (or vice versa) almost certainly means the wrong
        // wallet was exported; paying into it could strand real funds.
        if xpub.network != net.kind() {
            let key = match xpub.network {
                NetworkKind::Main => DepositNet::Mainnet.name(),
                NetworkKind::Test => DepositNet::Testnet.name(),
            };
            return Err(DepositError::NetworkMismatch {
                key,
                configured: net.name(),
            });
        }
        Ok(DepositKeys { xpub, kind, net })
    }

    pub fn kind(&self) -> DepositKind {
        self.kind
    }

    pub fn net(&self) -> DepositNet {
        self.net
    }

    /// Address of the non-hardened child `<xpub>/index`.
    pub fn address_at(&self, index: u32) -> Result<String, DepositError> {
        // Hardened children need the private key, which the server never has.
        let child = ChildNumber::from_normal_idx(index)
            .map_err(|_| DepositError::IndexOutOfRange(index))?;
        let derived = self
            .xpub
            .derive_pub(secp(), &[child])
            .map_err(DepositError::Derivation)?;
        let pk = derived.to_pub();
        let address = match self.kind {
            DepositKind::P2wpkh => Address::p2wpkh(&pk, self.net.hrp()),
            DepositKind::P2pkh => Address::p2pkh(pk, self.net.kind()),
        };
        Ok(address.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::CompressedPublicKey;

    // BIP-32 test vector 1 (seed 000102030405060708090a0b0c0d0e0f).
    const V1_M_0H: &str = "xpub68Gmy5EdvgibQVfPdqkBBCHxA5htiqg55crXYuXoQRKfDBFA1WEjWgP6LHhwBZeNK1VTsfTFUHCdrfp1bgwQ9xv5ski8PX9rL2dZXvgGDnw";
    const V1_M_0H_1: &str = "xpub6ASuArnXKPbfEwhqN6e3mwBcDTgzisQN1wXN9BJcM47sSikHjJf3UFHKkNAWbWMiGj7Wf5uMash7SyYq527Hqck2AxYysAA7xmALppuCkwQ";
    const V1_M_0H_1_PUBKEY: &str =
        "03501e454bf00751f24b1b489aa925215d66af2234e3891c3b21a52bedb3cd711c";
    // Computed once from V1_M_0H_1_PUBKEY and cross-checked outside this code,
    // so a regression in derivation or encoding cannot silently agree with itself.
    const V1_M_0H_1_P2PKH: &str = "1JQheacLPdM5ySCkrZkV66G2ApAXe1mqLj";
    const V1_M_0H_1_P2WPKH: &str = "bc1qhm6697d9d2224vfyt8mj4kw03ncec7a7fdafvt";

    // BIP-32 test vector 2 (seed fffcf9f6…).
    const V2_M: &str = "xpub661MyMwAqRbcFW31YEwpkMuc5THy2PSt5bDMsktWQcFF8syAmRUapSCGu8ED9W6oDMSgv6Zz8idoc4a6mr8BDzTJY47LJhkJ8UB7WEGuduB";
    const V2_M_0: &str = "xpub69H7F5d8KSRgmmdJg2KhpAK8SR3DjMwAdkxj3ZuxV27CprR9LgpeyGmXUbC6wb7ERfvrnKZjXoUmmDznezpbZb7ap6r1D3tgFxHmwMkQTPH";

    fn xpub(s: &str) -> Xpub {
        Xpub::from_str(s).expect("test vector xpub parses")
    }

    fn as_tpub(s: &str) -> String {
        let mut key = xpub(s);
        key.network = NetworkKind::Test;
        key.to_string()
    }

    #[test]
    fn derived_child_matches_bip32_vector1_public_key() {
        let keys = DepositKeys::new(V1_M_0H, DepositKind::P2pkh, DepositNet::Mainnet)
            .expect("valid mainnet xpub");
        let derived = keys
            .xpub
            .derive_pub(
                secp(),
                &[ChildNumber::from_normal_idx(1).expect("normal index")],
            )
            .expect("derivation succeeds");
        let expected = xpub(V1_M_0H_1);
        assert_eq!(derived.public_key, expected.public_key);
        assert_eq!(derived.public_key.to_string(), V1_M_0H_1_PUBKEY);
    }

    #[test]
    fn addresses_match_independent_encoding_of_vector1_child() {
        let pk = CompressedPublicKey(xpub(V1_M_0H_1).public_key);
        let want_p2pkh = Address::p2pkh(pk, NetworkKind::Main).to_string();
        let want_p2wpkh = Address::p2wpkh(&pk, KnownHrp::Mainnet).to_string();

        let p2pkh = DepositKeys::new(V1_M_0H, DepositKind::P2pkh, DepositNet::Mainnet)
            .and_then(|k| k.address_at(1))
            .expect("p2pkh address");
        let p2wpkh = DepositKeys::new(V1_M_0H, DepositKind::P2wpkh, DepositNet::Mainnet)
            .and_then(|k| k.address_at(1))
            .expect("p2wpkh address");

        assert_eq!(p2pkh, want_p2pkh);
        assert_eq!(p2wpkh, want_p2wpkh);
        assert!(p2wpkh.starts_with("bc1q"));
    }

    #[test]
    fn addresses_match_known_literals_for_vector1_child() {
        let p2pkh = DepositKeys::new(V1_M_0H, DepositKind::P2pkh, DepositNet::Mainnet)
            .expect("valid mainnet xpub");
        assert_eq!(p2pkh.address_at(1).expect("address"), V1_M_0H_1_P2PKH);
        let p2wpkh = DepositKeys::new(V1_M_0H, DepositKind::P2wpkh, DepositNet::Mainnet)
            .expect("valid mainnet xpub");
        assert_eq!(p2wpkh.address_at(1).expect("address"), V1_M_0H_1_P2WPKH);
    }

    #[test]
    fn derived_child_matches_bip32_vector2_public_key() {
        let keys = DepositKeys::new(V2_M, DepositKind::P2wpkh, DepositNet::Mainnet)
            .expect("valid mainnet xpub");
        let derived = keys
            .xpub
            .derive_pub(
                secp(),
                &[ChildNumber::from_normal_idx(0).expect("normal index")],
            )
            .expect("derivation succeeds");
        assert_eq!(derived.public_key, xpub(V2_M_0).public_key);

        let want = Address::p2wpkh(&xpub(V2_M_0).to_pub(), KnownHrp::Mainnet).to_string();
        assert_eq!(keys.address_at(0).expect("address"), want);
    }

    #[test]
    fn different_indexes_give_different_addresses() {
        let keys = DepositKeys::new(V2_M, DepositKind::P2wpkh, DepositNet::Mainnet)
            .expect("valid mainnet xpub");
        let a = keys.address_at(0).expect("address 0");
        let b = keys.address_at(1).expect("address 1");
        let c = keys
            .address_at((1 << 31) - 1)
            .expect("largest normal index");
        assert_ne!(a, b);
        assert_ne!(b, c);
        assert_ne!(a, c);
    }

    #[test]
    fn hardened_index_is_out_of_range() {
        let keys = DepositKeys::new(V2_M, DepositKind::P2pkh, DepositNet::Mainnet)
            .expect("valid mainnet xpub");
        assert!(matches!(
            keys.address_at(1 << 31),
            Err(DepositError::IndexOutOfRange(i)) if i == 1 << 31
        ));
        assert!(matches!(
            keys.address_at(u32::MAX),
            Err(DepositError::IndexOutOfRange(_))
        ));
    }

    #[test]
    fn tpub_on_mainnet_is_network_mismatch() {
        let tpub = as_tpub(V1_M_0H);
        assert!(tpub.starts_with("tpub"));
        let err = DepositKeys::new(&tpub, DepositKind::P2wpkh, DepositNet::Mainnet)
            .expect_err("tpub must be rejected on mainnet");
        assert!(matches!(
            err,
            DepositError::NetworkMismatch {
                key: "testnet",
                configured: "mainnet"
            }
        ));
        assert!(err.to_string().contains("mainnet"));
    }

    #[test]
    fn xpub_on_testnet_is_network_mismatch() {
        assert!(matches!(
            DepositKeys::new(V1_M_0H, DepositKind::P2wpkh, DepositNet::Testnet),
            Err(DepositError::NetworkMismatch {
                key: "mainnet",
                configured: "testnet"
            })
        ));
    }

    #[test]
    fn garbage_string_is_bad_xpub() {
        for input in ["", "not a key", "xpub", "xpub661MyMwAqRbc", "\u{1F600}"] {
            assert!(
                matches!(
                    DepositKeys::new(input, DepositKind::P2wpkh, DepositNet::Mainnet),
                    Err(DepositError::BadXpub(_))
                ),
                "input {input:?} should be rejected"
            );
        }
    }

    #[test]
    fn private_extended_key_is_rejected() {
        // BIP-32 vector 1 master xprv: the server must refuse private material.
        let xprv = "xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi";
        assert!(matches!(
            DepositKeys::new(xprv, DepositKind::P2wpkh, DepositNet::Mainnet),
            Err(DepositError::BadXpub(_))
        ));
    }

    #[test]
    fn testnet_p2wpkh_address_starts_with_tb1q() {
        let tpub = as_tpub(V1_M_0H);
        let keys = DepositKeys::new(&tpub, DepositKind::P2wpkh, DepositNet::Testnet)
            .expect("valid testnet tpub");
        let addr = keys.address_at(1).expect("address");
        assert!(addr.starts_with("tb1q"), "{addr}");
    }

    #[test]
    fn testnet_p2pkh_address_uses_testnet_prefix() {
        let tpub = as_tpub(V1_M_0H);
        let keys = DepositKeys::new(&tpub, DepositKind::P2pkh, DepositNet::Testnet)
            .expect("valid testnet tpub");
        let addr = keys.address_at(1).expect("address");
        assert!(addr.starts_with('m') || addr.starts_with('n'), "{addr}");
    }

    #[test]
    fn kind_parses_case_insensitively() {
        assert_eq!(DepositKind::parse("p2wpkh"), Some(DepositKind::P2wpkh));
        assert_eq!(DepositKind::parse("P2WPKH"), Some(DepositKind::P2wpkh));
        assert_eq!(DepositKind::parse("p2pkh"), Some(DepositKind::P2pkh));
        assert_eq!(DepositKind::parse("P2pKh"), Some(DepositKind::P2pkh));
        assert_eq!(DepositKind::parse("p2tr"), None);
        assert_eq!(DepositKind::parse(""), None);
        assert_eq!(DepositKind::parse(" p2pkh"), None);
    }
}
