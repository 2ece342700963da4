//! Connections to the backing services (the PostgreSQL pool, the Redis link) and the schema
//! migrations; it knows none of the stores that use them.

pub mod migrate;
pub mod postgres;
pub mod redis;

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("postgresql: {0}")]
    Postgres(String),
    #[error("redis: {0}")]
    Redis(String),
}
