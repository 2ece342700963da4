//! The PostgreSQL connection pool, with timeouts so an unreachable database answers 503 fast.

use std::str::FromStr;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

use super::ConnectError;
use crate::config::Config;

pub fn pool(database_url: &str, config: &Config) -> Result<Pool, ConnectError> {
    let mut pg = tokio_postgres::Config::from_str(database_url)
        .map_err(|e| ConnectError::Postgres(format!("bad DATABASE_URL: {e}")))?;
    if pg.get_connect_timeout().is_none() {
        pg.connect_timeout(config.backend_timeout());
    }
    // A statement stuck on a lock or a sick server is cancelled (SQLSTATE 57014, a 503)
    // instead of holding the request and a pooled connection forever.
    let options = format!(
        "{} -c statement_timeout={}",
        pg.get_options().unwrap_or_default(),
        config.pg_statement_timeout_ms
    );
    pg.options(options.trim());
    let manager = Manager::from_config(
        pg,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(config.pg_pool_size)
        .wait_timeout(Some(config.backend_timeout()))
        .create_timeout(Some(config.backend_timeout()))
        .recycle_timeout(Some(config.backend_timeout()))
        .runtime(Runtime::Tokio1)
        .build()
        .map_err(|e| ConnectError::Postgres(e.to_string()))
}
