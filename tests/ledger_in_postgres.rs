//! What PostgreSQL itself guarantees about money, and the operator's `credit` command.

mod common;

use common::{p2pkh, Backend, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ledger_rows_can_not_be_changed_or_removed_and_balances_not_go_negative() {
    let server = TestServer::start(Backend::Real).await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    server
        .service
        .credit(&owner.address, 700, "gift")
        .await
        .unwrap();
    let sql = server.real.as_ref().unwrap().sql().await;
    let update = sql.execute("UPDATE ledger SET delta_sats = 1", &[]).await;
    assert!(update.unwrap_err().to_string().contains("db error"));
    let delete = sql.execute("DELETE FROM ledger", &[]).await;
    assert!(delete.is_err());
    let negative = sql
        .execute("UPDATE accounts SET balance_sats = -1", &[])
        .await;
    let err = negative.unwrap_err();
    assert_eq!(
        err.code(),
        Some(&tokio_postgres::error::SqlState::CHECK_VIOLATION)
    );
    let row = sql
        .query_one("SELECT count(*), sum(delta_sats)::BIGINT FROM ledger", &[])
        .await
        .unwrap();
    assert_eq!((row.get::<_, i64>(0), row.get::<_, i64>(1)), (1, 700));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credit_command_credits_and_debits_with_a_memo() {
    let server = TestServer::start(Backend::Real).await;
    let real = server.real.clone().unwrap();
    let owner = p2pkh();
    server.enroll(&owner).await;
    let run = |sats: &str| {
        common::binary::causeway()
            .args([
                "credit",
                owner.address.as_str(),
                sats,
                "--memo",
                "paid by bank transfer",
            ])
            .env("DATABASE_URL", &real.database_url)
            .env("REDIS_URL", &real.redis_url)
            .env("CAUSEWAY_REDIS_PREFIX", &real.redis_prefix)
            .output()
            .unwrap()
    };
    let out = run("1500");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed["balance"], 1500);
    let out = run("-2000");
    assert!(!out.status.success(), "a debit past the balance is refused");
    let out = run("-500");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let entries = server.service.ledger_of(&owner.address).await.unwrap();
    let deltas: Vec<i64> = entries.iter().map(|e| e.delta_sats).collect();
    assert_eq!(deltas, vec![1500, -500]);
    assert!(entries.iter().all(|e| e.memo == "paid by bank transfer"));
}
