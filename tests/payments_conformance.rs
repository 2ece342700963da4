//! Paying for hosting (API.md "Accounts, buckets and payment"), on both backends.

mod common;

use causeway::auth::AddressKind;
use common::{assert_error, p2pkh, signer, Backend, TestServer};
use futures::future::join_all;
use serde_json::{json, Value};

/// BIP-32 test vector 1, chain m/0H: its child 1 is m/0H/1.
const XPUB_M_0H: &str = "xpub68Gmy5EdvgibQVfPdqkBBCHxA5htiqg55crXYuXoQRKfDBFA1WEjWgP6LHhwBZeNK1VTsfTFUHCdrfp1bgwQ9xv5ski8PX9rL2dZXvgGDnw";
const PRICE: i64 = 10_000;

conformance!(
    deposit_address_needs_a_configured_key,
    deposit_addresses_are_xpub_children_at_dense_indexes,
    concurrent_first_askers_get_indexes_without_gaps_or_repeats,
    balance_needs_the_accounts_signed_nonce,
    unsigned_purchase_is_pending_until_deposits_cover_it,
    signed_and_funded_purchase_is_active_at_once,
    pending_buckets_are_paid_oldest_first,
    concurrent_purchases_never_overdraw,
    debits_never_take_a_balance_below_zero,
    rein_shaped_purchase_names_owner_and_delegate,
    bad_input_to_payment_endpoints_gets_the_contract_errors,
    a_strangers_unsigned_buys_leave_one_pending_bucket,
    a_strangers_unsigned_requests_never_change_the_contact,
    a_replayed_registration_never_undoes_a_later_contact_change,
);

async fn paid_server(backend: Backend) -> TestServer {
    TestServer::with(backend, |c| {
        c.deposit_xpub = Some(XPUB_M_0H.into());
        c.price_sats = PRICE;
    })
    .await
}

fn statuses(body: &Value) -> Vec<String> {
    body["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["status"].as_str().unwrap().to_owned())
        .collect()
}

async fn credit(server: &TestServer, owner: &causeway::auth::Signer, sats: i64) -> i64 {
    server
        .service
        .credit(&owner.address, sats, "test deposit")
        .await
        .expect("credit")
}

async fn signed_buy(
    server: &TestServer,
    owner: &causeway::auth::Signer,
    contact: &str,
) -> (u16, Value) {
    let nonce = server.nonce(owner).await;
    let signature = owner.sign(&format!("{}{contact}{nonce}", owner.address));
    server
        .get_query(
            "/buy",
            &[
                ("address", owner.address.as_str()),
                ("contact", contact),
                ("nonce", &nonce),
                ("signature", &signature),
            ],
        )
        .await
}

async fn balance(server: &TestServer, owner: &causeway::auth::Signer) -> i64 {
    let nonce = server.nonce(owner).await;
    // A fresh nonce per read: the same signed balance request is accepted once.
    let (status, body) = server
        .get_query(
            "/balance",
            &[
                ("address", owner.address.as_str()),
                ("nonce", &nonce),
                (
                    "signature",
                    &owner.sign(&format!("{}{nonce}", owner.address)),
                ),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let _ = server
        .get_query(
            "/nonce",
            &[("address", owner.address.as_str()), ("clear", &nonce)],
        )
        .await;
    body["balance"].as_i64().unwrap()
}

async fn deposit_address_needs_a_configured_key(backend: Backend) {
    let server = TestServer::start(backend).await;
    let owner = p2pkh();
    let contact = "me@example.org";
    let signature = owner.sign(&format!("{contact}{}", owner.address));
    let (status, body) = server
        .get_query(
            "/address",
            &[
                ("contact", contact),
                ("address", owner.address.as_str()),
                ("signature", &signature),
            ],
        )
        .await;
    assert_error(status, &body, 501, "payments_disabled");
}

/// Registers `signer` with `/address` and returns its deposit address.
async fn deposit_address_of(server: &TestServer, signer: &causeway::auth::Signer) -> String {
    let contact = "first@example.org";
    let signature = signer.sign(&format!("{contact}{}", signer.address));
    let query = [
        ("contact", contact),
        ("address", signer.address.as_str()),
        ("signature", signature.as_str()),
    ];
    let (status, body) = server.get_query("/address", &query).await;
    assert_eq!(status, 200, "{body}");
    body["address"].as_str().unwrap().to_owned()
}

async fn concurrent_first_askers_get_indexes_without_gaps_or_repeats(backend: Backend) {
    use causeway::chain::deposit::{DepositKeys, DepositKind, DepositNet};
    let server = paid_server(backend).await;
    let signers: Vec<_> = (0..12).map(|_| p2pkh()).collect();
    let handed: std::collections::BTreeSet<String> =
        join_all(signers.iter().map(|s| deposit_address_of(&server, s)))
            .await
            .into_iter()
            .collect();
    let keys = DepositKeys::new(XPUB_M_0H, DepositKind::P2wpkh, DepositNet::Mainnet).unwrap();
    let dense: std::collections::BTreeSet<String> =
        (0..12).map(|i| keys.address_at(i).unwrap()).collect();
    assert_eq!(
        handed, dense,
        "twelve askers get exactly the children 0..12"
    );
}

async fn deposit_addresses_are_xpub_children_at_dense_indexes(backend: Backend) {
    for (kind, expected) in [
        ("p2wpkh", "bc1qhm6697d9d2224vfyt8mj4kw03ncec7a7fdafvt"),
        ("p2pkh", "1JQheacLPdM5ySCkrZkV66G2ApAXe1mqLj"),
    ] {
        let server = TestServer::with(backend, |c| {
            c.deposit_xpub = Some(XPUB_M_0H.into());
            c.deposit_address_type = kind.into();
        })
        .await;
        // The first asker gets index 0 (m/0H/0), not the vector's m/0H/1.
        let first = deposit_address_of(&server, &signer(AddressKind::P2pkh)).await;
        assert_ne!(first, expected, "{kind}");
        // Accounts that never ask (here one made by /request) take no index: the next
        // asker's is 1, the vector's m/0H/1, though its account id is 3.
        server.enroll(&p2pkh()).await;
        let owner = signer(AddressKind::P2wpkh);
        let contact = "me@example.org";
        let published = owner.sign(&format!("{contact}{}", owner.address));
        let query = [
            ("contact", contact),
            ("address", owner.address.as_str()),
            ("signature", published.as_str()),
        ];
        let (status, body) = server.get_query("/address", &query).await;
        assert_eq!(
            (status, body),
            (200, json!({"address": expected})),
            "{kind}"
        );
        // The older comma form is accepted too, and the address stays the same.
        let older = owner.sign(&format!("{contact},{}", owner.address));
        let query = [
            ("contact", contact),
            ("address", owner.address.as_str()),
            ("signature", older.as_str()),
        ];
        let (status, body) = server.get_query("/address", &query).await;
        assert_eq!((status, body), (200, json!({"address": expected})));
        // A signature over another contact is refused.
        let query = [
            ("contact", "other"),
            ("address", owner.address.as_str()),
            ("signature", published.as_str()),
        ];
        let (status, body) = server.get_query("/address", &query).await;
        assert_error(status, &body, 401, "bad_signature");
    }
}

async fn balance_needs_the_accounts_signed_nonce(backend: Backend) {
    let server = paid_server(backend).await;
    let (owner, other) = (p2pkh(), p2pkh());
    server.enroll(&owner).await;
    assert_eq!(balance(&server, &owner).await, 0);
    assert_eq!(credit(&server, &owner, 25_000).await, 25_000);
    assert_eq!(balance(&server, &owner).await, 25_000);
    let nonce = server.nonce(&owner).await;
    let query = [
        ("address", owner.address.as_str().to_owned()),
        ("nonce", nonce.clone()),
        (
            "signature",
            owner.sign(&format!("{}{nonce}", owner.address)),
        ),
    ];
    assert_eq!(
        server
            .get_query("/balance", &query.each_ref().map(|(k, v)| (*k, v.as_str())))
            .await
            .0,
        200
    );
    let (status, body) = server
        .get_query("/balance", &query.each_ref().map(|(k, v)| (*k, v.as_str())))
        .await;
    assert_error(status, &body, 401, "replayed");
    let forged = other.sign(&format!("{}{nonce}", owner.address));
    let (status, body) = server
        .get_query(
            "/balance",
            &[
                ("address", owner.address.as_str()),
                ("nonce", &nonce),
                ("signature", &forged),
            ],
        )
        .await;
    assert_error(status, &body, 401, "bad_signature");
}

async fn unsigned_purchase_is_pending_until_deposits_cover_it(backend: Backend) {
    let server = paid_server(backend).await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    let (status, body) = server
        .get_query(
            "/buy",
            &[
                ("address", owner.address.as_str()),
                ("contact", "me@example.org"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"], "success");
    assert_eq!(body["price"], "0.00010000");
    assert_eq!(body["price_sats"], PRICE);
    assert!(
        body["address"].as_str().unwrap().starts_with("bc1q"),
        "{body}"
    );
    assert_eq!(statuses(&body), ["active", "pending"]);
    // Not enough yet: still pending.
    assert_eq!(credit(&server, &owner, PRICE - 1).await, PRICE - 1);
    let (_, body) = server
        .get_query("/request", &[("owner", owner.address.as_str())])
        .await;
    assert_eq!(statuses(&body), ["active", "pending"]);
    // The deposit that covers it pays it.
    assert_eq!(credit(&server, &owner, 1).await, 0);
    let (_, body) = server
        .get_query("/request", &[("owner", owner.address.as_str())])
        .await;
    assert_eq!(statuses(&body), ["active", "active"]);
    let entries = server.service_ledger(&owner).await;
    assert_eq!(entries, vec![PRICE - 1, 1, -PRICE]);
}

async fn signed_and_funded_purchase_is_active_at_once(backend: Backend) {
    let server = paid_server(backend).await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    // Signed but not funded: pending.
    let (status, body) = signed_buy(&server, &owner, "a").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(statuses(&body), ["active", "pending"]);
    // Funding pays the pending one; the next signed purchase is paid at once.
    credit(&server, &owner, 2 * PRICE).await;
    let (status, body) = signed_buy(&server, &owner, "b").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(statuses(&body), ["active", "active", "active"]);
    assert_eq!(balance(&server, &owner).await, 0);
    // A forged signature buys nothing.
    let nonce = server.nonce(&owner).await;
    let forged = p2pkh().sign(&format!("{}c{nonce}", owner.address));
    let (status, body) = server
        .get_query(
            "/buy",
            &[
                ("address", owner.address.as_str()),
                ("contact", "c"),
                ("nonce", &nonce),
                ("signature", &forged),
            ],
        )
        .await;
    assert_error(status, &body, 401, "bad_signature");
    let (_, body) = server
        .get_query("/request", &[("owner", owner.address.as_str())])
        .await;
    assert_eq!(statuses(&body).len(), 3);
}

async fn pending_buckets_are_paid_oldest_first(backend: Backend) {
    let server = paid_server(backend).await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    // Signed purchases the balance can not cover yet each wait, pending (API.md v1.1: only
    // a signed /buy adds more than one).
    for _ in 0..3 {
        let (status, _) = signed_buy(&server, &owner, "test@example.org").await;
        assert_eq!(status, 200);
    }
    credit(&server, &owner, PRICE * 5 / 2).await;
    let (_, body) = server
        .get_query("/request", &[("owner", owner.address.as_str())])
        .await;
    assert_eq!(statuses(&body), ["active", "active", "active", "pending"]);
    assert_eq!(balance(&server, &owner).await, PRICE / 2);
    credit(&server, &owner, PRICE / 2).await;
    let (_, body) = server
        .get_query("/request", &[("owner", owner.address.as_str())])
        .await;
    assert_eq!(statuses(&body), ["active", "active", "active", "active"]);
    assert_eq!(balance(&server, &owner).await, 0);
}

async fn concurrent_purchases_never_overdraw(backend: Backend) {
    let server = paid_server(backend).await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    credit(&server, &owner, 3 * PRICE).await;
    let nonce = server.nonce(&owner).await;
    let queries: Vec<Vec<(&str, String)>> = (0..10)
        .map(|i| {
            let contact = format!("c{i}");
            let signature = owner.sign(&format!("{}{contact}{nonce}", owner.address));
            vec![
                ("address", owner.address.as_str().to_owned()),
                ("contact", contact),
                ("nonce", nonce.clone()),
                ("signature", signature),
            ]
        })
        .collect();
    let results = join_all(queries.iter().map(|q| {
        let q: Vec<(&str, &str)> = q.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let server = &server;
        async move { server.get_query("/buy", &q).await }
    }))
    .await;
    assert!(results.iter().all(|(s, _)| *s == 200), "{results:?}");
    let (_, body) = server
        .get_query("/request", &[("owner", owner.address.as_str())])
        .await;
    let statuses = statuses(&body);
    // The free bucket plus exactly three paid ones are active; seven wait for money.
    assert_eq!(
        statuses.iter().filter(|s| *s == "active").count(),
        4,
        "{statuses:?}"
    );
    assert_eq!(statuses.iter().filter(|s| *s == "pending").count(), 7);
    assert_eq!(balance(&server, &owner).await, 0);
    let ledger = server.service_ledger(&owner).await;
    assert_eq!(ledger.iter().sum::<i64>(), 0);
    if let Some(real) = &server.real {
        let row = real
            .sql()
            .await
            .query_one("SELECT min(balance_after), (SELECT sum(delta_sats) FROM ledger)::BIGINT FROM ledger", &[])
            .await
            .unwrap();
        assert!(row.get::<_, i64>(0) >= 0);
        assert_eq!(row.get::<_, i64>(1), 0);
    }
}

async fn debits_never_take_a_balance_below_zero(backend: Backend) {
    let server = paid_server(backend).await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    credit(&server, &owner, 500).await;
    let refused = server.service.credit(&owner.address, -501, "refund").await;
    assert!(
        matches!(
            refused,
            Err(causeway::service::ServiceError::InsufficientFunds { balance: 500 })
        ),
        "{refused:?}"
    );
    assert_eq!(credit(&server, &owner, -500).await, 0);
    assert_eq!(server.service_ledger(&owner).await, vec![500, -500]);
    let unknown = server.service.credit(&p2pkh().address, 1, "x").await;
    assert!(matches!(
        unknown,
        Err(causeway::service::ServiceError::UnknownAccount)
    ));
}

async fn rein_shaped_purchase_names_owner_and_delegate(backend: Backend) {
    let server = paid_server(backend).await;
    let (owner, delegate) = (p2pkh(), p2pkh());
    let (status, body) = server
        .get_query(
            "/buy",
            &[
                ("owner", owner.address.as_str()),
                ("delegate", delegate.address.as_str()),
                ("contact", "c"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(statuses(&body), ["pending"]);
    assert_eq!(body["price"], "0.00010000");
    let (status, body) = server
        .get_query("/buy", &[("delegate", delegate.address.as_str())])
        .await;
    assert_error(status, &body, 400, "bad_request");
    let (status, body) = server.get_query("/buy", &[("address", "nope")]).await;
    assert_error(status, &body, 400, "bad_request");
    let (status, body) = server
        .get_query(
            "/buy",
            &[("address", owner.address.as_str()), ("nonce", "0")],
        )
        .await;
    assert_error(status, &body, 400, "bad_request");
}

async fn bad_input_to_payment_endpoints_gets_the_contract_errors(backend: Backend) {
    let server = paid_server(backend).await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    let addr = owner.address.as_str();
    let sig = owner.sign("x");
    let nonce = server.nonce(&owner).await;
    let long_contact = "c".repeat(10_000);
    let bad: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("/address", vec![]),
        (
            "/address",
            vec![
                ("contact", "c"),
                ("address", "1NotAnAddress"),
                ("signature", &sig),
            ],
        ),
        (
            "/address",
            vec![("contact", "c"), ("address", addr), ("signature", "%%%")],
        ),
        ("/address", vec![("contact", "c"), ("address", addr)]),
        (
            "/address",
            vec![
                ("contact", &long_contact),
                ("address", addr),
                ("signature", &sig),
            ],
        ),
        (
            "/address",
            vec![("contact", "nul\0"), ("address", addr), ("signature", &sig)],
        ),
        ("/balance", vec![("address", addr)]),
        (
            "/balance",
            vec![
                ("address", addr),
                ("nonce", "' OR 1=1 --"),
                ("signature", &sig),
            ],
        ),
        (
            "/balance",
            vec![("address", "bc1q"), ("nonce", &nonce), ("signature", &sig)],
        ),
        ("/buy", vec![("address", addr), ("signature", &sig)]),
        ("/buy", vec![("address", addr), ("delegate", "tb1qnope")]),
        ("/buy", vec![("owner", "3Invalid"), ("contact", "c")]),
    ];
    for (path, query) in bad {
        let (status, body) = server.get_query(path, &query).await;
        assert_error(status, &body, 400, "bad_request");
    }
    // Well-formed but unknown or unproven.
    let stranger = p2pkh();
    let s_nonce = "0".repeat(32);
    let s_sig = stranger.sign(&format!("{}{s_nonce}", stranger.address));
    let (status, body) = server
        .get_query(
            "/balance",
            &[
                ("address", stranger.address.as_str()),
                ("nonce", &s_nonce),
                ("signature", &s_sig),
            ],
        )
        .await;
    assert_error(status, &body, 403, "unknown_account");
    let (status, body) = server
        .get_query(
            "/balance",
            &[
                ("address", addr),
                ("nonce", &s_nonce),
                ("signature", &owner.sign(&format!("{addr}{s_nonce}"))),
            ],
        )
        .await;
    assert_error(status, &body, 401, "bad_nonce");
}

async fn a_strangers_unsigned_buys_leave_one_pending_bucket(backend: Backend) {
    let server = paid_server(backend).await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    // A stranger (no key of the account) buys for it, again and again, unsigned.
    for _ in 0..5 {
        let (status, body) = server
            .get_query("/buy", &[("address", owner.address.as_str())])
            .await;
        assert_eq!(status, 200, "{body}");
        // The free bucket and one pending bucket, however many unsigned purchases.
        assert_eq!(statuses(&body), ["active", "pending"], "{body}");
    }
    // The owner's deposit pays that one bucket only; the rest of it stays the owner's.
    credit(&server, &owner, 3 * PRICE).await;
    let (_, body) = server
        .get_query("/request", &[("owner", owner.address.as_str())])
        .await;
    assert_eq!(statuses(&body), ["active", "active"]);
    assert_eq!(balance(&server, &owner).await, 2 * PRICE);
    // The owner's own signed purchase still adds a bucket.
    let (status, body) = signed_buy(&server, &owner, "test@example.org").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(balance(&server, &owner).await, PRICE);
}

async fn a_strangers_unsigned_requests_never_change_the_contact(backend: Backend) {
    let server = paid_server(backend).await;
    let owner = p2pkh();
    server.enroll(&owner).await; // contact test@example.org
    let nonce = server.nonce(&owner).await;
    assert_eq!(server.put(&owner, "k", "v", &nonce).await.0, 201);
    // A stranger names another contact in unsigned /request and /buy for the account.
    for (path, account) in [("/request", "owner"), ("/buy", "address")] {
        let (status, _) = server
            .get_query(
                path,
                &[
                    (account, owner.address.as_str()),
                    ("contact", "thief@example.org"),
                ],
            )
            .await;
        assert_eq!(status, 200, "{path}");
    }
    // The expiry notice still goes to the owner's contact.
    server.clock.advance(time::Duration::days(31));
    server.service.expire_buckets().await.unwrap();
    server.service.send_mail().await.unwrap();
    let recipients: Vec<String> = server
        .mails
        .sent()
        .into_iter()
        .map(|m| m.recipient)
        .collect();
    assert_eq!(recipients, ["test@example.org"]);
}

async fn register(
    server: &TestServer,
    owner: &causeway::auth::Signer,
    contact: &str,
    signature: &str,
) -> u16 {
    let (status, body) = server
        .get_query(
            "/address",
            &[
                ("contact", contact),
                ("address", owner.address.as_str()),
                ("signature", signature),
            ],
        )
        .await;
    assert!(body["address"].is_string() || status != 200, "{body}");
    status
}

async fn a_replayed_registration_never_undoes_a_later_contact_change(backend: Backend) {
    let server = paid_server(backend).await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    let old = owner.sign(&format!("old@example.org{}", owner.address));
    assert_eq!(
        register(&server, &owner, "old@example.org", &old).await,
        200
    );
    let new = owner.sign(&format!("new@example.org{}", owner.address));
    assert_eq!(
        register(&server, &owner, "new@example.org", &new).await,
        200
    );
    // Whoever kept the old signed registration replays it: answered, but nothing changes.
    assert_eq!(
        register(&server, &owner, "old@example.org", &old).await,
        200
    );
    let nonce = server.nonce(&owner).await;
    assert_eq!(server.put(&owner, "k", "v", &nonce).await.0, 201);
    server.clock.advance(time::Duration::days(31));
    server.service.expire_buckets().await.unwrap();
    server.service.send_mail().await.unwrap();
    let recipients: Vec<String> = server
        .mails
        .sent()
        .into_iter()
        .map(|m| m.recipient)
        .collect();
    assert_eq!(recipients, ["new@example.org"]);
}
