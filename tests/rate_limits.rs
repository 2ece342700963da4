//! Per-client rate limits (API.md v1.1, "Rate limits per client"), with their defaults on:
//! each class refuses past its burst with `429 rate_limited` and `Retry-After`, refills with
//! time, counts one client apart from another (behind trusted proxies only), is shared by
//! replicas, never limits the admin listener, and lets requests through when its counters
//! can not be reached.

mod common;

use std::sync::Arc;

use causeway::config::Config;
use causeway::domain::Client;
use causeway::service::{RateClass, Service, SystemClock};
use common::{assert_error, p2pkh, put_form, test_config, Backend, TestServer};
use serde_json::{json, Value};

conformance!(
    reads_past_the_burst_are_refused_until_the_bucket_refills,
    a_refused_get_is_neither_served_nor_charged,
    every_answer_of_get_counts_against_the_read_limit,
    nonce_calls_are_limited_apart_from_reads,
    signed_writes_are_limited_and_a_refused_put_may_be_sent_again,
    new_accounts_are_limited_per_hour_and_a_refused_one_is_not_created,
    a_stranger_spending_its_limits_leaves_the_owner_served,
    forwarded_for_from_an_untrusted_peer_changes_nothing,
    zero_turns_one_limit_off,
    the_admin_listener_is_never_limited_and_refusals_are_counted_by_class,
);

/// The limits as shipped (test_config turns them off for the other suites).
fn default_limits(config: &mut Config) {
    let defaults = Config::defaults();
    config.rate_reads_per_sec = defaults.rate_reads_per_sec;
    config.rate_nonces_per_sec = defaults.rate_nonces_per_sec;
    config.rate_writes_per_sec = defaults.rate_writes_per_sec;
    config.rate_new_accounts_per_hour = defaults.rate_new_accounts_per_hour;
}

async fn limited(backend: Backend, tune: impl FnOnce(&mut Config)) -> TestServer {
    TestServer::with(backend, |config| {
        default_limits(config);
        tune(config);
    })
    .await
}

/// One answer: status, `Retry-After` (when sent) and body.
struct Answer {
    status: u16,
    retry_after: Option<String>,
    body: Value,
}

impl Answer {
    fn assert_limited(&self, retry_after: &str) {
        assert_error(self.status, &self.body, 429, "rate_limited");
        assert_eq!(
            self.retry_after.as_deref(),
            Some(retry_after),
            "{}",
            self.body
        );
    }
}

/// GET `path` with `query`, as the client `forwarded_for` names when given.
async fn get_as(
    server: &TestServer,
    path: &str,
    query: &[(&str, &str)],
    forwarded_for: Option<&str>,
) -> Answer {
    let mut request = server
        .http
        .get(format!("{}{path}", server.base))
        .query(query);
    if let Some(client) = forwarded_for {
        request = request.header("x-forwarded-for", client);
    }
    answer(request).await
}

async fn answer(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = response.json().await.expect("a JSON body");
    Answer {
        status,
        retry_after,
        body,
    }
}

/// Sends `n` GETs of `path` and asserts every one is served.
async fn served(
    server: &TestServer,
    n: usize,
    path: &str,
    query: &[(&str, &str)],
    client: Option<&str>,
) {
    for i in 0..n {
        let answer = get_as(server, path, query, client).await;
        assert_eq!(answer.status, 200, "request {i} of {n}: {}", answer.body);
    }
}

/// `n` requests served, then the next refused with this `Retry-After`.
async fn spend(
    server: &TestServer,
    n: usize,
    path: &str,
    query: &[(&str, &str)],
    client: Option<&str>,
    retry_after: &str,
) {
    served(server, n, path, query, client).await;
    get_as(server, path, query, client)
        .await
        .assert_limited(retry_after);
}

async fn reads_past_the_burst_are_refused_until_the_bucket_refills(backend: Backend) {
    let server = limited(backend, |_| {}).await;
    spend(&server, 100, "/price", &[], None, "1").await;
    // Every unsigned endpoint draws on the same bucket.
    for path in [
        "/status",
        "/get?key=k",
        "/help",
        "/query?query=get_user_ratings",
    ] {
        let refused = answer(server.http.get(format!("{}{path}", server.base))).await;
        refused.assert_limited("1");
    }
    // One request comes back every 10 ms.
    server.clock.advance(time::Duration::milliseconds(10));
    spend(&server, 1, "/price", &[], None, "1").await;
    // A second later the whole burst is back.
    server.clock.advance(time::Duration::seconds(1));
    spend(&server, 100, "/price", &[], None, "1").await;
}

async fn a_refused_get_is_neither_served_nor_charged(backend: Backend) {
    // The bucket's transfer allowance pays for exactly two reads of its one-byte value.
    let server = limited(backend, |config| config.bucket_transfer_bytes = 2).await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    let nonce = server.nonce(&owner).await;
    assert_eq!(server.put(&owner, "k", "v", &nonce).await.0, 201);
    let key = [("key", "k")];
    // /get is counted by the service alongside its read: the first refusal and the wary
    // path after it (the limiter asked before the store) answer alike.
    // 99: enrolling was a read (/request).
    spend(&server, 99, "/price", &[], None, "1").await;
    for _ in 0..3 {
        get_as(&server, "/get", &key, None)
            .await
            .assert_limited("1");
    }
    let head = server
        .http
        .head(format!("{}/get?key=k", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 429);
    // A /get with no valid key counts too.
    get_as(&server, "/get", &[], None).await.assert_limited("1");
    // None of the refused reads spent the allowance.
    server.clock.advance(time::Duration::seconds(1));
    for _ in 0..2 {
        let read = get_as(&server, "/get", &key, None).await;
        assert_eq!((read.status, &read.body["value"]), (200, &json!("v")));
    }
    let third = get_as(&server, "/get", &key, None).await;
    assert_error(third.status, &third.body, 402, "bandwidth_exhausted");
}

async fn every_answer_of_get_counts_against_the_read_limit(backend: Backend) {
    // A served /get takes its token with its charge; every other answer takes it alone.
    let server = limited(backend, |config| config.bucket_transfer_bytes = 2).await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    let nonce = server.nonce(&owner).await;
    assert_eq!(server.put(&owner, "k", "v", &nonce).await.0, 201);
    let url = format!("{}/get?key=k", server.base);
    let first = server.http.get(&url).send().await.unwrap();
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(server.http.get(&url).send().await.unwrap().status(), 200);
    // The allowance is spent: counted though unpaid.
    let unpaid = get_as(&server, "/get", &[("key", "k")], None).await;
    assert_error(unpaid.status, &unpaid.body, 402, "bandwidth_exhausted");
    let not_modified = server
        .http
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(not_modified.status(), 304);
    assert_eq!(server.http.head(&url).send().await.unwrap().status(), 402);
    let missing = get_as(&server, "/get", &[("key", "absent")], None).await;
    assert_error(missing.status, &missing.body, 404, "not_found");
    // Enrolling (/request) and the six reads above leave 93 of the burst of 100.
    spend(&server, 93, "/price", &[], None, "1").await;
}

async fn nonce_calls_are_limited_apart_from_reads(backend: Backend) {
    let server = limited(backend, |_| {}).await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    let address = [("address", owner.address.as_str())];
    spend(&server, 10, "/nonce", &address, None, "1").await;
    // A clear is a /nonce call too.
    let clear = [
        ("address", owner.address.as_str()),
        ("clear", &"0".repeat(32)),
    ];
    get_as(&server, "/nonce", &clear, None)
        .await
        .assert_limited("1");
    // Reads have their own bucket.
    served(&server, 1, "/price", &[], None).await;
    server.clock.advance(time::Duration::milliseconds(100));
    served(&server, 1, "/nonce", &address, None).await;
}

async fn signed_writes_are_limited_and_a_refused_put_may_be_sent_again(backend: Backend) {
    let server = limited(backend, |_| {}).await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    let nonce = server.nonce(&owner).await;
    for i in 0..50 {
        let (status, body) = server.put(&owner, &format!("k{i}"), "v", &nonce).await;
        assert_eq!(status, 201, "put {i}: {body}");
    }
    let form = put_form(&owner, "last", "v", &nonce);
    let refused = answer(server.http.post(format!("{}/put", server.base)).form(&form)).await;
    refused.assert_limited("1");
    // Nothing was stored, and reads are still served.
    let (status, body) = server.get_query("/get", &[("key", "last")]).await;
    assert_error(status, &body, 404, "not_found");
    // Refused before its signature was looked at: the same signed request goes through later.
    server.clock.advance(time::Duration::milliseconds(20));
    let (status, body) = server.post_form("/put", &form).await;
    assert_eq!(status, 201, "{body}");
    // Any request carrying a signature is a write: /balance is refused now too.
    let signed_read = [
        ("address", owner.address.as_str()),
        ("nonce", &nonce),
        ("signature", "x"),
    ];
    get_as(&server, "/balance", &signed_read, None)
        .await
        .assert_limited("1");
}

async fn new_accounts_are_limited_per_hour_and_a_refused_one_is_not_created(backend: Backend) {
    let server = limited(backend, |_| {}).await;
    let first = p2pkh();
    server.enroll(&first).await;
    for _ in 1..20 {
        server.enroll(&p2pkh()).await;
    }
    let late = p2pkh();
    let request = [
        ("owner", late.address.as_str()),
        ("contact", "late@example.org"),
    ];
    // 20 an hour: the next one is due in 180 s.
    get_as(&server, "/request", &request, None)
        .await
        .assert_limited("180");
    let (status, body) = server
        .get_query("/nonce", &[("address", late.address.as_str())])
        .await;
    assert_error(status, &body, 403, "unknown_account");
    // An existing account's /request creates nothing, so it is not refused.
    let again = [("owner", first.address.as_str())];
    assert_eq!(get_as(&server, "/request", &again, None).await.status, 200);
    server.clock.advance(time::Duration::seconds(180));
    assert_eq!(
        get_as(&server, "/request", &request, None).await.status,
        200
    );
    let (status, _) = server
        .get_query("/nonce", &[("address", late.address.as_str())])
        .await;
    assert_eq!(status, 200);
    get_as(
        &server,
        "/request",
        &[("owner", p2pkh().address.as_str())],
        None,
    )
    .await
    .assert_limited("180");
}

async fn a_stranger_spending_its_limits_leaves_the_owner_served(backend: Backend) {
    // The server sits behind a load balancer on 127.0.0.1 that names each client.
    let server = limited(backend, |config| {
        config.trusted_proxies =
            causeway::config::TrustedProxies(vec!["127.0.0.1/32".parse().unwrap()]);
    })
    .await;
    let (owner_ip, stranger_ip) = (Some("198.51.100.1"), Some("203.0.113.66"));
    let owner = p2pkh();
    let enroll = [
        ("owner", owner.address.as_str()),
        ("contact", "me@example.org"),
    ];
    assert_eq!(
        get_as(&server, "/request", &enroll, owner_ip).await.status,
        200
    );
    // The stranger spends every one of its own limits, the nonce one on the owner's account.
    served(&server, 79, "/price", &[], stranger_ip).await;
    for _ in 0..20 {
        let signer = p2pkh();
        let fresh = [("owner", signer.address.as_str())];
        assert_eq!(
            get_as(&server, "/request", &fresh, stranger_ip)
                .await
                .status,
            200
        );
    }
    let signer = p2pkh();
    let fresh = [("owner", signer.address.as_str())];
    get_as(&server, "/request", &fresh, stranger_ip)
        .await
        .assert_limited("180");
    // 21 of its 100 reads went on /request.
    get_as(&server, "/price", &[], stranger_ip)
        .await
        .assert_limited("1");
    let address = [("address", owner.address.as_str())];
    spend(&server, 10, "/nonce", &address, stranger_ip, "1").await;
    // The owner still gets nonces, writes, reads and new accounts.
    let nonce = get_as(&server, "/nonce", &address, owner_ip).await;
    assert_eq!(nonce.status, 200, "{}", nonce.body);
    let nonce = nonce.body["nonce"].as_str().unwrap().to_owned();
    let put = server
        .http
        .post(format!("{}/put", server.base))
        .header("x-forwarded-for", "198.51.100.1")
        .form(&put_form(&owner, "mine", "v", &nonce));
    let put = answer(put).await;
    assert_eq!(put.status, 201, "{}", put.body);
    let read = get_as(&server, "/get", &[("key", "mine")], owner_ip).await;
    assert_eq!((read.status, &read.body["value"]), (200, &json!("v")));
    let signer = p2pkh();
    let another = [("owner", signer.address.as_str())];
    assert_eq!(
        get_as(&server, "/request", &another, owner_ip).await.status,
        200
    );
}

async fn forwarded_for_from_an_untrusted_peer_changes_nothing(backend: Backend) {
    // No trusted proxy: a client naming a new address in each request is still one client.
    let server = limited(backend, |_| {}).await;
    for i in 0..100 {
        let forged = format!("198.51.100.{i}");
        let answer = get_as(&server, "/price", &[], Some(&forged)).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
    get_as(&server, "/price", &[], Some("192.0.2.200"))
        .await
        .assert_limited("1");
    get_as(&server, "/price", &[], None)
        .await
        .assert_limited("1");
}

async fn zero_turns_one_limit_off(backend: Backend) {
    let server = limited(backend, |config| config.rate_reads_per_sec = 0).await;
    served(&server, 300, "/price", &[], None).await;
    // The others stay on.
    let owner = p2pkh();
    server.enroll(&owner).await;
    let address = [("address", owner.address.as_str())];
    spend(&server, 10, "/nonce", &address, None, "1").await;
}

async fn the_admin_listener_is_never_limited_and_refusals_are_counted_by_class(backend: Backend) {
    let server = limited(backend, |config| config.rate_reads_per_sec = 1).await;
    spend(&server, 1, "/price", &[], None, "1").await;
    get_as(&server, "/price", &[], None)
        .await
        .assert_limited("1");
    for _ in 0..50 {
        for path in ["/metrics", "/healthz", "/readyz"] {
            let response = server
                .http
                .get(format!("{}{path}", server.admin))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200, "{path}");
        }
    }
    let metrics = server.metrics().await;
    for (class, count) in [
        ("reads", 2),
        ("nonces", 0),
        ("writes", 0),
        ("new_accounts", 0),
    ] {
        let line = format!("causeway_rate_limited_total{{class=\"{class}\"}} {count}");
        assert!(
            metrics.lines().any(|l| l == line),
            "no {line:?} in\n{metrics}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_count_a_client_in_one_shared_bucket() {
    let first = limited(Backend::Real, |_| {}).await;
    let mut config = test_config();
    default_limits(&mut config);
    let real = first.real.clone().unwrap();
    real.apply(&mut config);
    let second = TestServer::on_clock(config, Some(real), first.clock.clone()).await;
    // 100 reads spread over both replicas empty the one bucket.
    for i in 0..100 {
        let replica = if i % 2 == 0 { &first } else { &second };
        let answer = get_as(replica, "/price", &[], None).await;
        assert_eq!(answer.status, 200, "read {i}: {}", answer.body);
    }
    get_as(&first, "/price", &[], None)
        .await
        .assert_limited("1");
    get_as(&second, "/price", &[], None)
        .await
        .assert_limited("1");
    // And 20 new accounts an hour, whichever replica creates them.
    first.clock.advance(time::Duration::seconds(2));
    let mut created = 0;
    for i in 0..21 {
        let replica = if i % 2 == 0 { &first } else { &second };
        let signer = p2pkh();
        let request = [("owner", signer.address.as_str())];
        let answer = get_as(replica, "/request", &request, None).await;
        match answer.status {
            200 => created += 1,
            _ => answer.assert_limited("180"),
        }
    }
    assert_eq!(created, 20, "one hourly bucket of 20 across both replicas");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_served_get_and_other_reads_share_one_bucket_across_replicas() {
    // A served /get takes its token in the meter's script, every other read in the
    // limiter's: both must count in the same bucket, wherever the read lands.
    let first = limited(Backend::Real, |_| {}).await;
    let mut config = test_config();
    default_limits(&mut config);
    let real = first.real.clone().unwrap();
    real.apply(&mut config);
    let second = TestServer::on_clock(config, Some(real), first.clock.clone()).await;
    let owner = p2pkh();
    first.enroll(&owner).await;
    let nonce = first.nonce(&owner).await;
    assert_eq!(first.put(&owner, "k", "v", &nonce).await.0, 201);
    first.clock.advance(time::Duration::seconds(2));
    for i in 0..100 {
        let answer = if i % 2 == 0 {
            get_as(&first, "/price", &[], None).await
        } else {
            get_as(&second, "/get", &[("key", "k")], None).await
        };
        assert_eq!(answer.status, 200, "read {i}: {}", answer.body);
    }
    for replica in [&first, &second] {
        get_as(replica, "/get", &[("key", "k")], None)
            .await
            .assert_limited("1");
        get_as(replica, "/price", &[], None)
            .await
            .assert_limited("1");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_limiter_lets_requests_through() {
    let mut config = test_config();
    default_limits(&mut config);
    config.rate_reads_per_sec = 1;
    config.backend_timeout_ms = 200;
    let mut ports = causeway::app::Backends::memory().ports;
    // Nothing listens on port 1.
    let dead = causeway::connect::redis::RedisLink::new("redis://127.0.0.1:1", &config).unwrap();
    ports.limiter = Arc::new(causeway::limits::RedisLimiter::new(dead, "causeway:"));
    let service = Service::new(ports, Arc::new(config), Arc::new(SystemClock)).unwrap();
    let client = Client::of("198.51.100.9".parse().unwrap());
    let errors_before = causeway::telemetry::metrics::METRICS.redis_errors.get();
    for _ in 0..3 {
        service
            .admit_client(&client, RateClass::Reads)
            .await
            .expect("let through");
    }
    assert!(causeway::telemetry::metrics::METRICS.redis_errors.get() >= errors_before + 3);
}
