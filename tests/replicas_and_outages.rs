//! Behaviour that needs the real backends: replicas sharing state, backing services going
//! away and coming back, migrations racing, and the bandwidth meter folding into PostgreSQL.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use causeway::connect::{migrate, postgres};
use common::proxy::Proxy;
use common::{assert_error, p2pkh, put_form, test_config, RealBackends, TestServer};
use futures::future::join_all;

async fn two_replicas() -> (TestServer, TestServer) {
    let real = RealBackends::fresh().await;
    let mut config = test_config();
    real.apply(&mut config);
    let a = TestServer::from_config(config.clone(), Some(real.clone())).await;
    let b = TestServer::from_config(config, Some(real)).await;
    (a, b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_never_oversell_the_capacity() {
    let real = RealBackends::fresh().await;
    let mut config = test_config();
    real.apply(&mut config);
    config.capacity_bytes = 5 * config.bucket_bytes;
    let a = TestServer::from_config(config.clone(), Some(real.clone())).await;
    let b = TestServer::from_config(config.clone(), Some(real.clone())).await;
    let accounts: Vec<_> = (0..24).map(|_| p2pkh()).collect();
    let requests = accounts.iter().enumerate().map(|(i, owner)| {
        let replica = if i % 2 == 0 { &a } else { &b };
        async move {
            replica
                .get_query("/request", &[("owner", owner.address.as_str())])
                .await
        }
    });
    let answers = join_all(requests).await;
    let granted = answers
        .iter()
        .filter(|(status, body)| *status == 200 && body["result"] == "success")
        .count();
    assert_eq!(granted, 5, "{answers:?}");
    assert!(answers
        .iter()
        .all(|(status, body)| *status == 200 || (*status == 507 && body["code"] == "server_full")));
    let sold: i64 = real
        .sql()
        .await
        .query_one(
            "SELECT COALESCE(sum(bytes_total), 0)::BIGINT FROM buckets",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(sold, config.capacity_bytes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nonce_issued_by_one_replica_is_accepted_by_another() {
    let (a, b) = two_replicas().await;
    let owner = p2pkh();
    a.enroll(&owner).await;
    let nonce = a.nonce(&owner).await;
    // Each call issues its own nonce (API.md v1.1), whichever replica answers it.
    let other = b.nonce(&owner).await;
    assert_ne!(other, nonce);
    let (status, body) = b.put(&owner, "k", "v", &nonce).await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = a.put(&owner, "k", "v", &nonce).await;
    assert_error(status, &body, 401, "replayed");
    let (status, body) = a.get_query("/get", &[("key", "k")]).await;
    assert_eq!((status, &body["value"]), (200, &serde_json::json!("v")));
    // The nonce b issued signs on a.
    let (status, body) = a.put(&owner, "k2", "v", &other).await;
    assert_eq!(status, 201, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identical_requests_across_replicas_succeed_once() {
    let (a, b) = two_replicas().await;
    let owner = p2pkh();
    a.enroll(&owner).await;
    let nonce = a.nonce(&owner).await;
    let form = put_form(&owner, "race", "v", &nonce);
    let sends = (0..20).map(|i| {
        let server = if i % 2 == 0 { &a } else { &b };
        let form = &form;
        async move { server.post_form("/put", form).await }
    });
    let results = join_all(sends).await;
    assert_eq!(
        results.iter().filter(|(s, _)| *s == 201).count(),
        1,
        "{results:?}"
    );
    for (status, body) in results.iter().filter(|(s, _)| *s != 201) {
        assert_error(*status, body, 401, "replayed");
    }
}

/// Polls until `check` holds, so recovery is asserted without a fixed sleep.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{what} did not happen within 20 s");
}

async fn server_behind_proxies() -> (TestServer, Proxy, Proxy) {
    let real = RealBackends::fresh().await;
    let pg: SocketAddr = "127.0.0.1:5432".parse().unwrap();
    let redis: SocketAddr = "127.0.0.1:6379".parse().unwrap();
    let (pg_proxy, redis_proxy) = (Proxy::start(pg).await, Proxy::start(redis).await);
    let mut config = test_config();
    real.apply(&mut config);
    config.database_url = Some(
        real.database_url
            .replace("127.0.0.1:5432", &pg_proxy.addr.to_string()),
    );
    config.redis_url = Some(format!("redis://{}", redis_proxy.addr));
    config.backend_timeout_ms = 500;
    let server = TestServer::from_config(config, Some(real)).await;
    (server, pg_proxy, redis_proxy)
}

async fn readyz(server: &TestServer) -> u16 {
    server
        .http
        .get(format!("{}/readyz", server.admin))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_outage_answers_503_and_service_recovers() {
    let (server, _pg, redis) = server_behind_proxies().await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    let nonce = server.nonce(&owner).await;
    assert_eq!(server.put(&owner, "before", "v", &nonce).await.0, 201);
    assert_eq!(readyz(&server).await, 200);

    redis.cut();
    let started = Instant::now();
    let (status, body) = server
        .get_query("/nonce", &[("address", owner.address.as_str())])
        .await;
    assert_error(status, &body, 503, "unavailable");
    let (status, body) = server.put(&owner, "during", "v", &nonce).await;
    assert_error(status, &body, 503, "unavailable");
    let (status, body) = server.get_query("/get", &[("key", "before")]).await;
    assert_error(status, &body, 503, "unavailable");
    assert_eq!(readyz(&server).await, 503);
    // Refusals are quick (bounded by the backend timeout), never a hang.
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );

    redis.restore();
    eventually("redis recovery", || async {
        server
            .get_query("/nonce", &[("address", owner.address.as_str())])
            .await
            .0
            == 200
    })
    .await;
    assert_eq!(readyz(&server).await, 200);
    // Nothing was half-written during the outage.
    let (status, _) = server.get_query("/get", &[("key", "during")]).await;
    assert_eq!(status, 404);
    let nonce = server.nonce(&owner).await;
    assert_eq!(server.put(&owner, "after", "v", &nonce).await.0, 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_outage_answers_503_and_service_recovers() {
    let (server, pg, _redis) = server_behind_proxies().await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    let nonce = server.nonce(&owner).await;
    assert_eq!(server.put(&owner, "before", "v", &nonce).await.0, 201);

    pg.cut();
    let started = Instant::now();
    let (status, body) = server.put(&owner, "during", "v", &nonce).await;
    assert_error(status, &body, 503, "unavailable");
    let (status, body) = server.get_query("/get", &[("key", "before")]).await;
    assert_error(status, &body, 503, "unavailable");
    let (status, body) = server
        .get_query("/request", &[("owner", owner.address.as_str())])
        .await;
    assert_error(status, &body, 503, "unavailable");
    let (status, body) = server.get("/status").await;
    assert_error(status, &body, 503, "unavailable");
    assert_eq!(readyz(&server).await, 503);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );

    pg.restore();
    eventually("postgresql recovery", || async {
        server.get_query("/get", &[("key", "before")]).await.0 == 200
    })
    .await;
    assert_eq!(readyz(&server).await, 200);
    // The put refused during the outage did not burn its signature: it goes through now.
    let (status, body) = server.put(&owner, "during", "v", &nonce).await;
    assert_eq!(status, 201, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_starting_together_migrate_once() {
    let real = RealBackends::fresh().await;
    let mut config = test_config();
    real.apply(&mut config);
    let pools: Vec<_> = (0..4)
        .map(|_| postgres::pool(&real.database_url, &config).unwrap())
        .collect();
    let results = join_all(pools.iter().map(migrate::run)).await;
    let applied: Vec<Vec<i64>> = results.into_iter().map(|r| r.expect("migration")).collect();
    assert_eq!(
        applied.iter().filter(|a| !a.is_empty()).count(),
        1,
        "{applied:?}"
    );
    let again = migrate::run(&pools[0]).await.unwrap();
    assert!(again.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metered_transfer_folds_into_postgres_and_still_limits_reads() {
    let real = RealBackends::fresh().await;
    let mut config = test_config();
    real.apply(&mut config);
    config.no_jobs = false;
    config.metering_fold_secs = 1;
    config.bucket_transfer_bytes = 50;
    let server = TestServer::from_config(config, Some(real.clone())).await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    let nonce = server.nonce(&owner).await;
    assert_eq!(server.put(&owner, "k", "0123456789", &nonce).await.0, 201);
    for _ in 0..3 {
        assert_eq!(server.get_query("/get", &[("key", "k")]).await.0, 200);
    }
    let sql = real.sql().await;
    eventually("fold into postgresql", || async {
        let row = sql
            .query_one("SELECT transfer_used FROM buckets", &[])
            .await
            .unwrap();
        row.get::<_, i64>(0) == 30
    })
    .await;
    // Folded (30) + new charges: two more reads fit the 50-byte allowance, the third not.
    for _ in 0..2 {
        assert_eq!(server.get_query("/get", &[("key", "k")]).await.0, 200);
    }
    let (status, body) = server.get_query("/get", &[("key", "k")]).await;
    assert_error(status, &body, 402, "bandwidth_exhausted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_put_stuck_on_a_lock_answers_503_instead_of_hanging() {
    let real = RealBackends::fresh().await;
    let mut config = test_config();
    real.apply(&mut config);
    config.pg_statement_timeout_ms = 300;
    let server = TestServer::from_config(config, Some(real.clone())).await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    let nonce = server.nonce(&owner).await;
    assert_eq!(server.put(&owner, "k", "v1", &nonce).await.0, 201);
    // Another session holds the pair's row lock.
    let mut blocker = real.sql().await;
    let tx = blocker.transaction().await.unwrap();
    tx.execute("SELECT 1 FROM pairs WHERE key = 'k' FOR UPDATE", &[])
        .await
        .unwrap();
    let (status, body) = server.put(&owner, "k", "v2", &nonce).await;
    assert_error(status, &body, 503, "unavailable");
    tx.rollback().await.unwrap();
    // The cancelled request did not burn its signature.
    let (status, body) = server.put(&owner, "k", "v2", &nonce).await;
    assert_eq!(status, 201, "{body}");
}
