//! What a put's signature work costs (issue 12 point 4): one key recovery for the request's
//! signature, and for an armoured Rein document the second one that checks the document's own
//! signature while it is indexed, against parsing a plain value (no recovery at all).
//! Run: `cargo bench --bench signatures` (needs nothing but this machine).

use std::hint::black_box;
use std::time::{Duration, Instant};

use causeway::auth::{verify_signed_message, AddressKind, Net, Signature, Signer};
use causeway::rein::document;

const ROUNDS: u32 = 5_000;
const VECTORS: &str = include_str!("../tests/fixtures/vectors/rein_documents.json");

/// Mean time of `work` over `ROUNDS` calls, after as many warm-up calls.
fn mean(mut work: impl FnMut()) -> Duration {
    for _ in 0..ROUNDS {
        work();
    }
    let started = Instant::now();
    for _ in 0..ROUNDS {
        work();
    }
    started.elapsed() / ROUNDS
}

fn main() {
    let signer = Signer::random(AddressKind::P2pkh, Net::Mainnet);
    let message =
        "profilebenchmark value1DYP8ALtTrCJAgVzUGA4RHkcaJ5CxW7CWY3f2a9c0d8e7b6a5f4e3d2c1b0a998877";
    let signature = Signature::from_base64(&signer.sign(message)).expect("a signature");
    let request = mean(|| {
        verify_signed_message(black_box(&signer.address), black_box(message), &signature)
            .expect("verifies");
    });

    let vectors: serde_json::Value = serde_json::from_str(VECTORS).expect("the vectors");
    let enrollment = vectors
        .as_array()
        .and_then(|all| all.iter().find(|v| v["name"] == "enrollment_mediator"))
        .and_then(|v| v["text"].as_str())
        .expect("the enrollment vector");
    let accepted = [Net::Mainnet];
    let armoured = mean(|| {
        let doc = document::parse(black_box(enrollment), &accepted).expect("a document");
        assert!(doc.signature_valid);
    });
    let plain = "Rein Job\nName: Logo design\nDescription: a plain value, not armoured";
    let unarmoured = mean(|| {
        let doc = document::parse(black_box(plain), &accepted).expect("a document");
        assert!(!doc.signature_valid);
    });

    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!("| work ({ROUNDS} rounds, one core) | mean (µs) |");
    println!("|---|---|");
    println!(
        "| the request's signature: one key recovery | {:.1} |",
        us(request)
    );
    println!(
        "| indexing an armoured enrollment (parse + its own signature: the second recovery) | {:.1} |",
        us(armoured)
    );
    println!(
        "| indexing a plain value (parse, no recovery) | {:.1} |",
        us(unarmoured)
    );
}
