//! A benchmark's account: one owner with a bucket, stored pairs to read and pre-signed puts
//! to send (signing is the client's cost, so it happens before any timing).

use std::sync::Arc;

use causeway::auth::{AddressKind, Net, Signer};

use super::BenchServer;

pub const VALUE: &str =
    "benchmark value of a size typical for a small Rein document header..........";

/// One put's form fields.
pub type PutForm = Vec<(&'static str, String)>;

/// One seed put's form fields: `value` under `key`, signed by `signer` under `nonce`.
pub fn put_form(signer: &Signer, key: String, value: &str, nonce: &str) -> PutForm {
    let address = signer.address.as_str();
    let signature = signer.sign(&format!("{key}{value}{address}{nonce}"));
    vec![
        ("key", key),
        ("value", value.to_owned()),
        ("address", address.to_owned()),
        ("nonce", nonce.to_owned()),
        ("signature", signature),
    ]
}

pub struct Owner {
    pub signer: Signer,
    pub address: String,
    pub account_id: i64,
    pub bucket_id: i64,
}

impl BenchServer {
    /// An owner with a free bucket holding `keys` pairs `g1..=g{keys}` of `VALUE`.
    pub async fn owner_with_pairs(&self, http: &reqwest::Client, keys: i64) -> Owner {
        let signer = Signer::random(AddressKind::P2pkh, Net::Mainnet);
        let address = signer.address.as_str().to_owned();
        let granted = http
            .get(format!(
                "{}/request?owner={address}&contact=bench",
                self.base
            ))
            .send()
            .await
            .expect("request a bucket");
        assert!(granted.status().is_success(), "{}", granted.status());
        let ids = self
            .sql
            .query_one(
                "SELECT b.account_id, b.id FROM buckets b JOIN accounts a ON a.id = b.account_id \
                 WHERE a.address = $1",
                &[&address],
            )
            .await
            .expect("the bucket");
        let (account_id, bucket_id): (i64, i64) = (ids.get(0), ids.get(1));
        if keys > 0 {
            self.sql
                .execute(
                    "INSERT INTO pairs (key, account_id, bucket_id, value, size, etag) \
                     SELECT 'g' || g, $1, $2, convert_to($3, 'UTF8'), 100, 'e' FROM generate_series(1, $4::BIGINT) g",
                    &[&account_id, &bucket_id, &VALUE, &keys],
                )
                .await
                .expect("store pairs");
            self.sql.batch_execute("ANALYZE").await.expect("analyze");
        }
        Owner {
            signer,
            address,
            account_id,
            bucket_id,
        }
    }

    /// A fresh nonce of the account `address`.
    pub async fn nonce(&self, http: &reqwest::Client, address: &str) -> String {
        let nonce: serde_json::Value = http
            .get(format!("{}/nonce?address={address}", self.base))
            .send()
            .await
            .expect("a nonce")
            .json()
            .await
            .expect("a nonce body");
        nonce["nonce"].as_str().expect("nonce").to_owned()
    }

    /// `n` puts of new keys `{prefix}0..{prefix}{n}`, each signed under one fresh nonce of
    /// `owner` (keys are global: each owner needs a prefix of its own).
    pub async fn presigned_puts(
        &self,
        http: &reqwest::Client,
        owner: &Owner,
        prefix: &str,
        n: usize,
    ) -> Arc<Vec<PutForm>> {
        let nonce = self.nonce(http, &owner.address).await;
        Arc::new(
            (0..n)
                .map(|i| put_form(&owner.signer, format!("{prefix}{i}"), VALUE, &nonce))
                .collect(),
        )
    }
}
