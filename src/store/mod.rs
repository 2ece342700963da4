//! The durable stores behind the service's ports (`service::ports`): `postgres` for
//! deployments and `memory` for the zero-setup quick start and fast unit tests. Both run
//! the same conformance suite, and both take every decision from `service::rules`.

mod memory;
mod postgres;

pub use memory::MemoryStore;
pub use postgres::documents::search_sql;
pub use postgres::PostgresStore;
