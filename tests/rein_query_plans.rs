//! Every search every `/query` kind runs is served by an index, shown by PostgreSQL's own
//! EXPLAIN over a table of 60,000 documents: no query scans stored values.

mod common;

use causeway::service::{plan, QueryKind};
use causeway::store::search_sql;
use common::{p2pkh, Backend, TestServer};
use tokio_postgres::types::ToSql;

const DOCUMENTS: i64 = 60_000;
const SYNTHETIC_DOCUMENTS: &str = include_str!("../benches/synthetic_documents.sql");

fn kinds() -> Vec<QueryKind> {
    vec![
        QueryKind::Mediators,
        QueryKind::Jobs,
        QueryKind::Bids,
        QueryKind::Deliveries {
            job_creator: "c17".into(),
        },
        QueryKind::InProcess {
            worker: "w17".into(),
        },
        QueryKind::Review {
            mediator: "m17".into(),
        },
        QueryKind::ByJobId {
            job_ids: vec!["job17".into(), "job18".into()],
        },
        QueryKind::Dispute {
            job_ids: vec!["job17".into()],
        },
        QueryKind::UserRatings {
            dest: Some("u17".into()),
            source: None,
        },
        QueryKind::UserRatings {
            dest: None,
            source: Some("r17".into()),
        },
        QueryKind::UserName { msin: "s17".into() },
        QueryKind::User {
            search_input: "name 1717".into(),
        },
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_query_kind_uses_an_index() {
    let server = TestServer::start(Backend::Real).await;
    let owner = p2pkh();
    server.enroll(&owner).await;
    let sql = server.real.as_ref().unwrap().sql().await;
    sql.execute(SYNTHETIC_DOCUMENTS, &[&1_i64, &DOCUMENTS])
        .await
        .unwrap();
    sql.batch_execute("ANALYZE pairs").await.unwrap();

    let mut checked = 0;
    for kind in kinds() {
        for testnet in [false, true] {
            for search in plan(&kind, testnet).searches() {
                let (query, params) = search_sql(search);
                let refs: Vec<&(dyn ToSql + Sync)> = params
                    .iter()
                    .map(|p| p.as_ref() as &(dyn ToSql + Sync))
                    .collect();
                let row = sql
                    .query_one(&format!("EXPLAIN (FORMAT JSON) {query}"), &refs)
                    .await
                    .unwrap();
                let plan: serde_json::Value = row.get(0);
                let text = plan.to_string();
                assert!(
                    !text.contains("\"Seq Scan\""),
                    "{} scans the table: {query}\n{plan:#}",
                    kind.name()
                );
                assert!(
                    text.contains("Index Scan") || text.contains("Index Only Scan"),
                    "{} uses no index: {query}\n{plan:#}",
                    kind.name()
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 30, "only {checked} searches checked");
}
