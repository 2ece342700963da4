//! The committed OpenAPI document is the generated one, and it describes every endpoint fully.

mod common;

use common::{p2pkh, Backend, TestServer};
use serde_json::{json, Value};

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

/// The statuses a route declares, sorted.
fn statuses(doc: &Value, path: &str, method: &str) -> Vec<String> {
    let mut statuses: Vec<String> = doc["paths"][path][method]["responses"]
        .as_object()
        .unwrap_or_else(|| panic!("{method} {path} has no responses"))
        .keys()
        .cloned()
        .collect();
    statuses.sort();
    statuses
}

#[test]
fn each_route_declares_the_errors_it_can_return_and_no_other() {
    let doc: Value = serde_json::from_str(&committed()).unwrap();
    let declared = |path: &str, method: &str| statuses(&doc, path, method);
    // What the contract says each route answers (its "Errors" table and route texts).
    for (path, method, expected) in [
        ("/put", "post", "201 400 401 402 403 413 415 429 500 503"),
        ("/get", "get", "200 304 400 402 404 429 500 503"),
        ("/delete", "post", "200 400 401 403 404 413 415 429 500 503"),
        ("/nonce", "get", "200 400 403 429 500 503"),
        ("/request", "get", "200 400 401 429 500 503 507"),
        ("/address", "get", "200 400 401 429 500 501 503"),
        ("/balance", "get", "200 400 401 403 429 500 503"),
        ("/buy", "get", "200 400 401 429 500 503 507"),
        ("/query", "get", "200 400 429 500 503"),
        ("/bitcoin", "get", "200 400 429 500 503"),
        ("/status", "get", "200 429 500 503"),
        ("/price", "get", "200 429"),
        ("/help", "get", "200 429"),
        ("/", "get", "200 429"),
        ("/info", "get", "200 429"),
    ] {
        assert_eq!(
            declared(path, method).join(" "),
            expected,
            "{method} {path}"
        );
    }
    // Every declared error answers the contract's error shape.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            for (status, response) in operation["responses"].as_object().unwrap() {
                if status.starts_with('2') || status == "304" {
                    continue;
                }
                let schema = &response["content"]["application/json; charset=utf-8"]["schema"];
                assert_eq!(
                    schema["$ref"], "#/components/schemas/ErrorBody",
                    "{method} {path} {status}"
                );
            }
        }
    }
}

#[test]
fn required_parameters_and_body_fields_are_required() {
    let doc: Value = serde_json::from_str(&committed()).unwrap();
    let required = |path: &str| -> Vec<String> {
        doc["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap_or_else(|| panic!("{path} has no parameters"))
            .iter()
            .filter(|p| p["required"] == Value::Bool(true))
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect()
    };
    for (path, expected) in [
        ("/get", "key"),
        ("/nonce", "address"),
        ("/request", "owner"),
        ("/address", "address signature"),
        ("/balance", "address nonce signature"),
        // The seed shape names `address`, the Rein one `owner`: neither alone is required.
        ("/buy", ""),
        ("/query", "owner query"),
        ("/bitcoin", "owner query"),
    ] {
        assert_eq!(required(path).join(" "), expected, "{path}");
    }
    // /put: the seed and the Rein shapes, each whole, as JSON and (copies) as a form.
    let schemas = &doc["components"]["schemas"];
    let put = &doc["paths"]["/put"]["post"]["requestBody"]["content"];
    for (media, suffix) in [
        ("application/json; charset=utf-8", ""),
        ("application/x-www-form-urlencoded", "Form"),
    ] {
        let shapes: Vec<&str> = put[media]["schema"]["oneOf"]
            .as_array()
            .unwrap_or_else(|| panic!("/put {media} is not a oneOf: {put}"))
            .iter()
            .map(|shape| shape["$ref"].as_str().unwrap())
            .collect();
        assert_eq!(
            shapes,
            [
                format!("#/components/schemas/SeedPut{suffix}"),
                format!("#/components/schemas/ReinPut{suffix}")
            ]
        );
    }
    let fields = |name: &str| schemas[name]["required"].to_string();
    assert_eq!(
        fields("SeedPut"),
        r#"["key","value","nonce","signature","address"]"#
    );
    assert_eq!(
        fields("ReinPut"),
        r#"["key","value","nonce","signature","owner","signature_address"]"#
    );
    assert_eq!(fields("SeedPutForm"), fields("SeedPut"));
    assert_eq!(
        fields("SignedDelete"),
        r#"["key","address","nonce","signature"]"#
    );
}

/// Every error a route answers is one its document declares, in the contract's shape: the
/// refusals a stranger with no key can provoke, and those poem raises before a handler runs
/// (a body too large or of another media type).
#[tokio::test]
async fn what_a_stranger_is_answered_is_declared_by_the_route() {
    let doc: Value = serde_json::from_str(&committed()).unwrap();
    let server = TestServer::start(Backend::Real).await;
    let (stranger, owner) = (p2pkh(), p2pkh());
    let nobody = stranger.address.as_str();
    let someone = owner.address.as_str();
    let nonce = "0123456789abcdef0123456789abcdef";
    let mut seen = Vec::new();
    let mut check = |path: &str, method: &str, status: u16, body: &Value| {
        let declared = statuses(&doc, path, method);
        assert!(
            declared.contains(&status.to_string()),
            "{method} {path} answered {status}, declares {declared:?}: {body}"
        );
        assert_eq!(body["result"], "error", "{method} {path} {status}: {body}");
        assert!(body["code"].is_string(), "{method} {path} {status}: {body}");
        seen.push(status);
    };
    let gets: Vec<(&str, Vec<(&str, String)>)> = vec![
        ("/get", vec![]),
        ("/get", vec![("key", "absent".into())]),
        ("/nonce", vec![]),
        ("/nonce", vec![("address", nobody.into())]),
        ("/request", vec![]),
        (
            "/request",
            vec![("owner", nobody.into()), ("signature", "AAAA".into())],
        ),
        (
            "/request",
            vec![
                ("owner", someone.into()),
                ("contact", "c".into()),
                ("signature", stranger.sign(&format!("{someone}c"))),
            ],
        ),
        ("/address", vec![("address", nobody.into())]),
        (
            "/address",
            vec![
                ("address", nobody.into()),
                ("contact", "c".into()),
                ("signature", stranger.sign(&format!("c{nobody}"))),
            ],
        ),
        (
            "/balance",
            vec![
                ("address", nobody.into()),
                ("nonce", nonce.into()),
                ("signature", stranger.sign(&format!("{nobody}{nonce}"))),
            ],
        ),
        ("/buy", vec![]),
        (
            "/buy",
            vec![("address", nobody.into()), ("nonce", nonce.into())],
        ),
        ("/query", vec![("owner", nobody.into())]),
        (
            "/bitcoin",
            vec![("owner", nobody.into()), ("query", "nope".into())],
        ),
    ];
    for (path, query) in gets {
        let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, body) = server.get_query(path, &query).await;
        check(path, "get", status, &body);
    }
    let limit = server.service.config().max_body_bytes;
    for path in ["/put", "/delete"] {
        let (status, body) = server.post_json(path, &json!({})).await;
        check(path, "post", status, &body);
        let (status, body) = server
            .post_json(
                path,
                &json!({"key": "k", "value": "v", "address": nobody, "nonce": nonce,
                        "signature": stranger.sign(&format!("kv{nobody}{nonce}"))}),
            )
            .await;
        check(path, "post", status, &body);
        for (content_type, body) in [
            ("text/plain", b"key=k".to_vec()),
            ("application/json", vec![b' '; limit + 1]),
        ] {
            let response = server
                .http
                .post(format!("{}{path}", server.base))
                .header("content-type", content_type)
                .body(body)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap();
            check(path, "post", status, &body);
        }
    }
    seen.sort();
    seen.dedup();
    // The refusals above reach each kind of declared error a stranger can cause.
    assert_eq!(seen, [400, 401, 403, 404, 413, 415, 501], "{seen:?}");
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
