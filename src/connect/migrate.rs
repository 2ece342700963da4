//! Applies the numbered SQL files of `migrations/` once each, under an advisory lock so
//! replicas starting together never race.

use deadpool_postgres::Pool;

/// Every migration, in order; the number is the version recorded once applied.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/0001_core.sql")),
    (2, include_str!("../../migrations/0002_payments.sql")),
    (3, include_str!("../../migrations/0003_lifecycle.sql")),
    (4, include_str!("../../migrations/0004_documents.sql")),
    (5, include_str!("../../migrations/0005_mail_lease.sql")),
    (6, include_str!("../../migrations/0006_one_delegate.sql")),
    (
        7,
        include_str!("../../migrations/0007_dense_deposit_indexes.sql"),
    ),
];

/// Any fixed number, shared by every replica of every version of Causeway.
const MIGRATION_LOCK: i64 = 0x6361_7573_6577_6179;

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("cannot reach postgresql: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
    #[error("migration failed: {0}")]
    Sql(#[from] tokio_postgres::Error),
}

/// Applies what is missing; returns the versions applied now.
pub async fn run(pool: &Pool) -> Result<Vec<i64>, MigrateError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    // Transaction-scoped: released by commit or by the connection dying, never leaked.
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version BIGINT PRIMARY KEY,
             applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
    )
    .await?;
    let mut applied = Vec::new();
    for (version, sql) in MIGRATIONS {
        let done = tx
            .query_opt(
                "SELECT 1 FROM schema_migrations WHERE version = $1",
                &[version],
            )
            .await?
            .is_some();
        if !done {
            tx.batch_execute(sql).await?;
            tx.execute(
                "INSERT INTO schema_migrations (version) VALUES ($1)",
                &[version],
            )
            .await?;
            applied.push(*version);
        }
    }
    tx.commit().await?;
    Ok(applied)
}
