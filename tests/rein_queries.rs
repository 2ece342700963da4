//! `/query` (API.md "Rein queries") on both backends: every kind finds the right documents
//! and only those, parameters are data, answers are oldest first and bounded.

mod common;

use causeway::auth::Signer;
use common::{assert_error, p2pkh, Backend, TestServer};
use serde_json::{json, Value};

conformance!(
    every_kind_finds_its_documents_and_no_others,
    networks_are_kept_apart_except_for_disputes,
    queries_need_an_account_with_a_bucket,
    parameters_are_data_never_patterns,
    answers_are_oldest_first_and_bounded,
    unknown_kinds_and_missing_parameters_are_bad_requests,
    documents_round_trip_byte_for_byte,
    random_documents_round_trip_through_put_and_query,
    every_document_served_is_charged_and_unpaid_ones_are_left_out,
);

/// An ASCII-armoured document as the Rein client lays it out, signed by `signer`.
fn armored(signer: &Signer, lines: &[String]) -> String {
    let body = lines.join("\n");
    format!(
        "-----BEGIN BITCOIN SIGNED MESSAGE-----\n{body}\n-----BEGIN SIGNATURE-----\n{}\n{}\n-----END BITCOIN SIGNED MESSAGE-----",
        signer.address,
        signer.sign(&body)
    )
}

fn doc(signer: &Signer, title: &str, fields: &[(&str, &str)]) -> String {
    let mut lines = vec![title.to_owned()];
    lines.extend(fields.iter().map(|(n, v)| format!("{n}: {v}")));
    armored(signer, &lines)
}

fn vectors() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/vectors/rein_documents.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn vector(name: &str) -> String {
    vectors().into_iter().find(|v| v["name"] == name).unwrap()["text"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Stores each (key, value, testnet) under `owner`'s account.
async fn store(server: &TestServer, owner: &Signer, docs: &[(&str, &str, bool)]) {
    let nonce = server.nonce(owner).await;
    for (key, value, testnet) in docs {
        let address = owner.address.as_str();
        let signature = owner.sign(&format!("{key}{value}{address}{nonce}"));
        let testnet = if *testnet { "True" } else { "False" };
        let (status, body) = server
            .post_form(
                "/put",
                &[
                    ("key", *key),
                    ("value", *value),
                    ("owner", address),
                    ("signature_address", address),
                    ("nonce", &nonce),
                    ("signature", &signature),
                    ("testnet", testnet),
                ],
            )
            .await;
        assert_eq!(status, 201, "{key}: {body}");
    }
}

async fn query(server: &TestServer, owner: &Signer, params: &[(&str, &str)]) -> (u16, Value) {
    let mut all = vec![("owner", owner.address.as_str())];
    all.extend_from_slice(params);
    server.get_query("/query", &all).await
}

/// The values a successful query returned under its kind's key.
async fn found(
    server: &TestServer,
    owner: &Signer,
    kind: &str,
    params: &[(&str, &str)],
) -> Vec<Value> {
    let mut all = vec![("query", kind)];
    all.extend_from_slice(params);
    let (status, body) = query(server, owner, &all).await;
    assert_eq!(status, 200, "{kind}: {body}");
    assert_eq!(body["result"], "success", "{kind}: {body}");
    assert!(body.get("block_info").is_some(), "{body}");
    body[kind]
        .as_array()
        .unwrap_or_else(|| panic!("{kind}: {body}"))
        .clone()
}

fn field<'a>(v: &'a Value, name: &str) -> &'a str {
    let text = v.as_str().unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
        .unwrap_or("")
}

async fn every_kind_finds_its_documents_and_no_others(backend: Backend) {
    let server = TestServer::start(backend).await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    let all = vectors();
    let texts: Vec<(String, String)> = all
        .iter()
        .map(|v| {
            (
                v["name"].as_str().unwrap().to_owned(),
                v["text"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let docs: Vec<(&str, &str, bool)> = texts
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str(), false))
        .collect();
    store(&server, &owner, &docs).await;
    // A forged copy of the job (someone else's signature) and plain values never match.
    let forger = p2pkh();
    let job = vector("job");
    // The signature line (second to last) replaced by a signature over something else.
    let forged = job.replacen(
        job.lines().nth(job.lines().count() - 2).unwrap(),
        &forger.sign("something else"),
        1,
    );
    store(
        &server,
        &owner,
        &[
            ("forged-job", &forged, false),
            ("plain", "Rein Job\nJob ID: x", false),
        ],
    )
    .await;

    let by_name = |name: &str| all.iter().find(|v| v["name"] == name).unwrap().clone();
    let f = |name: &str, field: &str| by_name(name)["fields"][field].as_str().unwrap().to_owned();

    let mediators = found(&server, &owner, "mediators", &[]).await;
    assert_eq!(mediators, vec![json!(vector("enrollment_mediator"))]);
    assert_eq!(
        found(&server, &owner, "jobs", &[]).await,
        vec![json!(vector("job"))]
    );
    // The tampered bid's signature fails: only the genuine one.
    assert_eq!(
        found(&server, &owner, "bids", &[]).await,
        vec![json!(vector("bid"))]
    );
    let creator = f("delivery", "Job creator public key");
    assert_eq!(
        found(&server, &owner, "deliveries", &[("job_creator", &creator)]).await,
        vec![json!(vector("delivery"))]
    );
    assert!(
        found(&server, &owner, "deliveries", &[("job_creator", "02ff")])
            .await
            .is_empty()
    );
    let worker = f("bid", "Worker public key");
    let in_process = found(&server, &owner, "in-process", &[("worker", &worker)]).await;
    assert!(!in_process.is_empty());
    assert!(in_process
        .iter()
        .all(|d| field(d, "Worker public key") == worker));
    let mediator = f("job", "Mediator public key");
    let review = found(&server, &owner, "review", &[("mediator", &mediator)]).await;
    assert!(review.contains(&json!(vector("job"))));
    assert!(review
        .iter()
        .all(|d| field(d, "Mediator public key") == mediator));
    let job_id = f("job", "Job ID");
    let by_id = found(
        &server,
        &owner,
        "by_job_id",
        &[("job_ids", &format!("nope, {job_id}"))],
    )
    .await;
    assert!(by_id.contains(&json!(vector("job"))) && by_id.contains(&json!(vector("bid"))));
    assert!(!by_id.contains(&json!(vector("bid_tampered"))));
    assert!(by_id.iter().all(|d| field(d, "Job ID") == job_id));
    assert_eq!(
        found(&server, &owner, "dispute", &[("job_ids", &job_id)]).await,
        vec![json!(vector("delivery"))]
    );
    let dest = f("rating", "User msin");
    let source = f("rating", "Rater msin");
    let rating = json!({"key": "rating", "value": vector("rating")});
    assert_eq!(
        found(&server, &owner, "get_user_ratings", &[("dest", &dest)]).await,
        vec![rating.clone()]
    );
    assert_eq!(
        found(&server, &owner, "get_user_ratings", &[("source", &source)]).await,
        vec![rating.clone()]
    );
    assert_eq!(
        found(
            &server,
            &owner,
            "get_user_ratings",
            &[("dest", &dest), ("source", &source)]
        )
        .await,
        vec![rating]
    );
    assert!(found(
        &server,
        &owner,
        "get_user_ratings",
        &[("dest", &source), ("source", &dest)]
    )
    .await
    .is_empty());
    assert_eq!(
        found(&server, &owner, "get_user_ratings", &[]).await,
        vec![json!("error")]
    );
    let msin = f("enrollment_worker", "Secure Identity Number");
    assert_eq!(
        found(&server, &owner, "get_user_name", &[("msin", &msin)]).await,
        vec![json!({"key": "enrollment_worker", "value": vector("enrollment_worker")})]
    );
    // get_user: by identity number, addresses, then name or contact (case-insensitive).
    let worker_enrollment = json!(vector("enrollment_worker"));
    for input in [
        msin.clone(),
        f("enrollment_worker", "Master signing address"),
        f("enrollment_worker", "Delegate signing address"),
        "priya".to_owned(),
        "LANTERNWORKS".to_owned(),
    ] {
        assert_eq!(
            found(&server, &owner, "get_user", &[("search_input", &input)]).await,
            vec![worker_enrollment.clone()],
            "{input}"
        );
    }
    assert!(found(
        &server,
        &owner,
        "get_user",
        &[("search_input", "nobody-at-all")]
    )
    .await
    .is_empty());
}

async fn networks_are_kept_apart_except_for_disputes(backend: Backend) {
    let server = TestServer::start(backend).await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    let signer = p2pkh();
    let main_job = doc(&signer, "Rein Job", &[("Job ID", "J1")]);
    let test_job = doc(&signer, "Rein Job", &[("Job ID", "J2")]);
    let test_offer = doc(&signer, "Rein Offer", &[("Job ID", "J2")]);
    store(
        &server,
        &owner,
        &[
            ("m", &main_job, false),
            ("t", &test_job, true),
            ("o", &test_offer, true),
        ],
    )
    .await;
    for testnet in ["True", "1"] {
        assert_eq!(
            found(&server, &owner, "jobs", &[("testnet", testnet)]).await,
            vec![json!(test_job)]
        );
    }
    for testnet in ["False", "0", "true-ish", ""] {
        assert_eq!(
            found(&server, &owner, "jobs", &[("testnet", testnet)]).await,
            vec![json!(main_job)]
        );
    }
    assert_eq!(
        found(&server, &owner, "jobs", &[]).await,
        vec![json!(main_job)]
    );
    // Disputes look at either network; without a delivery, the job's offers answer.
    assert_eq!(
        found(&server, &owner, "dispute", &[("job_ids", "J2")]).await,
        vec![json!(test_offer)]
    );
}

async fn queries_need_an_account_with_a_bucket(backend: Backend) {
    let server = TestServer::with(backend, |c| c.free_buckets = 0).await;
    let stranger = p2pkh();
    let expected = json!({"result": "error", "message": "Account required to make queries"});
    let (status, body) = query(&server, &stranger, &[("query", "jobs")]).await;
    assert_eq!((status, body), (200, expected.clone()));
    // An account without any bucket is refused the same way.
    server
        .get_query("/request", &[("owner", stranger.address.as_str())])
        .await;
    let (status, body) = query(&server, &stranger, &[("query", "jobs")]).await;
    assert_eq!((status, body), (200, expected.clone()));
    let (status, body) = server
        .get_query(
            "/bitcoin",
            &[
                ("owner", stranger.address.as_str()),
                ("query", "getbyheight"),
                ("height", "1"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["message"], "Bitcoin Core not enabled for this server");
}

async fn parameters_are_data_never_patterns(backend: Backend) {
    let server = TestServer::start(backend).await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    let signer = p2pkh();
    let odd = [
        "%",
        "_",
        "\\",
        "'",
        "\"",
        "a%b",
        "x_y",
        "%'; DROP TABLE pairs; --",
    ];
    let mut docs = Vec::new();
    for (i, value) in odd.iter().enumerate() {
        docs.push((
            format!("odd{i}"),
            doc(
                &signer,
                "Rein Bid",
                &[("Job ID", value), ("Worker public key", value)],
            ),
        ));
    }
    let enrollment = doc(
        &signer,
        "Rein User Enrollment",
        &[
            ("User", "Percent 100% _under_"),
            ("Contact", "back\\slash@example.org"),
            ("Secure Identity Number", "S1"),
        ],
    );
    docs.push(("enroll".into(), enrollment.clone()));
    let refs: Vec<(&str, &str, bool)> = docs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str(), false))
        .collect();
    store(&server, &owner, &refs).await;
    for value in odd {
        let hits = found(&server, &owner, "in-process", &[("worker", value)]).await;
        assert_eq!(hits.len(), 1, "{value:?} matched {hits:?}");
        assert_eq!(field(&hits[0], "Worker public key"), value);
    }
    for pattern in ["%%", "_", "a_b", "x%y", "\\%", "'%"] {
        let hits = found(&server, &owner, "by_job_id", &[("job_ids", pattern)]).await;
        assert!(
            hits.iter().all(|h| field(h, "Job ID") == pattern),
            "{pattern:?}: {hits:?}"
        );
    }
    // "contains" takes % and _ literally.
    let hits = found(&server, &owner, "get_user", &[("search_input", "100% _u")]).await;
    assert_eq!(hits, vec![json!(enrollment)]);
    for miss in ["100%_u", "1_0", "%%", "percent_100"] {
        assert!(
            found(&server, &owner, "get_user", &[("search_input", miss)])
                .await
                .is_empty(),
            "{miss:?}"
        );
    }
    assert_eq!(
        found(&server, &owner, "get_user", &[("search_input", "K\\SLASH")]).await,
        vec![json!(enrollment)]
    );
    // Newlines and NUL: a newline is data (matches nothing), NUL is refused.
    assert!(found(
        &server,
        &owner,
        "in-process",
        &[("worker", "%\nWorker public key: %")]
    )
    .await
    .is_empty());
    let (status, body) = query(
        &server,
        &owner,
        &[("query", "in-process"), ("worker", "a\0b")],
    )
    .await;
    assert_error(status, &body, 400, "bad_request");
}

async fn answers_are_oldest_first_and_bounded(backend: Backend) {
    let server = TestServer::start(backend).await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    let signer = p2pkh();
    let jobs: Vec<(String, String)> = (0..105)
        .map(|i| {
            (
                format!("job{i:03}"),
                doc(
                    &signer,
                    "Rein Job",
                    &[
                        ("Job ID", &format!("id{i}")),
                        ("Job creator public key", "same"),
                    ],
                ),
            )
        })
        .collect();
    let refs: Vec<(&str, &str, bool)> = jobs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str(), false))
        .collect();
    store(&server, &owner, &refs).await;
    let answer = found(&server, &owner, "jobs", &[]).await;
    assert_eq!(answer.len(), 100);
    let expected: Vec<Value> = jobs[..100].iter().map(|(_, v)| json!(v)).collect();
    assert_eq!(answer, expected, "oldest first");
    // get_user answers at most 20.
    let people: Vec<(String, String)> = (0..25)
        .map(|i| {
            (
                format!("user{i}"),
                doc(
                    &signer,
                    "Rein User Enrollment",
                    &[("User", &format!("Sam {i}"))],
                ),
            )
        })
        .collect();
    let refs: Vec<(&str, &str, bool)> = people
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str(), false))
        .collect();
    store(&server, &owner, &refs).await;
    assert_eq!(
        found(&server, &owner, "get_user", &[("search_input", "sam")])
            .await
            .len(),
        20
    );
}

async fn unknown_kinds_and_missing_parameters_are_bad_requests(backend: Backend) {
    let server = TestServer::start(backend).await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    let many_ids = vec!["x"; 101].join(",");
    for params in [
        vec![("query", "everything")],
        vec![],
        vec![("query", "deliveries")],
        vec![("query", "in-process")],
        vec![("query", "review")],
        vec![("query", "by_job_id")],
        vec![("query", "dispute")],
        vec![("query", "get_user_name")],
        vec![("query", "get_user")],
        vec![("query", "by_job_id"), ("job_ids", many_ids.as_str())],
    ] {
        let (status, body) = query(&server, &owner, &params).await;
        assert_error(status, &body, 400, "bad_request");
    }
    let (status, body) = server
        .get_query("/query", &[("owner", "not-an-address"), ("query", "jobs")])
        .await;
    assert_error(status, &body, 400, "bad_request");
}

async fn documents_round_trip_byte_for_byte(backend: Backend) {
    let server = TestServer::start(backend).await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    let signer = p2pkh();
    let text = doc(
        &signer,
        "Rein Job",
        &[
            ("Job ID", "unicode"),
            ("Description", "naïve café — 🦀 \"quoted\" \\ tab\tend"),
        ],
    );
    store(&server, &owner, &[("u", &text, false)]).await;
    let hits = found(&server, &owner, "by_job_id", &[("job_ids", "unicode")]).await;
    assert_eq!(hits[0].as_str().unwrap().as_bytes(), text.as_bytes());
    let (_, body) = server.get_query("/get", &[("key", "u")]).await;
    assert_eq!(body["value"].as_str().unwrap().as_bytes(), text.as_bytes());
}

async fn random_documents_round_trip_through_put_and_query(backend: Backend) {
    use rand::{Rng, SeedableRng};
    let server = TestServer::start(backend).await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    let signer = p2pkh();
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5eed_d0c5);
    let alphabet: Vec<char> = "abcXYZ019 %_\\'\"`~!@#$^&*()[]{}<>|;,./?=+-éü中🦀\t"
        .chars()
        .collect();
    let mut docs = Vec::new();
    for i in 0..40 {
        let mut random_text = |max: usize| -> String {
            let len = rng.gen_range(1..=max);
            (0..len)
                .map(|_| alphabet[rng.gen_range(0..alphabet.len())])
                .collect::<String>()
        };
        let job_id = format!("rt{i}-{}", random_text(12).trim());
        let description = random_text(200);
        let extra = random_text(30);
        let text = doc(
            &signer,
            "Rein Job",
            &[
                ("Job ID", job_id.trim()),
                ("Description", &description),
                ("Note", &extra),
            ],
        );
        docs.push((format!("rt{i}"), job_id.trim().to_owned(), text));
    }
    let stored: Vec<(&str, &str, bool)> = docs
        .iter()
        .map(|(key, _, text)| (key.as_str(), text.as_str(), false))
        .collect();
    store(&server, &owner, &stored).await;
    for (key, job_id, text) in &docs {
        // Commas separate job ids, so look such ids up by worker-free "jobs" instead.
        let hits = if job_id.contains(',') {
            found(&server, &owner, "jobs", &[]).await
        } else {
            found(&server, &owner, "by_job_id", &[("job_ids", job_id)]).await
        };
        let hit = hits
            .iter()
            .find(|h| h.as_str() == Some(text.as_str()))
            .unwrap_or_else(|| panic!("{key} ({job_id:?}) not found byte for byte"));
        assert_eq!(hit.as_str().unwrap().as_bytes(), text.as_bytes());
    }
}

async fn every_document_served_is_charged_and_unpaid_ones_are_left_out(backend: Backend) {
    // Each job below is about 1,400 bytes: the bucket's allowance pays for two.
    let server = TestServer::with(backend, |c| c.bucket_transfer_bytes = 3_000).await;
    let (owner, asker) = (p2pkh(), p2pkh());
    server.enroll(&owner).await;
    server.enroll(&asker).await;
    let padding = "x".repeat(1_200);
    let jobs: Vec<String> = (0..3)
        .map(|i| {
            doc(
                &owner,
                "Rein Job",
                &[("Job ID", &format!("job{i}")), ("Description", &padding)],
            )
        })
        .collect();
    let keys = ["j0", "j1", "j2"];
    let stored: Vec<(&str, &str, bool)> = keys
        .iter()
        .zip(&jobs)
        .map(|(key, job)| (*key, job.as_str(), false))
        .collect();
    store(&server, &owner, &stored).await;
    // Another account asks: what it is sent is charged to the owner's bucket, oldest first,
    // and what the bucket can no longer pay for is left out.
    let first = found(&server, &asker, "jobs", &[]).await;
    assert_eq!(first, vec![json!(jobs[0]), json!(jobs[1])]);
    let second = found(&server, &asker, "jobs", &[]).await;
    assert!(second.is_empty(), "{second:?}");
    let (status, body) = server.get_query("/get", &[("key", "j2")]).await;
    assert_error(status, &body, 402, "bandwidth_exhausted");
}
