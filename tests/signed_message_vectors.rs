//! Checks signed-message verification against the shared signed_messages.json vectors.

use causeway::auth::{verify, Net};
use serde::Deserialize;

#[derive(Deserialize)]
struct Vector {
    name: String,
    network: String,
    address: String,
    message: String,
    signature: String,
    valid: bool,
    reason: Option<String>,
}

fn vectors() -> Vec<Vector> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/vectors/signed_messages.json"
    );
    let text = std::fs::read_to_string(path).expect("signed_messages.json is readable");
    serde_json::from_str(&text).expect("signed_messages.json parses")
}

#[test]
fn every_vector_verifies_or_fails_for_its_stated_reason() {
    let vectors = vectors();
    let mut checked = 0;
    let mut failures = Vec::new();
    for v in &vectors {
        let net = Net::parse_name(&v.network).expect("vector network is mainnet or testnet");
        let outcome = verify(&v.address, &v.message, &v.signature, &[net]);
        match (&outcome, v.valid) {
            (Ok(_), true) => {}
            (Err(err), false) if Some(err.reason()) == v.reason.as_deref() => {}
            _ => failures.push(format!(
                "{}: expected valid={} reason={:?}, got {:?}",
                v.name,
                v.valid,
                v.reason,
                outcome.as_ref().map_err(|e| e.reason())
            )),
        }
        checked += 1;
    }
    assert!(
        failures.is_empty(),
        "failing vectors:\n{}",
        failures.join("\n")
    );
    assert!(checked > 0);
    assert_eq!(checked, vectors.len());
}

#[test]
fn valid_vectors_return_the_canonical_address() {
    for v in vectors().iter().filter(|v| v.valid) {
        let net = Net::parse_name(&v.network).unwrap();
        let address = verify(&v.address, &v.message, &v.signature, &[net]).unwrap();
        let lower = v.address.to_ascii_lowercase();
        let canonical = if lower.starts_with("bc1") || lower.starts_with("tb1") {
            lower
        } else {
            v.address.clone()
        };
        assert_eq!(address.as_str(), canonical, "{}", v.name);
    }
}

#[test]
fn vectors_fail_when_their_network_is_not_accepted() {
    for v in vectors().iter().filter(|v| v.valid) {
        let other = match Net::parse_name(&v.network).unwrap() {
            Net::Mainnet => Net::Testnet,
            Net::Testnet => Net::Mainnet,
        };
        let err = verify(&v.address, &v.message, &v.signature, &[other]).unwrap_err();
        assert_eq!(err.reason(), "wrong_network", "{}", v.name);
    }
}
