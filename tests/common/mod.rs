//! Test harness: the real app on a random port, against real PostgreSQL + Redis (own schema
//! and key prefix per test) or the memory backend, plus a signing client.

#![allow(dead_code)]

pub mod binary;
pub mod fake_node;
pub mod proxy;
pub mod smtp;
pub mod test_ca;

use std::sync::Arc;

use causeway::app;
use causeway::app::Backends;
use causeway::auth::{AddressKind, Net, Signer};
use causeway::config::Config;
use causeway::service::ports::{Delivery, MailSender, OutboxMail};
use causeway::service::ManualClock;
use serde_json::{json, Value};

pub const PG_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
pub const REDIS_URL: &str = "redis://127.0.0.1:6379";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Memory,
    Real,
}

/// Where a test's real backends live, so several servers can share them.
#[derive(Debug, Clone)]
pub struct RealBackends {
    pub schema: String,
    pub database_url: String,
    pub redis_url: String,
    pub redis_prefix: String,
}

impl RealBackends {
    /// A fresh schema in the `test` database and a fresh Redis key prefix.
    pub async fn fresh() -> RealBackends {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let schema = format!("t_{id}");
        let (client, connection) = tokio_postgres::connect(PG_URL, tokio_postgres::NoTls)
            .await
            .expect("PostgreSQL must run on 127.0.0.1:5432 (scripts/test.sh starts it)");
        tokio::spawn(connection);
        client
            .batch_execute(&format!("CREATE SCHEMA {schema}"))
            .await
            .expect("create test schema");
        RealBackends {
            database_url: format!("{PG_URL}?options=-csearch_path%3D{schema}"),
            schema,
            redis_url: REDIS_URL.into(),
            redis_prefix: format!("causeway-test:{id}:"),
        }
    }

    pub fn apply(&self, config: &mut Config) {
        config.database_url = Some(self.database_url.clone());
        config.redis_url = Some(self.redis_url.clone());
        config.redis_prefix = self.redis_prefix.clone();
    }

    /// The environment that points a spawned `causeway` binary at these backends.
    pub fn env(&self) -> [(&'static str, String); 3] {
        [
            ("DATABASE_URL", self.database_url.clone()),
            ("REDIS_URL", self.redis_url.clone()),
            ("CAUSEWAY_REDIS_PREFIX", self.redis_prefix.clone()),
        ]
    }

    /// A direct connection into the test's schema, to check what the server stored.
    pub async fn sql(&self) -> tokio_postgres::Client {
        let (client, connection) =
            tokio_postgres::connect(&self.database_url, tokio_postgres::NoTls)
                .await
                .expect("connect to test schema");
        tokio::spawn(connection);
        client
    }
}

/// Settings every test starts from: random ports, no background jobs.
pub fn test_config() -> Config {
    let mut config = Config::defaults();
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.admin_listen = "127.0.0.1:0".parse().unwrap();
    config.database_url = None;
    config.redis_url = None;
    config.no_jobs = true;
    // One free bucket, so a test may call /request again to read its buckets.
    config.free_buckets = 1;
    // Every test calls from 127.0.0.1, and many create dozens of accounts in a moment; the
    // rate-limit tests (tests/rate_limits.rs) turn the limits on with their defaults.
    config.rate_reads_per_sec = 0;
    config.rate_nonces_per_sec = 0;
    config.rate_writes_per_sec = 0;
    config.rate_new_accounts_per_hour = 0;
    config
}

pub struct TestServer {
    pub base: String,
    pub admin: String,
    pub http: reqwest::Client,
    pub real: Option<RealBackends>,
    /// The server's service, for what has no HTTP endpoint (operator credits, jobs).
    pub service: causeway::service::Service,
    /// The server's clock: tests move it instead of sleeping.
    pub clock: Arc<ManualClock>,
    /// Notices the server delivered (when no SMTP server is configured).
    pub mails: Arc<RecordingMailer>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl TestServer {
    pub async fn start(backend: Backend) -> TestServer {
        TestServer::with(backend, |_| {}).await
    }

    /// A server on `backend` with settings adjusted by `tune`.
    pub async fn with(backend: Backend, tune: impl FnOnce(&mut Config)) -> TestServer {
        let real = match backend {
            Backend::Memory => None,
            Backend::Real => Some(RealBackends::fresh().await),
        };
        let mut config = test_config();
        if let Some(real) = &real {
            real.apply(&mut config);
        }
        tune(&mut config);
        TestServer::from_config(config, real).await
    }

    /// A server with exactly this configuration (e.g. a second replica of another).
    pub async fn from_config(config: Config, real: Option<RealBackends>) -> TestServer {
        let clock = Arc::new(ManualClock::new(time::OffsetDateTime::now_utc()));
        TestServer::on_clock(config, real, clock).await
    }

    /// A server with this configuration reading `clock`: replicas of one deployment
    /// share wall-clock time, so tests that move time give them one clock.
    pub async fn on_clock(
        config: Config,
        real: Option<RealBackends>,
        clock: Arc<ManualClock>,
    ) -> TestServer {
        let backends = Backends::connect(&config).await.expect("backends connect");
        let mut app = app::build(config, &backends, clock.clone()).expect("valid settings");
        let mails = Arc::new(RecordingMailer::default());
        if app.config.smtp_url.is_none() {
            app.service = app.service.with_mailer(mails.clone());
        }
        let service = app.service.clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let running = app
            .start(async {
                let _ = stopped.await;
            })
            .await
            .expect("server starts");
        TestServer {
            base: format!("http://{}", running.public_addr),
            admin: format!("http://{}", running.admin_addr),
            http: reqwest::Client::new(),
            real,
            service,
            clock,
            mails,
            stop: Some(stop),
        }
    }

    /// The admin listener's Prometheus text.
    pub async fn metrics(&self) -> String {
        self.http
            .get(format!("{}/metrics", self.admin))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("metrics text")
    }

    pub async fn get(&self, path_and_query: &str) -> (u16, Value) {
        let response = self
            .http
            .get(format!("{}{path_and_query}", self.base))
            .send()
            .await
            .expect("request");
        read(response).await
    }

    pub async fn get_query(&self, path: &str, query: &[(&str, &str)]) -> (u16, Value) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .query(query)
            .send()
            .await
            .expect("request");
        read(response).await
    }

    pub async fn post_form<F: serde::Serialize + ?Sized>(
        &self,
        path: &str,
        form: &F,
    ) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .form(form)
            .send()
            .await
            .expect("request");
        read(response).await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .json(body)
            .send()
            .await
            .expect("request");
        read(response).await
    }

    /// Creates the account with a free bucket.
    pub async fn enroll(&self, owner: &Signer) -> Value {
        let (status, body) = self
            .get_query(
                "/request",
                &[
                    ("owner", owner.address.as_str()),
                    ("contact", "test@example.org"),
                ],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    pub async fn nonce(&self, account: &Signer) -> String {
        let (status, body) = self
            .get_query("/nonce", &[("address", account.address.as_str())])
            .await;
        assert_eq!(status, 200, "{body}");
        body["nonce"].as_str().expect("nonce").to_owned()
    }

    /// An unsigned `/buy`: a pending bucket for the owner; returns its deposit address.
    pub async fn buy_pending(&self, owner: &Signer) -> String {
        let (status, body) = self
            .get_query(
                "/buy",
                &[
                    ("address", owner.address.as_str()),
                    ("contact", "me@example.org"),
                ],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["address"]
            .as_str()
            .expect("deposit address")
            .to_owned()
    }

    /// A seed-shape put signed by the owner.
    pub async fn put(&self, owner: &Signer, key: &str, value: &str, nonce: &str) -> (u16, Value) {
        self.post_form("/put", &put_form(owner, key, value, nonce))
            .await
    }

    /// The account's ledger deltas, oldest first.
    pub async fn service_ledger(&self, owner: &Signer) -> Vec<i64> {
        self.service
            .ledger_of(&owner.address)
            .await
            .expect("ledger")
            .iter()
            .map(|e| e.delta_sats)
            .collect()
    }

    /// The free bytes of each of the account's buckets (with `free_buckets = 1`, /request
    /// grants nothing more).
    pub async fn bytes_free(&self, owner: &Signer) -> Vec<i64> {
        let (_, body) = self
            .get_query("/request", &[("owner", owner.address.as_str())])
            .await;
        body["buckets"]
            .as_array()
            .expect("buckets")
            .iter()
            .map(|b| b["bytes_free"].as_i64().expect("bytes_free"))
            .collect()
    }
}

/// Records delivered mail instead of sending it.
#[derive(Default)]
pub struct RecordingMailer {
    pub sent: std::sync::Mutex<Vec<OutboxMail>>,
}

#[async_trait::async_trait]
impl MailSender for RecordingMailer {
    async fn deliver(&self, mail: &OutboxMail) -> Delivery {
        self.sent.lock().unwrap().push(mail.clone());
        Delivery::Sent
    }
}

impl RecordingMailer {
    pub fn sent(&self) -> Vec<OutboxMail> {
        self.sent.lock().unwrap().clone()
    }
}

/// The seed-shape put form, signed over key + value + address + nonce.
pub fn put_form(
    owner: &Signer,
    key: &str,
    value: &str,
    nonce: &str,
) -> Vec<(&'static str, String)> {
    let address = owner.address.as_str().to_owned();
    let signature = owner.sign(&format!("{key}{value}{address}{nonce}"));
    vec![
        ("key", key.to_owned()),
        ("value", value.to_owned()),
        ("address", address),
        ("nonce", nonce.to_owned()),
        ("signature", signature),
    ]
}

/// The Rein-shape put: the delegate signs for the owner.
pub fn rein_put_json(
    owner: &Signer,
    delegate: &Signer,
    key: &str,
    value: &str,
    nonce: &str,
) -> Value {
    let signer = delegate.address.as_str();
    json!({
        "key": key,
        "value": value,
        "owner": owner.address.as_str(),
        "signature_address": signer,
        "nonce": nonce,
        "signature": delegate.sign(&format!("{key}{value}{signer}{nonce}")),
        "testnet": false,
    })
}

pub fn signer(kind: AddressKind) -> Signer {
    Signer::random(kind, Net::Mainnet)
}

pub fn p2pkh() -> Signer {
    signer(AddressKind::P2pkh)
}

async fn read(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"))
    };
    (status, body)
}

/// Asserts the contract's error shape with this status and code.
pub fn assert_error(status: u16, body: &Value, want_status: u16, want_code: &str) {
    assert_eq!(status, want_status, "{body}");
    assert_eq!(body["result"], "error", "{body}");
    assert_eq!(body["code"], want_code, "{body}");
    assert!(
        body["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{body}"
    );
}

/// Runs each listed test against both backends: `memory::name` and `real::name`.
#[macro_export]
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::common::Backend::Memory).await
                }
            )*
        }
        mod real {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::common::Backend::Real).await
                }
            )*
        }
    };
}
