//! What every benchmark needs: the real server in-process on a fresh PostgreSQL schema and
//! Redis prefix, on a random port.
// Each benchmark compiles this module and uses part of it.
#![allow(dead_code)]

pub mod load;
pub mod owner;

use std::sync::Arc;

use causeway::app;
use causeway::app::Backends;
use causeway::config::Config;
use causeway::service::SystemClock;

pub const PG: &str = "postgres://postgres@127.0.0.1:5432/test";

pub struct BenchServer {
    pub base: String,
    pub schema: String,
    /// A connection into the benchmark's schema.
    pub sql: tokio_postgres::Client,
    admin: tokio_postgres::Client,
}

impl BenchServer {
    pub async fn start(tune: impl FnOnce(&mut Config)) -> BenchServer {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let schema = format!("bench_{id}");
        let (admin, connection) = tokio_postgres::connect(PG, tokio_postgres::NoTls)
            .await
            .expect("PostgreSQL on 127.0.0.1:5432");
        tokio::spawn(connection);
        admin
            .batch_execute(&format!("CREATE SCHEMA {schema}"))
            .await
            .expect("create schema");
        let database_url = format!("{PG}?options=-csearch_path%3D{schema}");
        let mut config = Config::defaults();
        config.listen = "127.0.0.1:0".parse().expect("address");
        config.admin_listen = "127.0.0.1:0".parse().expect("address");
        config.database_url = Some(database_url.clone());
        config.redis_url = Some("redis://127.0.0.1:6379".into());
        config.redis_prefix = format!("causeway-bench:{id}:");
        config.no_jobs = true;
        config.bucket_transfer_bytes = i64::MAX / 4;
        // Benchmarks size their buckets far past a real one (`bucket_bytes`); the server
        // must still sell them.
        config.capacity_bytes = i64::MAX / 4;
        // One load client sends thousands of requests a second from one address: the
        // limits are off unless a benchmark turns them on (benches/limiter.rs measures them).
        config.rate_reads_per_sec = 0;
        config.rate_nonces_per_sec = 0;
        config.rate_writes_per_sec = 0;
        config.rate_new_accounts_per_hour = 0;
        tune(&mut config);
        let backends = Backends::connect(&config).await.expect("backends");
        let app = app::build(config, &backends, Arc::new(SystemClock)).expect("settings");
        let running = app.start(std::future::pending()).await.expect("server");
        let (sql, connection) = tokio_postgres::connect(&database_url, tokio_postgres::NoTls)
            .await
            .expect("connect to the schema");
        tokio::spawn(connection);
        BenchServer {
            base: format!("http://{}", running.public_addr),
            schema,
            sql,
            admin,
        }
    }

    pub async fn drop_schema(&self) {
        let _ = self
            .admin
            .batch_execute(&format!("DROP SCHEMA {} CASCADE", self.schema))
            .await;
    }
}
