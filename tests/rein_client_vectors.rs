//! The Rein client's own signed `/put` (from the shared vectors, signed by an independent
//! implementation) is accepted byte for byte, authorized by the enrollment it carries.

mod common;

use common::{assert_error, Backend, TestServer};
use serde_json::Value;

fn vector(file: &str, name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/vectors/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let all: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    all.into_iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("vector {name} missing"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rein_client_put_of_an_enrollment_by_its_delegate_is_accepted() {
    let put = vector("signed_messages.json", "rein_put_enrollment");
    let enrollment = vector("rein_documents.json", "enrollment_mediator");
    let (message, text) = (
        put["message"].as_str().unwrap(),
        enrollment["text"].as_str().unwrap(),
    );
    let delegate = put["address"].as_str().unwrap();
    let owner = enrollment["owner_address"].as_str().unwrap();
    // message = key (32 chars) + value + signature_address + nonce (32 hex).
    let key = &message[..32];
    let nonce = &message[message.len() - 32..];
    assert_eq!(&message[32..32 + text.len()], text);
    assert_eq!(&message[32 + text.len()..message.len() - 32], delegate);

    let server = TestServer::start(Backend::Real).await;
    let real = server.real.clone().unwrap();
    let (status, _) = server
        .get_query(
            "/request",
            &[("owner", owner), ("contact", "teodora@example.org")],
        )
        .await;
    assert_eq!(status, 200);
    // The vector was signed over a fixed nonce: make it a live nonce of the owner (one
    // Redis key per issued nonce, as `/nonce` writes it).
    let client = redis::Client::open(real.redis_url.as_str()).unwrap();
    let mut redis = client.get_multiplexed_async_connection().await.unwrap();
    redis::cmd("SET")
        .arg(format!("{}nonce:{owner}:{nonce}", real.redis_prefix))
        .arg("1")
        .arg("EX")
        .arg(900)
        .query_async::<()>(&mut redis)
        .await
        .unwrap();

    let form = [
        ("key", key),
        ("value", text),
        ("owner", owner),
        ("signature_address", delegate),
        ("nonce", nonce),
        ("signature", put["signature"].as_str().unwrap()),
        ("testnet", "False"),
    ];
    let (status, body) = server.post_form("/put", &form).await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = server.get_query("/get", &[("key", key)]).await;
    assert_eq!(status, 200);
    assert_eq!(body["value"].as_str().unwrap().as_bytes(), text.as_bytes());
    // The same signed request again is a replay.
    let (status, body) = server.post_form("/put", &form).await;
    assert_error(status, &body, 401, "replayed");
}
