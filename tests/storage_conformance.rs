//! The storage contract of API.md, run against both backends (memory and PostgreSQL + Redis).

mod common;

use causeway::auth::AddressKind;
use common::{assert_error, p2pkh, put_form, rein_put_json, signer, Backend, TestServer};
use futures::future::join_all;
use serde_json::json;

conformance!(
    every_nonce_call_issues_its_own_and_clear_ends_only_that_one,
    a_strangers_nonce_calls_never_fail_the_owners_requests,
    nonce_for_unknown_account_is_forbidden,
    put_then_get_round_trips_for_every_address_type,
    put_accepts_json_and_form_bodies,
    replayed_put_is_rejected,
    twenty_identical_concurrent_puts_store_exactly_once,
    one_nonce_signs_several_different_requests,
    single_use_nonce_is_consumed_by_first_request,
    failed_put_does_not_burn_its_signature,
    quota_never_overfills_under_race,
    replacement_is_charged_only_its_growth,
    key_held_by_another_account_is_forbidden,
    delete_frees_space_and_missing_key_is_not_found,
    claimed_delegate_cannot_write,
    signed_request_proves_delegate,
    enrollment_value_proves_its_delegate,
    stored_enrollment_proves_delegate,
    bandwidth_exhausted_keeps_data,
    etag_answers_304_without_charging,
    head_is_answered_like_get_and_never_charged,
    capacity_is_never_oversold_to_concurrent_strangers,
    a_later_proof_revokes_the_earlier_delegate_and_a_replay_never_restores_it,
    a_superseded_enrollment_never_proves_again,
    form_bodies_that_are_not_utf8_are_refused_and_nothing_is_stored,
    free_buckets_stop_at_the_limit,
    wrong_signature_nonce_and_signer_are_refused,
    hostile_input_gets_clear_4xx,
    value_with_nul_and_unicode_round_trips,
    service_information_endpoints_answer,
);

async fn clear(server: &TestServer, owner: &causeway::auth::Signer, nonce: &str) {
    let (status, body) = server
        .get_query(
            "/nonce",
            &[("address", owner.address.as_str()), ("clear", nonce)],
        )
        .await;
    assert_eq!((status, body), (200, json!({"nonce": ""})));
}

async fn every_nonce_call_issues_its_own_and_clear_ends_only_that_one(backend: Backend) {
    let server = TestServer::start(backend).await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    let first = server.nonce(&owner).await;
    assert_eq!(first.len(), 32);
    assert!(first
        .bytes()
        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    let second = server.nonce(&owner).await;
    assert_ne!(second, first, "each call issues its own nonce");
    // Both are live: one nonce signs several requests until it is cleared.
    assert_eq!(server.put(&owner, "a", "v", &first).await.0, 201);
    assert_eq!(server.put(&owner, "b", "v", &second).await.0, 201);
    assert_eq!(server.put(&owner, "c", "v", &first).await.0, 201);
    clear(&server, &owner, &first).await;
    // The cleared nonce no longer signs; the other one still does.
    let (status, body) = server.put(&owner, "d", "v", &first).await;
    assert_error(status, &body, 401, "bad_nonce");
    assert_eq!(server.put(&owner, "d", "v", &second).await.0, 201);
    // Clearing a nonce that is not live (or was never issued) changes nothing.
    clear(&server, &owner, &first).await;
    clear(&server, &owner, &"0".repeat(32)).await;
    assert_eq!(server.put(&owner, "e", "v", &second).await.0, 201);
}

async fn a_strangers_nonce_calls_never_fail_the_owners_requests(backend: Backend) {
    let server = TestServer::start(backend).await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    let nonce = server.nonce(&owner).await;
    // A stranger (no key of the account) asks for the owner's nonces and clears each one
    // it gets, and a guessed one, again and again.
    let stranger = p2pkh();
    for _ in 0..5 {
        let theirs = server.nonce(&owner).await;
        assert_ne!(theirs, nonce, "the stranger never learns the owner's nonce");
        clear(&server, &owner, &theirs).await;
        clear(&server, &owner, &"f".repeat(32)).await;
    }
    // The owner's signed requests with its own nonce still go through.
    assert_eq!(server.put(&owner, "k", "mine", &nonce).await.0, 201);
    assert_eq!(server.put(&owner, "k2", "mine", &nonce).await.0, 201);
    // And the stranger can not sign with a nonce it was handed for the owner.
    let theirs = server.nonce(&owner).await;
    let forged = rein_put_json(&owner, &stranger, "k3", "x", &theirs);
    let (status, body) = server.post_json("/put", &forged).await;
    assert_error(status, &body, 403, "not_authorized");
    let (status, body) = server.get_query("/get", &[("key", "k")]).await;
    assert_eq!((status, body["value"].as_str()), (200, Some("mine")));
}

async fn nonce_for_unknown_account_is_forbidden(backend: Backend) {
    let server = TestServer::start(backend).await;
    let stranger = p2pkh();
    let (status, body) = server
        .get_query("/nonce", &[("address", stranger.address.as_str())])
        .await;
    assert_error(status, &body, 403, "unknown_account");
}

async fn put_then_get_round_trips_for_every_address_type(backend: Backend) {
    let server = TestServer::start(backend).await;
    for kind in [
        AddressKind::P2pkh,
        AddressKind::P2shP2wpkh,
        AddressKind::P2wpkh,
    ] {
        let owner = signer(kind);
        server.enroll(&owner).await;
        let nonce = server.nonce(&owner).await;
        let key = format!("doc {kind:?}");
        let (status, body) = server.put(&owner, &key, "hello", &nonce).await;
        assert_eq!(status, 201, "{kind:?}: {body}");
        assert_eq!(body["result"], "success");
        assert_eq!(body["status"], "success");
        assert!(body["bucket"].as_i64().is_some());
        assert_eq!(
            body["bytes_free"].as_i64(),
            Some(1_048_576 - (key.len() + 5) as i64)
        );
        let (status, body) = server.get_query("/get", &[("key", &key)]).await;
        assert_eq!((status, body), (200, json!({"key": key, "value": "hello"})));
    }
}

async fn put_accepts_json_and_form_bodies(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (owner, delegate) = (p2pkh(), signer(AddressKind::P2wpkh));
    server.enroll(&owner).await;
    let nonce = server.nonce(&owner).await;
    let form = put_form(&owner, "form-key", "via form", &nonce);
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, body) = server.post_form("/put", &form).await;
    assert_eq!(status, 201, "{body}");
    let seed_json = json!({
        "key": "json-key", "value": "via json", "address": owner.address.as_str(),
        "nonce": nonce, "signature": owner.sign(&format!("json-keyvia json{}{nonce}", owner.address)),
    });
    let (status, body) = server.post_json("/put", &seed_json).await;
    assert_eq!(status, 201, "{body}");
    // The Rein shape as a form with testnet=True, signed by the owner itself.
    let signer_addr = owner.address.as_str();
    let signature = owner.sign(&format!("rein-keyrein value{signer_addr}{nonce}"));
    let (status, body) = server
        .post_form(
            "/put",
            &[
                ("key", "rein-key"),
                ("value", "rein value"),
                ("owner", signer_addr),
                ("signature_address", signer_addr),
                ("nonce", &nonce),
                ("signature", &signature),
                ("testnet", "True"),
            ],
        )
        .await;
    assert_eq!(status, 201, "{body}");
    // Rein shape in JSON from a delegate that is not proven is refused.
    let body = rein_put_json(&owner, &delegate, "rein-json", "x", &nonce);
    let (status, body) = server.post_json("/put", &body).await;
    assert_error(status, &body, 403, "not_authorized");
    for key in ["form-key", "json-key", "rein-key"] {
        let (status, _) = server.get_query("/get", &[("key", key)]).await;
        assert_eq!(status, 200, "{key}");
    }
}

async fn replayed_put_is_rejected(backend: Backend) {
    let server = TestServer::start(backend).await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    let nonce = server.nonce(&owner).await;
    let (status, _) = server.put(&owner, "k", "v", &nonce).await;
    assert_eq!(status, 201);
    let (status, body) = server.put(&owner, "k", "v", &nonce).await;
    assert_error(status, &body, 401, "replayed");
}

async fn twenty_identical_concurrent_puts_store_exactly_once(backend: Backend) {
    let server = TestServer::start(backend).await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    let nonce = server.nonce(&owner).await;
    let form = put_form(&owner, "race", "value", &nonce);
    let sends = (0..20).map(|_| {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let server = &server;
        async move { server.post_form("/put", &form).await }
    });
    let results = join_all(sends).await;
    let created = results.iter().filter(|(s, _)| *s == 201).count();
    assert_eq!(created, 1, "{results:?}");
    for (status, body) in results.iter().filter(|(s, _)| *s != 201) {
        assert_error(*status, body, 401, "replayed");
    }
    assert_eq!(server.bytes_free(&owner).await, vec![1_048_576 - 9]);
}

async fn one_nonce_signs_several_different_requests(backend: Backend) {
    let server = TestServer::start(backend).await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    let nonce = server.nonce(&owner).await;
    for i in 0..5 {
        let (status, body) = server.put(&owner, &format!("k{i}"), "v", &nonce).await;
        assert_eq!(status, 201, "{body}");
    }
}

async fn single_use_nonce_is_consumed_by_first_request(backend: Backend) {
    let server = TestServer::with(backend, |c| {
        c.nonce_mode = causeway::config::NonceMode::SingleUse
    })
    .await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    let nonce = server.nonce(&owner).await;
    let (status, _) = server.put(&owner, "a", "v", &nonce).await;
    assert_eq!(status, 201);
    let (status, body) = server.put(&owner, "b", "v", &nonce).await;
    assert_error(status, &body, 401, "bad_nonce");
    let next = server.nonce(&owner).await;
    assert_ne!(next, nonce);
    let (status, _) = server.put(&owner, "b", "v", &next).await;
    assert_eq!(status, 201);
}

async fn failed_put_does_not_burn_its_signature(backend: Backend) {
    let server = TestServer::with(backend, |c| c.bucket_bytes = 100).await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    let nonce = server.nonce(&owner).await;
    let (status, _) = server.put(&owner, "big", &"x".repeat(60), &nonce).await;
    assert_eq!(status, 201);
    let second = "y".repeat(50);
    let (status, body) = server.put(&owner, "next", &second, &nonce).await;
    assert_error(status, &body, 402, "insufficient_storage");
    assert_eq!(body["price_sats"], 10_000);
    // Make room, then send the very same signed request again: it is accepted.
    let signature = owner.sign(&format!("big{}{nonce}", owner.address));
    let (status, body) = server
        .post_form(
            "/delete",
            &[
                ("key", "big"),
                ("address", owner.address.as_str()),
                ("nonce", &nonce),
                ("signature", &signature),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = server.put(&owner, "next", &second, &nonce).await;
    assert_eq!(status, 201, "{body}");
}

async fn quota_never_overfills_under_race(backend: Backend) {
    // Each pair is 100 bytes (4-char key + 96-byte value): room for exactly 10.
    let server = TestServer::with(backend, |c| c.bucket_bytes = 1000).await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    let nonce = server.nonce(&owner).await;
    let value = "v".repeat(96);
    let forms: Vec<_> = (0..50)
        .map(|i| put_form(&owner, &format!("k{i:03}"), &value, &nonce))
        .collect();
    let sends = forms.iter().map(|form| {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let server = &server;
        async move { server.post_form("/put", &form).await }
    });
    let results = join_all(sends).await;
    let created = results.iter().filter(|(s, _)| *s == 201).count();
    assert_eq!(created, 10, "{results:?}");
    for (status, body) in results.iter().filter(|(s, _)| *s != 201) {
        assert_error(*status, body, 402, "insufficient_storage");
    }
    assert_eq!(server.bytes_free(&owner).await, vec![0]);
    let mut stored = 0;
    for i in 0..50 {
        let (status, _) = server
            .get_query("/get", &[("key", &format!("k{i:03}"))])
            .await;
        if status == 200 {
            stored += 100;
        }
    }
    assert_eq!(stored, 1000, "bytes used equal the sum of what is stored");
    if let Some(real) = &server.real {
        let row = real
            .sql()
            .await
            .query_one("SELECT (SELECT sum(bytes_used) FROM buckets)::BIGINT, (SELECT sum(size) FROM pairs)::BIGINT", &[])
            .await
            .unwrap();
        assert_eq!((row.get::<_, i64>(0), row.get::<_, i64>(1)), (1000, 1000));
    }
}

async fn replacement_is_charged_only_its_growth(backend: Backend) {
    let server = TestServer::with(backend, |c| c.bucket_bytes = 100).await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    let nonce = server.nonce(&owner).await;
    let (status, _) = server.put(&owner, "k", &"a".repeat(59), &nonce).await;
    assert_eq!(status, 201);
    assert_eq!(server.bytes_free(&owner).await, vec![40]);
    // 90 bytes would not fit beside the old 60, but replaces it: only 30 more are charged.
    let (status, body) = server.put(&owner, "k", &"b".repeat(89), &nonce).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["bytes_free"], 10);
    let (status, body) = server.put(&owner, "k", "c", &nonce).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(server.bytes_free(&owner).await, vec![98]);
}

async fn key_held_by_another_account_is_forbidden(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (alice, bob) = (p2pkh(), p2pkh());
    server.enroll(&alice).await;
    server.enroll(&bob).await;
    let nonce = server.nonce(&alice).await;
    assert_eq!(server.put(&alice, "shared", "alice's", &nonce).await.0, 201);
    let nonce = server.nonce(&bob).await;
    let (status, body) = server.put(&bob, "shared", "bob's", &nonce).await;
    assert_error(status, &body, 403, "key_owned_by_other");
    let (_, body) = server.get_query("/get", &[("key", "shared")]).await;
    assert_eq!(body["value"], "alice's");
    // Bob can not delete it either.
    let signature = bob.sign(&format!("shared{}{nonce}", bob.address));
    let (status, body) = server
        .post_form(
            "/delete",
            &[
                ("key", "shared"),
                ("address", bob.address.as_str()),
                ("nonce", &nonce),
                ("signature", &signature),
            ],
        )
        .await;
    assert_error(status, &body, 404, "not_found");
}

async fn delete_frees_space_and_missing_key_is_not_found(backend: Backend) {
    let server = TestServer::start(backend).await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    let nonce = server.nonce(&owner).await;
    assert_eq!(server.put(&owner, "gone", "soon", &nonce).await.0, 201);
    assert_eq!(server.bytes_free(&owner).await, vec![1_048_576 - 8]);
    let delete = |key: &str| {
        let signature = owner.sign(&format!("{key}{}{nonce}", owner.address));
        vec![
            ("key", key.to_owned()),
            ("address", owner.address.as_str().to_owned()),
            ("nonce", nonce.clone()),
            ("signature", signature),
        ]
    };
    let form = delete("gone");
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, body) = server.post_form("/delete", &form).await;
    assert_eq!(
        (status, body),
        (200, json!({"result": "success", "status": "success"}))
    );
    assert_eq!(server.bytes_free(&owner).await, vec![1_048_576]);
    let (status, body) = server.get_query("/get", &[("key", "gone")]).await;
    assert_eq!(
        (status, body),
        (
            404,
            json!({"result": "error", "error": "Key not found.", "code": "not_found"})
        )
    );
    let form = delete("never");
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, body) = server.post_form("/delete", &form).await;
    assert_error(status, &body, 404, "not_found");
}

async fn claimed_delegate_cannot_write(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (owner, delegate) = (p2pkh(), p2pkh());
    // Unsigned /request names the delegate: claimed, not proven.
    let (status, _) = server
        .get_query(
            "/request",
            &[
                ("owner", owner.address.as_str()),
                ("delegate", delegate.address.as_str()),
                ("contact", "c"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    let nonce = server.nonce(&owner).await;
    let body = rein_put_json(&owner, &delegate, "k", "v", &nonce);
    let (status, body) = server.post_json("/put", &body).await;
    assert_error(status, &body, 403, "not_authorized");
    let (status, _) = server.get_query("/get", &[("key", "k")]).await;
    assert_eq!(status, 404);
}

async fn signed_request_proves_delegate(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (owner, delegate) = (p2pkh(), signer(AddressKind::P2wpkh));
    let (o, d, c) = (
        owner.address.as_str(),
        delegate.address.as_str(),
        "me@example.org",
    );
    let signature = owner.sign(&format!("{o}{d}{c}"));
    let (status, body) = server
        .get_query(
            "/request",
            &[
                ("owner", o),
                ("delegate", d),
                ("contact", c),
                ("signature", &signature),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"], "success");
    let nonce = server.nonce(&owner).await;
    let body = rein_put_json(&owner, &delegate, "k", "v", &nonce);
    let (status, body) = server.post_json("/put", &body).await;
    assert_eq!(status, 201, "{body}");
    // A forged registration signature is refused outright.
    let (status, body) = server
        .get_query(
            "/request",
            &[
                ("owner", o),
                ("delegate", d),
                ("contact", "other"),
                ("signature", &signature),
            ],
        )
        .await;
    assert_error(status, &body, 401, "bad_signature");
}

/// An enrollment as the Rein client lays it out, signed by the owner.
fn enrollment(owner: &causeway::auth::Signer, delegate: &causeway::auth::Signer) -> String {
    let body = format!(
        "Rein User Enrollment\nUser: Test User\nContact: test@example.org\nMaster signing address: {}\nDelegate signing address: {}\nWilling to mediate: False",
        owner.address, delegate.address
    );
    format!(
        "-----BEGIN BITCOIN SIGNED MESSAGE-----\n{body}\n-----BEGIN SIGNATURE-----\n{}\n{}\n-----END BITCOIN SIGNED MESSAGE-----\n",
        owner.address,
        owner.sign(&body)
    )
}

async fn enrollment_value_proves_its_delegate(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (owner, delegate) = (p2pkh(), p2pkh());
    server.enroll(&owner).await;
    let nonce = server.nonce(&owner).await;
    // A value that merely claims the delegate (forged signature) proves nothing.
    let forged = enrollment(&owner, &delegate).replace("Test User", "Mallory");
    let (status, body) = server
        .post_json(
            "/put",
            &rein_put_json(&owner, &delegate, "enroll", &forged, &nonce),
        )
        .await;
    assert_error(status, &body, 403, "not_authorized");
    let text = enrollment(&owner, &delegate);
    let (status, body) = server
        .post_json(
            "/put",
            &rein_put_json(&owner, &delegate, "enroll", &text, &nonce),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (_, body) = server.get_query("/get", &[("key", "enroll")]).await;
    assert_eq!(body["value"], text);
}

async fn stored_enrollment_proves_delegate(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (owner, delegate, other) = (p2pkh(), p2pkh(), p2pkh());
    server.enroll(&owner).await;
    let nonce = server.nonce(&owner).await;
    let (status, _) = server
        .put(&owner, "enroll", &enrollment(&owner, &delegate), &nonce)
        .await;
    assert_eq!(status, 201);
    let (status, body) = server
        .post_json(
            "/put",
            &rein_put_json(&owner, &delegate, "job", "a job", &nonce),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = server
        .post_json(
            "/put",
            &rein_put_json(&owner, &other, "job2", "a job", &nonce),
        )
        .await;
    assert_error(status, &body, 403, "not_authorized");
    // The delegate may delete for the owner, naming the owner.
    let signature = delegate.sign(&format!("job{}{nonce}", delegate.address));
    let (status, body) = server
        .post_form(
            "/delete",
            &[
                ("key", "job"),
                ("address", delegate.address.as_str()),
                ("owner", owner.address.as_str()),
                ("nonce", &nonce),
                ("signature", &signature),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

async fn bandwidth_exhausted_keeps_data(backend: Backend) {
    let server = TestServer::with(backend, |c| c.bucket_transfer_bytes = 100).await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    let nonce = server.nonce(&owner).await;
    let value = "z".repeat(40);
    assert_eq!(server.put(&owner, "k", &value, &nonce).await.0, 201);
    for _ in 0..2 {
        let (status, _) = server.get_query("/get", &[("key", "k")]).await;
        assert_eq!(status, 200);
    }
    let (status, body) = server.get_query("/get", &[("key", "k")]).await;
    assert_error(status, &body, 402, "bandwidth_exhausted");
    assert_eq!(body["price_sats"], 10_000);
    // The pair is kept: its owner still holds the key and its bytes.
    assert_eq!(server.bytes_free(&owner).await, vec![1_048_576 - 41]);
    let (status, body) = server
        .put(&owner, "k", &value, &server.nonce(&owner).await)
        .await;
    assert!(status == 201 || body["code"] == "replayed", "{body}");
}

async fn etag_answers_304_without_charging(backend: Backend) {
    let server = TestServer::with(backend, |c| c.bucket_transfer_bytes = 10).await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    let nonce = server.nonce(&owner).await;
    assert_eq!(server.put(&owner, "k", "0123456789", &nonce).await.0, 201);
    let url = format!("{}/get?key=k", server.base);
    let first = server.http.get(&url).send().await.unwrap();
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    for _ in 0..3 {
        let again = server
            .http
            .get(&url)
            .header("If-None-Match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304);
        assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
    }
    // The allowance (10 bytes) went to the first read only; a full read is now refused.
    let (status, body) = server.get_query("/get", &[("key", "k")]).await;
    assert_error(status, &body, 402, "bandwidth_exhausted");
}

async fn head_is_answered_like_get_and_never_charged(backend: Backend) {
    // Room for two reads of the 40-byte value.
    let server = TestServer::with(backend, |c| c.bucket_transfer_bytes = 100).await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    let nonce = server.nonce(&owner).await;
    let value = "v".repeat(40);
    assert_eq!(server.put(&owner, "k", &value, &nonce).await.0, 201);
    let url = format!("{}/get?key=k", server.base);
    // A stranger's HEADs, however many, drain nothing.
    for _ in 0..20 {
        let head = server.http.head(&url).send().await.unwrap();
        assert_eq!(head.status(), 200);
        assert!(head.headers().contains_key("etag"));
        assert!(head.bytes().await.unwrap().is_empty(), "HEAD has no body");
    }
    for _ in 0..2 {
        let (status, body) = server.get_query("/get", &[("key", "k")]).await;
        assert_eq!(
            (status, body["value"].as_str()),
            (200, Some(value.as_str()))
        );
    }
    // The allowance is spent by the two GETs: GET and HEAD now answer 402 alike.
    let (status, body) = server.get_query("/get", &[("key", "k")]).await;
    assert_error(status, &body, 402, "bandwidth_exhausted");
    let head = server.http.head(&url).send().await.unwrap();
    assert_eq!(head.status(), 402);
    // A missing key is a 404 for HEAD too.
    let missing = server
        .http
        .head(format!("{}/get?key=nothing", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

async fn form_bodies_that_are_not_utf8_are_refused_and_nothing_is_stored(backend: Backend) {
    let server = TestServer::start(backend).await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    let nonce = server.nonce(&owner).await;
    // Signed over the value as the form parser would have read it (U+FFFD for %FF), so
    // only the strict decoding stands between this request and a silently changed value.
    let address = owner.address.as_str();
    let signature = owner.sign(&format!("bad\u{fffd}{address}{nonce}"));
    let body = format!(
        "key=bad&value=%FF&address={address}&nonce={nonce}&signature={}",
        signature
            .replace('+', "%2B")
            .replace('/', "%2F")
            .replace('=', "%3D")
    );
    let response = server
        .http
        .post(format!("{}/put", server.base))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let answer: serde_json::Value = response.json().await.unwrap();
    assert_error(status, &answer, 400, "bad_request");
    let (status, body) = server.get_query("/get", &[("key", "bad")]).await;
    assert_error(status, &body, 404, "not_found");
    // The same nonce still signs a well-formed request: the refusal cost the client nothing.
    assert_eq!(server.put(&owner, "good", "caf\u{e9}", &nonce).await.0, 201);
}

async fn capacity_is_never_oversold_to_concurrent_strangers(backend: Backend) {
    // Room for three buckets.
    let server = TestServer::with(backend, |c| c.capacity_bytes = 3 * c.bucket_bytes).await;
    let strangers: Vec<_> = (0..12).map(|_| p2pkh()).collect();
    let server = &server;
    let requests = strangers.iter().map(|s| async move {
        server
            .get_query(
                "/request",
                &[("owner", s.address.as_str()), ("contact", "x@example.org")],
            )
            .await
    });
    let answers = join_all(requests).await;
    let granted = answers
        .iter()
        .filter(|(status, body)| *status == 200 && body["result"] == "success")
        .count();
    assert_eq!(granted, 3, "{answers:?}");
    for (status, body) in answers.iter().filter(|(status, _)| *status != 200) {
        assert_error(*status, body, 507, "server_full");
    }
    // Nor is a bucket sold once the capacity is taken.
    let (status, body) = server
        .get_query("/buy", &[("address", strangers[0].address.as_str())])
        .await;
    assert_error(status, &body, 507, "server_full");
}

async fn free_buckets_stop_at_the_limit(backend: Backend) {
    let server = TestServer::with(backend, |c| c.free_buckets = 4).await;
    let owner = p2pkh();
    for granted in 1..=4 {
        let body = server.enroll(&owner).await;
        assert_eq!(body["result"], "success");
        let buckets = body["buckets"].as_array().unwrap();
        assert_eq!(buckets.len(), granted);
        let bucket = &buckets[granted - 1];
        assert_eq!(bucket["status"], "active");
        assert_eq!(bucket["bytes_free"], 1_048_576);
        assert_eq!(bucket["transfer_free"], 52_428_800);
        let created = bucket["created"].as_str().unwrap();
        assert_eq!(created.len(), 19, "%Y-%m-%d %H:%M:%S: {created}");
        assert_eq!(&created[10..11], " ");
    }
    let body = server.enroll(&owner).await;
    assert_eq!(body["result"], "error");
    assert_eq!(body["message"], "Maximum free buckets granted");
    assert_eq!(body["buckets"].as_array().unwrap().len(), 4);
}

async fn wrong_signature_nonce_and_signer_are_refused(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (owner, mallory) = (p2pkh(), p2pkh());
    server.enroll(&owner).await;
    let nonce = server.nonce(&owner).await;
    // Signed by someone else over the owner's request.
    let mut form = put_form(&owner, "k", "v", &nonce);
    form[4].1 = mallory.sign(&format!("kv{}{nonce}", owner.address));
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, body) = server.post_form("/put", &form).await;
    assert_error(status, &body, 401, "bad_signature");
    // A well-formed nonce that was never issued.
    let (status, body) = server.put(&owner, "k", "v", &"0".repeat(32)).await;
    assert_error(status, &body, 401, "bad_nonce");
    // An account that does not exist.
    let (status, body) = server.put(&mallory, "k", "v", &nonce).await;
    assert_error(status, &body, 403, "unknown_account");
}

async fn hostile_input_gets_clear_4xx(backend: Backend) {
    let server = TestServer::start(backend).await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    let nonce = server.nonce(&owner).await;
    let addr = owner.address.as_str();
    let sig = owner.sign("x");
    let cases: Vec<(Vec<(&str, String)>, &str)> = vec![
        (vec![], "nothing"),
        (
            put_form(&owner, &"k".repeat(65), "v", &nonce),
            "key too long",
        ),
        (put_form(&owner, "", "v", &nonce), "empty key"),
        (put_form(&owner, "a\u{0}b", "v", &nonce), "NUL in key"),
        (put_form(&owner, "k\n", "v", &nonce), "newline in key"),
        (put_form(&owner, "ключ", "v", &nonce), "non-ASCII key"),
        (
            put_form(&owner, "k", &"v".repeat(8193), &nonce),
            "value too large",
        ),
        (
            vec![
                ("key", "k".into()),
                ("value", "v".into()),
                ("address", "1BadAddress".into()),
                ("nonce", nonce.clone()),
                ("signature", sig.clone()),
            ],
            "bad address",
        ),
        (
            vec![
                ("key", "k".into()),
                ("value", "v".into()),
                ("address", "bc1plznnh4k4".into()),
                ("nonce", nonce.clone()),
                ("signature", sig.clone()),
            ],
            "taproot-ish address",
        ),
        (
            vec![
                ("key", "k".into()),
                ("value", "v".into()),
                ("address", addr.into()),
                ("nonce", nonce.clone()),
                ("signature", "not base64!".into()),
            ],
            "bad base64",
        ),
        (
            vec![
                ("key", "k".into()),
                ("value", "v".into()),
                ("address", addr.into()),
                ("nonce", nonce.clone()),
                ("signature", "AAAA".into()),
            ],
            "short signature",
        ),
        (
            vec![
                ("key", "k".into()),
                ("value", "v".into()),
                ("address", addr.into()),
                ("nonce", "'; DROP TABLE pairs; --".into()),
                ("signature", sig.clone()),
            ],
            "SQL in nonce",
        ),
        (
            vec![
                ("key", "k".into()),
                ("value", "v".into()),
                ("address", addr.into()),
                ("nonce", "9".repeat(400)),
                ("signature", sig.clone()),
            ],
            "huge nonce",
        ),
        (
            vec![
                ("key", "k".into()),
                ("value", "v".into()),
                ("address", addr.into()),
                ("nonce", nonce.clone()),
                ("signature", "A".repeat(10_000)),
            ],
            "huge signature",
        ),
    ];
    for (form, what) in cases {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, body) = server.post_form("/put", &form).await;
        assert_error(status, &body, 400, "bad_request");
        assert!(!body["error"].as_str().unwrap().is_empty(), "{what}");
    }
    // Keys with SQL and LIKE metacharacters are just keys.
    for key in ["%", "_", "\\", "' OR '1'='1", "a%_\\'\""] {
        let (status, body) = server.put(&owner, key, "meta", &nonce).await;
        assert_eq!(status, 201, "{key}: {body}");
        let (status, body) = server.get_query("/get", &[("key", key)]).await;
        assert_eq!((status, &body["value"]), (200, &json!("meta")), "{key}");
    }
    let (status, body) = server.get_query("/get", &[("key", "%_")]).await;
    assert_error(status, &body, 404, "not_found");
    // Invalid UTF-8, malformed JSON, wrong types, wrong content type, oversize body.
    let raw = |body: Vec<u8>, content_type: &'static str| {
        let request = server
            .http
            .post(format!("{}/put", server.base))
            .header("content-type", content_type)
            .body(body);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<serde_json::Value>().await.unwrap())
        }
    };
    for (body, content_type) in [
        (
            b"key=%FF%FE&value=\xff".to_vec(),
            "application/x-www-form-urlencoded",
        ),
        (b"{\"key\": 5}".to_vec(), "application/json"),
        (
            b"{\"key\": \"k\", \"value\": \"\xff\"}".to_vec(),
            "application/json",
        ),
        (b"{not json".to_vec(), "application/json"),
        (b"key=k".to_vec(), "text/plain"),
        (vec![b'a'; 70_000], "application/x-www-form-urlencoded"),
    ] {
        let (status, body) = raw(body, content_type).await;
        assert!((400..500).contains(&status), "{status} {body}");
        assert_eq!(body["result"], "error", "{body}");
        assert!(body["code"].is_string(), "{body}");
    }
    let (status, body) = server.get("/get").await;
    assert_error(status, &body, 400, "bad_request");
    let (status, body) = server.get("/no/such/path").await;
    assert_error(status, &body, 404, "not_found");
    let (status, body) = server
        .get_query("/nonce", &[("address", "bc1q38za0wdyplaceholder")])
        .await;
    assert_error(status, &body, 400, "bad_request");
}

async fn value_with_nul_and_unicode_round_trips(backend: Backend) {
    let server = TestServer::start(backend).await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    let nonce = server.nonce(&owner).await;
    let value = "nul:\u{0} crlf:\r\n emoji:🦀 é ' % _ \\";
    let (status, body) = server.put(&owner, "odd", value, &nonce).await;
    assert_eq!(status, 201, "{body}");
    let (_, body) = server.get_query("/get", &[("key", "odd")]).await;
    assert_eq!(body["value"], value);
    // Charged by UTF-8 bytes, key included.
    assert_eq!(
        server.bytes_free(&owner).await,
        vec![1_048_576 - 3 - value.len() as i64]
    );
}

async fn service_information_endpoints_answer(backend: Backend) {
    let server = TestServer::with(backend, |c| {
        c.price_sats = 1234;
        // Room for exactly the one free bucket the owner gets (API.md v1.1: capacity is
        // enforced, so it must hold at least that).
        c.capacity_bytes = c.bucket_bytes;
    })
    .await;
    let (status, body) = server.get("/price").await;
    assert_eq!((status, body), (200, json!({"price": 1234})));
    for path in ["/", "/help"] {
        let (status, body) = server.get(path).await;
        assert_eq!(status, 200);
        assert_eq!(body["name"], "causeway");
        assert_eq!(body["price"], 1234);
        let paths: Vec<&str> = body["endpoints"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["path"].as_str().unwrap())
            .collect();
        for needed in [
            "/put", "/get", "/delete", "/nonce", "/request", "/price", "/status",
        ] {
            assert!(paths.contains(&needed), "{needed} missing from {path}");
        }
    }
    let (status, body) = server.get("/info").await;
    assert_eq!(status, 200);
    assert!(body.as_array().unwrap().contains(&json!("/price")));
    let owner = p2pkh();
    server.enroll(&owner).await;
    let nonce = server.nonce(&owner).await;
    assert_eq!(server.put(&owner, "k", "1234", &nonce).await.0, 201);
    let (status, body) = server.get("/status").await;
    assert_eq!(status, 200);
    assert_eq!(body["stored"], 5);
    assert_eq!(body["free"], 1_048_576 - 5);
    assert_eq!(body["price"], 1234);
    assert!(body["uptime"].is_u64());
    let (status, body) = server.get("/openapi.json").await;
    assert_eq!(status, 200);
    assert!(body["paths"]["/put"].is_object());
    let docs = server
        .http
        .get(format!("{}/docs", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(docs.status(), 200);
}

async fn signed_request(
    server: &TestServer,
    owner: &causeway::auth::Signer,
    delegate: &causeway::auth::Signer,
) -> (String, (u16, serde_json::Value)) {
    let (o, d, c) = (
        owner.address.as_str(),
        delegate.address.as_str(),
        "me@example.org",
    );
    let signature = owner.sign(&format!("{o}{d}{c}"));
    let answer = replay_request(server, owner, delegate, &signature).await;
    (signature, answer)
}

async fn replay_request(
    server: &TestServer,
    owner: &causeway::auth::Signer,
    delegate: &causeway::auth::Signer,
    signature: &str,
) -> (u16, serde_json::Value) {
    server
        .get_query(
            "/request",
            &[
                ("owner", owner.address.as_str()),
                ("delegate", delegate.address.as_str()),
                ("contact", "me@example.org"),
                ("signature", signature),
            ],
        )
        .await
}

async fn delegate_put(
    server: &TestServer,
    owner: &causeway::auth::Signer,
    delegate: &causeway::auth::Signer,
    key: &str,
    value: &str,
) -> (u16, serde_json::Value) {
    let nonce = server.nonce(owner).await;
    let body = rein_put_json(owner, delegate, key, value, &nonce);
    server.post_json("/put", &body).await
}

async fn a_later_proof_revokes_the_earlier_delegate_and_a_replay_never_restores_it(
    backend: Backend,
) {
    let server = TestServer::start(backend).await;
    let (owner, first, second) = (p2pkh(), p2pkh(), p2pkh());
    let (old_signature, (status, _)) = signed_request(&server, &owner, &first).await;
    assert_eq!(status, 200);
    assert_eq!(delegate_put(&server, &owner, &first, "a", "v").await.0, 201);
    // The owner names another delegate: the first is revoked at once.
    let (_, (status, _)) = signed_request(&server, &owner, &second).await;
    assert_eq!(status, 200);
    let (status, body) = delegate_put(&server, &owner, &first, "b", "v").await;
    assert_error(status, &body, 403, "not_authorized");
    assert_eq!(
        delegate_put(&server, &owner, &second, "b", "v").await.0,
        201
    );
    // The revoked delegate (or anyone holding the old signed /request) replays it: the
    // answer is the usual one, and nothing changes.
    let (status, _) = replay_request(&server, &owner, &first, &old_signature).await;
    assert_eq!(status, 200);
    let (status, body) = delegate_put(&server, &owner, &first, "c", "v").await;
    assert_error(status, &body, 403, "not_authorized");
    assert_eq!(
        delegate_put(&server, &owner, &second, "c", "v").await.0,
        201
    );
}

async fn a_superseded_enrollment_never_proves_again(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (owner, first, second) = (p2pkh(), p2pkh(), p2pkh());
    server.enroll(&owner).await;
    // The Rein client's flow: the delegate puts the owner-signed enrollment first.
    let old_enrollment = enrollment(&owner, &first);
    let (status, body) = delegate_put(&server, &owner, &first, "enroll", &old_enrollment).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        delegate_put(&server, &owner, &first, "job", "v").await.0,
        201
    );
    // A newer proof names another delegate.
    let (_, (status, _)) = signed_request(&server, &owner, &second).await;
    assert_eq!(status, 200);
    // The old enrollment, put again under any key or re-wrapped, proves nothing now.
    for (key, value) in [
        ("enroll-again", old_enrollment.clone()),
        ("enroll-padded", format!("\n{old_enrollment}\n\n")),
        ("enroll-crlf", old_enrollment.replace('\n', "\r\n")),
    ] {
        let (status, body) = delegate_put(&server, &owner, &first, key, &value).await;
        assert_error(status, &body, 403, "not_authorized");
    }
    let (status, body) = delegate_put(&server, &owner, &first, "job2", "v").await;
    assert_error(status, &body, 403, "not_authorized");
    // The owner may store its old enrollment again; that restores nobody.
    let nonce = server.nonce(&owner).await;
    assert_eq!(
        server
            .put(&owner, "enroll", &old_enrollment, &nonce)
            .await
            .0,
        201
    );
    let (status, body) = delegate_put(&server, &owner, &first, "job3", "v").await;
    assert_error(status, &body, 403, "not_authorized");
    assert_eq!(
        delegate_put(&server, &owner, &second, "job3", "v").await.0,
        201
    );
}
