//! Put, get and delete of key/value pairs: authority, quota and bandwidth.

use sha2::{Digest, Sha256};

use super::error::ServiceError;
use super::handle::Service;
use super::ports::{Charge, NewPair, PutOutcome};
use super::rules::bandwidth;
use crate::auth::{Address, Signature};
use crate::domain::{Client, Key, Nonce, Value};
use crate::telemetry::metrics::METRICS;

/// A put in either request shape, parsed: the seed shape has owner = signer.
#[derive(Debug, Clone)]
pub struct PutRequest {
    pub key: Key,
    pub value: Value,
    pub owner: Address,
    pub signer: Address,
    pub nonce: Nonce,
    pub signature: Signature,
    pub testnet: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub bucket_id: i64,
    pub bytes_free: i64,
}

#[derive(Debug, Clone)]
pub struct DeleteRequest {
    pub key: Key,
    pub signer: Address,
    /// The account the key belongs to; the signer's own when absent.
    pub owner: Option<Address>,
    pub nonce: Nonce,
    pub signature: Signature,
}

#[derive(Debug, Clone)]
pub struct GetRequest {
    pub key: Key,
    pub if_none_match: Option<String>,
    /// False for a `HEAD`: the answer carries no body, so nothing is charged.
    pub serves_body: bool,
    /// Who asks: a read counts against its rate limit here, not in the API's middleware.
    pub client: Client,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GetOutcome {
    Found { value: String, etag: String },
    NotModified { etag: String },
}

impl Service {
    pub async fn put(&self, request: PutRequest) -> Result<Stored, ServiceError> {
        let account = self.account(&request.owner).await?;
        let message = format!(
            "{}{}{}{}",
            request.key,
            request.value.as_str(),
            request.signer,
            request.nonce
        );
        let admitted = self
            .admit(
                &account,
                &request.signer,
                &request.nonce,
                &message,
                &request.signature,
                Some(request.value.as_str()),
            )
            .await?;
        let size = (request.key.as_str().len() + request.value.as_str().len()) as i64;
        let etag = etag_of(request.value.as_str());
        let outcome = self
            .pairs
            .put_pair(
                NewPair {
                    account_id: account.id,
                    key: request.key.as_str(),
                    value: request.value.as_str(),
                    size,
                    etag: &etag,
                    testnet: request.testnet,
                    document: admitted.document.as_ref(),
                },
                self.clock.now(),
            )
            .await;
        let refused = match outcome {
            Ok(PutOutcome::Stored {
                bucket_id,
                bytes_free,
            }) => {
                return Ok(Stored {
                    bucket_id,
                    bytes_free,
                })
            }
            Ok(PutOutcome::KeyOwnedByOther) => ServiceError::KeyOwnedByOther,
            Ok(PutOutcome::NoRoom) => ServiceError::InsufficientStorage {
                needed: size,
                payment: self.payment_hint(account.id).await,
            },
            Err(err) => err.into(),
        };
        // Nothing was stored, so the same signed request may be sent again later.
        self.release(admitted).await;
        Err(refused)
    }

    pub async fn get(&self, request: GetRequest) -> Result<GetOutcome, ServiceError> {
        let pass = self.read_pass(&request.client).await?;
        let pair = match self.pairs.get_pair(request.key.as_str()).await {
            Ok(Some(pair)) => pair,
            Ok(None) => {
                self.pass_alone(pass).await?;
                return Err(ServiceError::NotFound);
            }
            Err(err) => {
                self.pass_alone(pass).await?;
                return Err(err.into());
            }
        };
        if !bandwidth::serves_from(&pair.bucket) {
            self.pass_alone(pass).await?;
            return Err(ServiceError::BucketExpired {
                payment: self.payment_hint(pair.account_id).await,
            });
        }
        if request
            .if_none_match
            .as_deref()
            .is_some_and(|tags| etag_matches(tags, &pair.etag))
        {
            self.pass_alone(pass).await?;
            return Ok(GetOutcome::NotModified { etag: pair.etag });
        }
        let bytes = bandwidth::charged_bytes(pair.value.len(), request.serves_body);
        let served = if request.serves_body {
            let charge = Charge {
                bucket_id: pair.bucket.id,
                bytes,
                folded: pair.bucket.transfer_used,
                allowance: pair.bucket.transfer_total,
            };
            self.pass_and_charge(pass, charge).await?
        } else {
            // Answers as a GET would (402 once the allowance can not pay for the value),
            // charging nothing.
            self.pass_alone(pass).await?;
            let pending = self.meter.pending(pair.bucket.id).await?;
            bandwidth::fits(
                pair.bucket.transfer_used,
                pending,
                pair.value.len() as i64,
                pair.bucket.transfer_total,
            )
        };
        if served {
            METRICS.bandwidth_served.inc_by(bytes.unsigned_abs());
        } else {
            return Err(ServiceError::BandwidthExhausted {
                payment: self.payment_hint(pair.account_id).await,
            });
        }
        Ok(GetOutcome::Found {
            value: pair.value,
            etag: pair.etag,
        })
    }

    pub async fn delete(&self, request: DeleteRequest) -> Result<(), ServiceError> {
        let owner = request.owner.as_ref().unwrap_or(&request.signer);
        let account = self.account(owner).await?;
        let message = format!("{}{}{}", request.key, request.signer, request.nonce);
        let admitted = self
            .admit(
                &account,
                &request.signer,
                &request.nonce,
                &message,
                &request.signature,
                None,
            )
            .await?;
        match self
            .pairs
            .delete_pair(account.id, request.key.as_str())
            .await
        {
            Ok(true) => Ok(()),
            Ok(false) => {
                self.release(admitted).await;
                Err(ServiceError::NotFound)
            }
            Err(err) => {
                self.release(admitted).await;
                Err(err.into())
            }
        }
    }
}

/// A strong entity tag: the value's hash, so equal values share a tag across replicas.
fn etag_of(value: &str) -> String {
    let digest = Sha256::digest(value.as_bytes());
    format!("\"{}\"", hex::encode(&digest[..16]))
}

/// `If-None-Match` matching (RFC 9110): a list of tags or `*`, weak comparison.
fn etag_matches(header: &str, etag: &str) -> bool {
    header.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == etag
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etag_matching_follows_if_none_match_rules() {
        let tag = etag_of("hello");
        assert!(etag_matches(&tag, &tag));
        assert!(etag_matches(&format!("\"x\", W/{tag}"), &tag));
        assert!(etag_matches("*", &tag));
        assert!(!etag_matches("\"other\"", &tag));
        assert_ne!(etag_of("hello"), etag_of("hello "));
    }
}
