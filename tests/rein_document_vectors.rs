//! Checks Rein document parsing and delegate proofs against the shared rein_documents.json vectors.

use causeway::auth::{Address, Net};
use causeway::rein::document::{parse, ReinDocument};
use causeway::service::rules::delegate;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;

#[derive(Deserialize)]
struct Vector {
    name: String,
    network: String,
    text: String,
    signer_address: String,
    owner_address: String,
    title: String,
    #[serde(deserialize_with = "ordered_fields")]
    fields: Vec<(String, String)>,
    valid: bool,
}

/// Reads a JSON object as its entries in document order (serde_json's maps would sort them).
fn ordered_fields<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, String)>, D::Error> {
    struct Entries;
    impl<'de> Visitor<'de> for Entries {
        type Value = Vec<(String, String)>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an object of string fields")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut entries = Vec::new();
            while let Some(entry) = map.next_entry::<String, String>()? {
                entries.push(entry);
            }
            Ok(entries)
        }
    }
    d.deserialize_map(Entries)
}

const ENROLLMENT: &str = "Rein User Enrollment";
const DELEGATE: &str = "Delegate signing address";

fn vectors() -> Vec<Vector> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/vectors/rein_documents.json"
    );
    let text = std::fs::read_to_string(path).expect("rein_documents.json is readable");
    serde_json::from_str(&text).expect("rein_documents.json parses")
}

fn net(v: &Vector) -> Net {
    Net::parse_name(&v.network).expect("vector network is mainnet or testnet")
}

fn parsed(v: &Vector) -> ReinDocument {
    parse(&v.text, &[net(v)]).unwrap_or_else(|| panic!("{} parses", v.name))
}

/// Whether `text`, parsed as the server parses a value being put, proves `delegate` for
/// `owner` by the one rule production uses (`service::rules::delegate`).
fn delegate_proven_by_enrollment(
    text: &str,
    owner: &Address,
    delegate: &Address,
    accepted: &[Net],
) -> bool {
    parse(text, accepted)
        .and_then(|doc| delegate::proven_by(&doc, owner.as_str(), accepted))
        .is_some_and(|proven| proven == *delegate)
}

fn address(text: &str, net: Net) -> Address {
    Address::parse(text, &[net]).unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[test]
fn every_document_yields_its_title_fields_signer_and_validity() {
    let vectors = vectors();
    let mut checked = 0;
    for v in &vectors {
        let doc = parsed(v);
        assert_eq!(doc.title, v.title, "{}", v.name);
        assert_eq!(doc.fields, v.fields, "{}", v.name);
        assert_eq!(
            doc.signer.as_deref(),
            Some(v.signer_address.as_str()),
            "{}",
            v.name
        );
        assert_eq!(doc.signature_valid, v.valid, "{}", v.name);
        for (name, value) in &v.fields {
            assert_eq!(doc.field(name), Some(value.as_str()), "{}: {name}", v.name);
        }
        checked += 1;
    }
    assert!(checked > 0);
    assert_eq!(checked, vectors.len());
    assert!(
        vectors.iter().any(|v| !v.valid),
        "the tampered bid is among the vectors"
    );
}

#[test]
fn documents_are_invalid_for_a_network_they_do_not_belong_to() {
    for v in vectors() {
        let other = match net(&v) {
            Net::Mainnet => Net::Testnet,
            Net::Testnet => Net::Mainnet,
        };
        let doc = parse(&v.text, &[other]).unwrap();
        assert!(!doc.signature_valid, "{}", v.name);
        assert_eq!(doc.title, v.title, "{}", v.name);
    }
}

#[test]
fn enrollment_proves_its_own_delegate_only() {
    let vectors = vectors();
    let enrollments: Vec<&Vector> = vectors.iter().filter(|v| v.title == ENROLLMENT).collect();
    assert!(!enrollments.is_empty());
    for v in &enrollments {
        let net = net(v);
        let owner = address(&v.owner_address, net);
        let delegate = address(parsed(v).field(DELEGATE).expect("names a delegate"), net);
        assert!(
            delegate_proven_by_enrollment(&v.text, &owner, &delegate, &[net]),
            "{}",
            v.name
        );
        // Another address, the owner itself, and the delegate as a claimed owner prove nothing.
        for other in &enrollments {
            if other.name != v.name {
                let other_delegate = address(parsed(other).field(DELEGATE).unwrap(), net);
                assert!(!delegate_proven_by_enrollment(
                    &v.text,
                    &owner,
                    &other_delegate,
                    &[net]
                ));
                let other_owner = address(&other.owner_address, net);
                assert!(!delegate_proven_by_enrollment(
                    &v.text,
                    &other_owner,
                    &delegate,
                    &[net]
                ));
            }
        }
        assert!(!delegate_proven_by_enrollment(
            &v.text,
            &owner,
            &owner,
            &[net]
        ));
        assert!(!delegate_proven_by_enrollment(
            &v.text,
            &delegate,
            &delegate,
            &[net]
        ));
        // Not on a network the server does not accept.
        let other_net = [match net {
            Net::Mainnet => Net::Testnet,
            Net::Testnet => Net::Mainnet,
        }];
        assert!(!delegate_proven_by_enrollment(
            &v.text, &owner, &delegate, &other_net
        ));
    }
}

#[test]
fn tampered_enrollment_proves_nothing() {
    for v in vectors().iter().filter(|v| v.title == ENROLLMENT) {
        let net = net(v);
        let owner = address(&v.owner_address, net);
        let doc = parsed(v);
        let delegate = address(doc.field(DELEGATE).unwrap(), net);
        let user = doc.field("User").unwrap();
        let tampered = v.text.replace(&format!("User: {user}"), "User: Mallory");
        assert_ne!(tampered, v.text);
        assert!(!delegate_proven_by_enrollment(
            &tampered,
            &owner,
            &delegate,
            &[net]
        ));

        // Swapping in another delegate address breaks the signature too.
        let stranger = "1G7GwsvR2hEPWN1UhTnem8HPZDYwARr4nU";
        let swapped = v.text.replace(delegate.as_str(), stranger);
        assert!(!delegate_proven_by_enrollment(
            &swapped,
            &owner,
            &address(stranger, net),
            &[net]
        ));

        // Without its armour the body is only a claim.
        let body: String = v
            .text
            .lines()
            .skip(1)
            .take_while(|l| !l.starts_with("-----"))
            .map(|l| format!("{l}\n"))
            .collect();
        assert!(!delegate_proven_by_enrollment(
            &body,
            &owner,
            &delegate,
            &[net]
        ));
        let unsigned = parse(&body, &[net]).unwrap();
        assert_eq!(unsigned.title, ENROLLMENT);
        assert_eq!(unsigned.signer, None);
        assert!(!unsigned.signature_valid);
    }
}

#[test]
fn other_documents_prove_no_delegate() {
    for v in vectors().iter().filter(|v| v.title != ENROLLMENT) {
        let net = net(v);
        let owner = address(&v.owner_address, net);
        let signer = address(&v.signer_address, net);
        assert!(
            !delegate_proven_by_enrollment(&v.text, &owner, &signer, &[net]),
            "{}",
            v.name
        );
        assert!(
            !delegate_proven_by_enrollment(&v.text, &signer, &signer, &[net]),
            "{}",
            v.name
        );
    }
}

#[test]
fn truncated_and_mangled_vectors_never_panic() {
    let accepted = [Net::Mainnet, Net::Testnet];
    let owner = address("1G7GwsvR2hEPWN1UhTnem8HPZDYwARr4nU", Net::Mainnet);
    let mut texts = 0;
    for v in vectors() {
        let crlf = v.text.replace('\n', "\r\n");
        for text in [&v.text, &crlf] {
            for (cut, _) in text.char_indices() {
                for piece in [&text[..cut], &text[cut..]] {
                    let _ = parse(piece, &accepted);
                    let _ = delegate_proven_by_enrollment(piece, &owner, &owner, &accepted);
                    texts += 1;
                }
            }
        }
        // Every line dropped in turn, keeping the rest of the armour intact.
        let lines: Vec<&str> = v.text.lines().collect();
        for skip in 0..lines.len() {
            let text: Vec<&str> = lines
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != skip)
                .map(|(_, l)| *l)
                .collect();
            let doc = parse(&text.join("\n"), &accepted);
            assert!(
                doc.is_some_and(|d| !d.signature_valid),
                "{} without line {skip}",
                v.name
            );
        }
    }
    assert!(texts > 0);
}
