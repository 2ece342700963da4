//! PostgreSQL errors in the store's terms: connection trouble is `Unavailable` (503, retry
//! later), a refused statement is a bug (`Internal`), a lost race is worth a retry.

use deadpool_postgres::PoolError;
use tokio_postgres::error::SqlState;

use crate::service::ports::StoreError;

pub(super) fn pool_error(err: PoolError) -> StoreError {
    StoreError::Unavailable(format!("postgresql pool: {err}"))
}

pub(super) fn db_error(err: tokio_postgres::Error) -> StoreError {
    // The database's own message says which statement failed and why; keep it for the log.
    let why = match err.as_db_error() {
        Some(db) => format!("postgresql {}: {}", db.code().code(), db.message()),
        None => format!("postgresql: {err}"),
    };
    match err.code() {
        Some(code) if is_transient(code) => StoreError::Unavailable(why),
        Some(_) => StoreError::Internal(why),
        None => StoreError::Unavailable(why),
    }
}

fn is_transient(code: &SqlState) -> bool {
    let class = &code.code()[..2];
    // 08 connection, 53 resources, 57 operator intervention (shutdown), 40 rollbacks.
    matches!(class, "08" | "53" | "57" | "40")
}

/// A concurrent insert of the same new key, a serialization failure or a deadlock: the
/// transaction rolled back whole and may simply run again.
pub(super) fn is_lost_race(err: &tokio_postgres::Error) -> bool {
    matches!(
        err.code(),
        Some(&SqlState::UNIQUE_VIOLATION)
            | Some(&SqlState::T_R_SERIALIZATION_FAILURE)
            | Some(&SqlState::T_R_DEADLOCK_DETECTED)
    )
}
