//! The committed OpenAPI document is the generated one, and it describes every endpoint fully.

mod common;

use common::{Backend, TestServer};
use serde_json::Value;

fn committed() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/causeway.json");
    std::fs::read_to_string(path).expect("openapi/causeway.json is committed")
}

#[test]
fn committed_document_matches_the_generated_one() {
    let generated = causeway::app::spec_json();
    assert!(
        committed().trim_end() == generated.trim_end(),
        "openapi/causeway.json is stale: run `cargo run -- openapi > openapi/causeway.json`"
    );
}

#[test]
fn every_contract_endpoint_is_described_with_its_errors() {
    let doc: Value = serde_json::from_str(&committed()).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/put", "post"),
        ("/delete", "post"),
        ("/get", "get"),
        ("/nonce", "get"),
        ("/request", "get"),
        ("/price", "get"),
        ("/status", "get"),
        ("/help", "get"),
        ("/", "get"),
        ("/info", "get"),
    ] {
        let operation = &paths[path][method];
        assert!(operation.is_object(), "{method} {path} missing");
        assert!(operation["summary"].is_string(), "{path} has no summary");
        assert!(
            operation["responses"]["200"].is_object() || operation["responses"]["201"].is_object(),
            "{path}"
        );
    }
    for (path, method) in [
        ("/put", "post"),
        ("/delete", "post"),
        ("/get", "get"),
        ("/nonce", "get"),
    ] {
        let responses = &paths[path][method]["responses"];
        for status in ["400", "401", "402", "403", "404", "503"] {
            let schema = &responses[status]["content"]["application/json; charset=utf-8"]["schema"];
            assert!(schema.is_object(), "{path} {status}: {responses}");
        }
    }
    // The Rein answers are described shape by shape, not as an untyped `{}`.
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for path in ["/query", "/bitcoin"] {
        let schema = &paths[path]["get"]["responses"]["200"]["content"]
            ["application/json; charset=utf-8"]["schema"];
        let name = schema["$ref"]
            .as_str()
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
            .unwrap_or_else(|| panic!("{path} 200 is not a named schema: {schema}"));
        let one_of = schemas[name]["oneOf"]
            .as_array()
            .unwrap_or_else(|| panic!("{path} 200 ({name}) is not a oneOf"));
        assert!(one_of.len() >= 3, "{path}: {one_of:?}");
        for answer in one_of {
            let answer_name = answer["$ref"]
                .as_str()
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
                .unwrap_or_else(|| panic!("{path}: {answer}"));
            let answer = &schemas[answer_name];
            let properties = answer["properties"].as_object();
            assert!(
                properties.is_some_and(|p| !p.is_empty()),
                "{path}: {answer_name} has no properties"
            );
            assert!(
                answer["example"].is_object(),
                "{path}: {answer_name} has no example"
            );
        }
    }
    let query_answers = schemas["QueryReply"]["oneOf"].to_string();
    for kind in [
        "MediatorsReply",
        "InProcessReply",
        "UserRatingsErrorReply",
        "MessageReply",
    ] {
        assert!(query_answers.contains(kind), "/query lacks {kind}");
    }
    assert!(schemas["InProcessReply"]["properties"]["in-process"].is_object());
    // Both body encodings of the writes are documented.
    let put_body = &paths["/put"]["post"]["requestBody"]["content"];
    assert!(
        put_body["application/json; charset=utf-8"].is_object(),
        "{put_body}"
    );
    assert!(
        put_body["application/x-www-form-urlencoded"].is_object(),
        "{put_body}"
    );
}

/// The contract's error codes (API contract, "Errors"), plus `internal`, a bug's answer.
const CONTRACT_CODES: [&str; 17] = [
    "bad_request",
    "unknown_account",
    "not_authorized",
    "bad_nonce",
    "bad_signature",
    "replayed",
    "key_owned_by_other",
    "not_found",
    "insufficient_storage",
    "bandwidth_exhausted",
    "bucket_expired",
    "insufficient_funds",
    "rate_limited",
    "server_full",
    "payments_disabled",
    "unavailable",
    "internal",
];

#[test]
fn generated_clients_get_verb_noun_operations_servers_no_security_and_an_error_enum() {
    let doc: Value = serde_json::from_str(&committed()).unwrap();
    assert_eq!(
        doc["security"],
        serde_json::json!([]),
        "no operation takes credentials"
    );
    assert!(
        doc["servers"][0]["url"]
            .as_str()
            .is_some_and(|url| url.starts_with("http")),
        "{}",
        doc["servers"]
    );
    assert_eq!(doc["info"]["license"]["name"], "MIT");
    // camelCase verb + noun: no generator has to rename one away from a keyword (help_,
    // delete_), and each says what it does.
    let verbs = ["get", "put", "delete", "request", "buy", "query"];
    let mut ids = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let id = operation["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path}"));
            let verb = verbs.iter().find(|verb| id.starts_with(*verb));
            let noun = verb.map(|verb| &id[verb.len()..]).unwrap_or("");
            assert!(
                noun.starts_with(|c: char| c.is_ascii_uppercase())
                    && noun.chars().all(|c| c.is_ascii_alphanumeric()),
                "{method} {path}: operationId {id:?} is not verb + Noun"
            );
            ids.push(id.to_owned());
        }
    }
    let count = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), count, "operation ids repeat: {ids:?}");
    // Every error body's code is the enum of the contract's codes.
    let schemas = &doc["components"]["schemas"];
    let code = &schemas["ErrorBody"]["properties"]["code"];
    // A described reference comes as a one-item allOf.
    let reference = code.get("$ref").unwrap_or(&code["allOf"][0]["$ref"]);
    assert_eq!(reference, "#/components/schemas/ErrorCode", "{code}");
    let codes: Vec<&str> = schemas["ErrorCode"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|code| code.as_str().unwrap())
        .collect();
    assert_eq!(codes, CONTRACT_CODES);
    assert!(
        !committed().contains("API.md"),
        "the document points to a file not in the repo"
    );
}

#[tokio::test]
async fn the_served_document_is_the_committed_one() {
    let server = TestServer::start(Backend::Memory).await;
    let (status, served) = server.get("/openapi.json").await;
    assert_eq!(status, 200);
    let committed: Value = serde_json::from_str(&committed()).unwrap();
    assert_eq!(served, committed);
}
