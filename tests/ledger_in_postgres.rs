//! What PostgreSQL itself guarantees about money, and the operator's `credit` command.

mod common;

use common::fake_node::FakeNode;
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

/// BIP-32 test vector 1, chain m/0H, and its child 1 as a P2WPKH address.
const XPUB_M_0H: &str = "xpub68Gmy5EdvgibQVfPdqkBBCHxA5htiqg55crXYuXoQRKfDBFA1WEjWgP6LHhwBZeNK1VTsfTFUHCdrfp1bgwQ9xv5ski8PX9rL2dZXvgGDnw";
const M_0H_1: &str = "bc1qhm6697d9d2224vfyt8mj4kw03ncec7a7fdafvt";

/// The schema as version 6 left it: deposit addresses at the account id.
const BEFORE_DENSE_INDEXES: [&str; 6] = [
    include_str!("../migrations/0001_core.sql"),
    include_str!("../migrations/0002_payments.sql"),
    include_str!("../migrations/0003_lifecycle.sql"),
    include_str!("../migrations/0004_documents.sql"),
    include_str!("../migrations/0005_mail_lease.sql"),
    include_str!("../migrations/0006_one_delegate.sql"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn addresses_handed_out_before_dense_indexes_stay_valid_and_new_ones_follow() {
    let real = common::RealBackends::fresh().await;
    let sql = real.sql().await;
    sql.batch_execute(
        "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, \
         applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
    )
    .await
    .unwrap();
    for (version, migration) in (1i64..).zip(BEFORE_DENSE_INDEXES) {
        sql.batch_execute(migration).await.unwrap();
        sql.execute(
            "INSERT INTO schema_migrations (version) VALUES ($1)",
            &[&version],
        )
        .await
        .unwrap();
    }
    // Account 1 was handed the child at its id; account 2 never asked.
    let (old, never_asked) = (p2pkh(), p2pkh());
    sql.execute(
        "INSERT INTO accounts (id, address, deposit_address) VALUES (1, $1, $2), (2, $3, NULL)",
        &[
            &old.address.as_str(),
            &M_0H_1,
            &never_asked.address.as_str(),
        ],
    )
    .await
    .unwrap();
    sql.batch_execute("SELECT setval('accounts_id_seq', 2)")
        .await
        .unwrap();

    let node = FakeNode::start("rpc", "pw").await;
    let mut config = common::test_config();
    real.apply(&mut config);
    config.deposit_xpub = Some(XPUB_M_0H.into());
    config.bitcoind_url = Some(node.url.clone());
    config.bitcoind_user = Some("rpc".into());
    config.bitcoind_password = Some("pw".into());
    let server = TestServer::from_config(config, Some(real)).await;

    // The old owner asking again gets the same address; a deposit to it is credited.
    assert_eq!(address_of(&server, &old).await, M_0H_1);
    node.set_received(vec![(M_0H_1.into(), "0.0001".into(), 6)]);
    let report = server.service.poll_payments().await.unwrap().unwrap();
    assert_eq!((report.credited, report.credited_sats), (1, 10_000));
    // New askers continue after the highest old index, with no gap.
    let (late, later) = (p2pkh(), p2pkh());
    let late_address = address_of(&server, &never_asked).await;
    address_of(&server, &late).await;
    address_of(&server, &later).await;
    assert_ne!(late_address, M_0H_1);
    let indexes: Vec<(String, i32)> = sql
        .query(
            "SELECT address, deposit_index FROM accounts WHERE deposit_index IS NOT NULL \
             ORDER BY deposit_index",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    let want: Vec<(String, i32)> = [&old, &never_asked, &late, &later]
        .iter()
        .zip(1..)
        .map(|(signer, index)| (signer.address.as_str().to_owned(), index))
        .collect();
    assert_eq!(indexes, want);
    let balance: i64 = sql
        .query_one("SELECT balance_sats FROM accounts WHERE id = 1", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(balance, 10_000);
}

async fn address_of(server: &TestServer, signer: &causeway::auth::Signer) -> String {
    let contact = "owner@example.org";
    let signature = signer.sign(&format!("{contact}{}", signer.address));
    let (status, body) = server
        .get_query(
            "/address",
            &[
                ("contact", contact),
                ("address", signer.address.as_str()),
                ("signature", &signature),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["address"].as_str().unwrap().to_owned()
}
