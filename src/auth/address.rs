//! Account addresses: parsing and validating the Bitcoin addresses that identify accounts.

use std::fmt;
use std::str::FromStr;

use bitcoin::address::NetworkUnchecked;
use bitcoin::hashes::{hash160, Hash};
use bitcoin::{AddressType, Network, PublicKey};

/// Longest input we hand to the address decoder. Real addresses are at most 62 characters
/// (bech32 P2WSH/P2TR); the cap keeps hostile input from costing decoder time.
const MAX_ADDRESS_LEN: usize = 100;

/// A Bitcoin network an account address can belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Net {
    Mainnet,
    Testnet,
}

impl Net {
    /// Parses "mainnet" or "testnet", ignoring case.
    pub fn parse_name(name: &str) -> Option<Net> {
        if name.eq_ignore_ascii_case("mainnet") {
            Some(Net::Mainnet)
        } else if name.eq_ignore_ascii_case("testnet") {
            Some(Net::Testnet)
        } else {
            None
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Net::Mainnet => "mainnet",
            Net::Testnet => "testnet",
        }
    }

    #[cfg(any(test, feature = "test-signer"))]
    fn network(self) -> Network {
        match self {
            Net::Mainnet => Network::Bitcoin,
            Net::Testnet => Network::Testnet,
        }
    }
}

impl fmt::Display for Net {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kinds of address an account may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressKind {
    P2pkh,
    /// Any P2SH address. The script behind a P2SH hash is invisible, so every P2SH address is
    /// taken to be P2SH-P2WPKH; a signature only verifies if the recovered key's P2SH-P2WPKH
    /// script hashes to it, so other scripts simply never match.
    P2shP2wpkh,
    P2wpkh,
}

/// Why an address string was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum AddressError {
    #[error("malformed Bitcoin address")]
    Malformed,
    #[error("unsupported address type: only P2PKH, P2SH-P2WPKH and P2WPKH addresses are accepted")]
    Unsupported,
    #[error("address belongs to a network that is not accepted")]
    WrongNetwork,
}

/// A validated account address.
///
/// `text` is canonical (base58 as given, bech32 lower-cased), so equal addresses compare equal
/// as values and as strings.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Address {
    text: String,
    kind: AddressKind,
    net: Net,
    /// HASH160 the address commits to: the key hash for P2PKH and P2WPKH, the script hash for
    /// P2SH. Verification compares against it instead of re-encoding addresses.
    hash: [u8; 20],
}

impl Address {
    /// Parses and validates `s`, accepting only addresses of the networks in `accepted`.
    ///
    /// Only the `bc` and `tb` bech32 prefixes exist for us: a regtest (`bcrt`) address is
    /// `Malformed`, like any other foreign prefix. (Base58 regtest addresses share testnet's
    /// version bytes and so are indistinguishable from, and accepted as, testnet.)
    pub fn parse(s: &str, accepted: &[Net]) -> Result<Address, AddressError> {
        if s.is_empty() || s.len() > MAX_ADDRESS_LEN || !s.is_ascii() {
            return Err(AddressError::Malformed);
        }
        let unchecked = bitcoin::Address::<NetworkUnchecked>::from_str(s)
            .map_err(|_| AddressError::Malformed)?;
        let net = if unchecked.is_valid_for_network(Network::Bitcoin) {
            Net::Mainnet
        } else if unchecked.is_valid_for_network(Network::Testnet) {
            Net::Testnet
        } else {
            return Err(AddressError::Malformed);
        };
        // The network is known now; inspecting the payload does not depend on it.
        let checked = unchecked.assume_checked();
        let (kind, hash) = match checked.address_type() {
            Some(AddressType::P2pkh) => {
                let hash = checked.pubkey_hash().ok_or(AddressError::Malformed)?;
                (AddressKind::P2pkh, hash.to_byte_array())
            }
            Some(AddressType::P2sh) => {
                let hash = checked.script_hash().ok_or(AddressError::Malformed)?;
                (AddressKind::P2shP2wpkh, hash.to_byte_array())
            }
            Some(AddressType::P2wpkh) => {
                let program = checked.witness_program().ok_or(AddressError::Malformed)?;
                let hash = <[u8; 20]>::try_from(program.program().as_bytes())
                    .map_err(|_| AddressError::Malformed)?;
                (AddressKind::P2wpkh, hash)
            }
            _ => return Err(AddressError::Unsupported),
        };
        if !accepted.contains(&net) {
            return Err(AddressError::WrongNetwork);
        }
        let text = match kind {
            // The decoder already refused mixed case, so lower-casing only normalises
            // all-uppercase bech32.
            AddressKind::P2wpkh => s.to_ascii_lowercase(),
            AddressKind::P2pkh | AddressKind::P2shP2wpkh => s.to_owned(),
        };
        Ok(Address {
            text,
            kind,
            net,
            hash,
        })
    }

    /// `key`'s address of the given kind. Segwit kinds always use the compressed form of the
    /// key, whatever its `compressed` flag says, since segwit has no uncompressed addresses.
    /// Only signers derive addresses; the server receives them.
    #[cfg(any(test, feature = "test-signer"))]
    pub(crate) fn from_public_key(key: &PublicKey, kind: AddressKind, net: Net) -> Address {
        let network = net.network();
        let compressed = bitcoin::CompressedPublicKey(key.inner);
        let address = match kind {
            AddressKind::P2pkh => bitcoin::Address::p2pkh(key.pubkey_hash(), network),
            AddressKind::P2shP2wpkh => bitcoin::Address::p2shwpkh(&compressed, network),
            AddressKind::P2wpkh => bitcoin::Address::p2wpkh(&compressed, network),
        };
        Address {
            text: address.to_string(),
            kind,
            net,
            hash: committed_hash(key, kind),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn kind(&self) -> AddressKind {
        self.kind
    }

    pub fn net(&self) -> Net {
        self.net
    }

    /// Whether this address is `key`'s address of this address's kind; segwit kinds never
    /// match an uncompressed key. Compares hashes, so the network plays no part.
    pub(crate) fn matches_key(&self, key: &PublicKey) -> bool {
        (self.kind == AddressKind::P2pkh || key.compressed)
            && committed_hash(key, self.kind) == self.hash
    }
}

/// The HASH160 an address of `kind` for `key` commits to. Segwit kinds hash the compressed
/// key regardless of `key.compressed`; callers decide whether that combination is allowed.
fn committed_hash(key: &PublicKey, kind: AddressKind) -> [u8; 20] {
    match kind {
        AddressKind::P2pkh => key.pubkey_hash().to_byte_array(),
        AddressKind::P2wpkh => hash160::Hash::hash(&key.inner.serialize()).to_byte_array(),
        AddressKind::P2shP2wpkh => {
            // P2SH-P2WPKH commits to the redeem script `OP_0 <20-byte key hash>`.
            let mut redeem_script = [0u8; 22];
            redeem_script[1] = 20;
            redeem_script[2..]
                .copy_from_slice(hash160::Hash::hash(&key.inner.serialize()).as_byte_array());
            hash160::Hash::hash(&redeem_script).to_byte_array()
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOTH: &[Net] = &[Net::Mainnet, Net::Testnet];

    #[test]
    fn net_names_parse_case_insensitively() {
        assert_eq!(Net::parse_name("MainNet"), Some(Net::Mainnet));
        assert_eq!(Net::parse_name("testnet"), Some(Net::Testnet));
        assert_eq!(Net::parse_name("regtest"), None);
        assert_eq!(Net::parse_name(""), None);
        assert_eq!(Net::Testnet.as_str(), "testnet");
    }

    #[test]
    fn kinds_and_networks_are_recognised() {
        let cases = [
            (
                "1G7GwsvR2hEPWN1UhTnem8HPZDYwARr4nU",
                AddressKind::P2pkh,
                Net::Mainnet,
            ),
            (
                "mvdEEw1PqifeHUV6R2m2b3ViRD9e3bSwDP",
                AddressKind::P2pkh,
                Net::Testnet,
            ),
            (
                "3K6jk86uBE12pPHSVWV4Xqi72gGUGJgmTB",
                AddressKind::P2shP2wpkh,
                Net::Mainnet,
            ),
            (
                "2NAewos2vngWP2AuzAe6w9nhNF2UdxhAVTV",
                AddressKind::P2shP2wpkh,
                Net::Testnet,
            ),
            (
                "bc1q3j36dvxw82r2cdvck2daz37dzpltvxm094953p",
                AddressKind::P2wpkh,
                Net::Mainnet,
            ),
            (
                "tb1q3j36dvxw82r2cdvck2daz37dzpltvxm00n782j",
                AddressKind::P2wpkh,
                Net::Testnet,
            ),
        ];
        for (text, kind, net) in cases {
            let address = Address::parse(text, BOTH).expect(text);
            assert_eq!(address.kind(), kind, "{text}");
            assert_eq!(address.net(), net, "{text}");
            assert_eq!(address.as_str(), text);
            assert_eq!(address.to_string(), text);
        }
    }

    #[test]
    fn uppercase_bech32_normalises_to_lowercase() {
        let upper = Address::parse("BC1Q3J36DVXW82R2CDVCK2DAZ37DZPLTVXM094953P", BOTH).unwrap();
        let lower = Address::parse("bc1q3j36dvxw82r2cdvck2daz37dzpltvxm094953p", BOTH).unwrap();
        assert_eq!(upper, lower);
        assert_eq!(upper.as_str(), "bc1q3j36dvxw82r2cdvck2daz37dzpltvxm094953p");
    }

    #[test]
    fn malformed_addresses_are_refused() {
        let cases = [
            "",
            " 1G7GwsvR2hEPWN1UhTnem8HPZDYwARr4nU",
            "1G7GwsvR2hEPWN1UhTnem8HPZDYwARr4nU\n",
            "1DcSSjhZY27jeo76hyGjKg8DeCySKqo6U2",
            "bc1q3f25avek0dvsqy5m4srepv6l02nag9fu0q3m9d",
            "ltc1q3f25avek0dvsqy5m4srepv6l02nag9fututlau",
            "bc1q3f25avek0dvsqy5m4srepv6l02nag9fu6uphqw",
            "bc1q3f25avEK0DVSQY5M4SREPV6L02NAG9FU0Q3M9V",
            "LXqPhx1PcgMnuboFt7G2bhByrRLiNQrows",
            "ü",
        ];
        for text in cases {
            assert_eq!(
                Address::parse(text, BOTH),
                Err(AddressError::Malformed),
                "{text:?}"
            );
        }
        // Regtest is well-formed for the bitcoin crate but not a network we know.
        let program = bitcoin::Address::from_str("bc1q3j36dvxw82r2cdvck2daz37dzpltvxm094953p")
            .unwrap()
            .assume_checked()
            .witness_program()
            .unwrap();
        let regtest = bitcoin::Address::from_witness_program(program, bitcoin::KnownHrp::Regtest);
        assert!(regtest.to_string().starts_with("bcrt1q"));
        assert_eq!(
            Address::parse(&regtest.to_string(), BOTH),
            Err(AddressError::Malformed)
        );
        let long = "1".repeat(MAX_ADDRESS_LEN + 1);
        assert_eq!(Address::parse(&long, BOTH), Err(AddressError::Malformed));
    }

    #[test]
    fn taproot_and_p2wsh_are_unsupported() {
        for text in [
            "bc1plznnh4k46ksg9vslz7dq7ex03u7kw05p605g60ed7630waxnerfs43ds6t",
            "bc1q38za0wdy3vny6nwvzz2hytg8cfpsdyuu77q55vrr9n70cff3mz3qclzsk5",
        ] {
            assert_eq!(
                Address::parse(text, BOTH),
                Err(AddressError::Unsupported),
                "{text}"
            );
        }
    }

    #[test]
    fn other_network_is_refused() {
        assert_eq!(
            Address::parse("mvdEEw1PqifeHUV6R2m2b3ViRD9e3bSwDP", &[Net::Mainnet]),
            Err(AddressError::WrongNetwork)
        );
        assert_eq!(
            Address::parse(
                "bc1q3j36dvxw82r2cdvck2daz37dzpltvxm094953p",
                &[Net::Testnet]
            ),
            Err(AddressError::WrongNetwork)
        );
        assert_eq!(
            Address::parse("1G7GwsvR2hEPWN1UhTnem8HPZDYwARr4nU", &[]),
            Err(AddressError::WrongNetwork)
        );
    }
}
