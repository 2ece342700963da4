//! `/nonce` and `/request`: nonces for signing, free buckets for Rein clients.

use poem::web::Data;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::types::Example;
use poem_openapi::{Object, OpenApi};
use time::format_description::FormatItem;
use time::macros::format_description;

use super::params::{self, Required};
use super::route_errors::{NonceError, RequestError};
use super::tags::Tag;
use crate::domain::{Bucket, Client};
use crate::service::{FreeBucketRequest, NonceRequest, Service};

/// Rein clients parse bucket dates with `%Y-%m-%d %H:%M:%S`, in UTC.
const BUCKET_DATE: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");

pub struct AccountsApi {
    pub service: Service,
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct NonceReply {
    /// 32 lowercase hex characters; empty after `clear`.
    pub nonce: String,
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct BucketReply {
    pub id: i64,
    /// UTC, `%Y-%m-%d %H:%M:%S`.
    pub created: String,
    /// UTC, `%Y-%m-%d %H:%M:%S`.
    pub expires: String,
    /// `active`, `pending` or `expired`.
    pub status: String,
    pub bytes_free: i64,
    pub transfer_free: i64,
}

impl From<&Bucket> for BucketReply {
    fn from(bucket: &Bucket) -> BucketReply {
        let date = |at: time::OffsetDateTime| {
            at.to_offset(time::UtcOffset::UTC)
                .format(BUCKET_DATE)
                .unwrap_or_default()
        };
        BucketReply {
            id: bucket.id,
            created: date(bucket.created),
            expires: date(bucket.expires),
            status: bucket.status.as_str().to_owned(),
            bytes_free: bucket.bytes_free(),
            transfer_free: (bucket.transfer_total - bucket.transfer_used).max(0),
        }
    }
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct FreeBucketReply {
    /// `success`, or `error` when the account holds its maximum of free buckets.
    pub result: String,
    /// Why no bucket was granted.
    #[oai(skip_serializing_if_is_none)]
    pub message: Option<String>,
    /// All of the account's buckets.
    pub buckets: Vec<BucketReply>,
}

#[OpenApi(tag = "Tag::Accounts")]
impl AccountsApi {
    /// Get a fresh nonce of the account, or end one with `clear`.
    ///
    /// Every call issues its own nonce with a full TTL, so a caller's nonce is known only to
    /// it; `clear` ends that nonce and no other. The nonce belongs to the account: a
    /// delegate signs with its owner's nonce.
    #[oai(path = "/nonce", method = "get", operation_id = "getNonce")]
    async fn nonce(
        &self,
        /// The account.
        address: Query<Required>,
        /// A nonce of the account to end; its other live nonces are untouched.
        clear: Query<Option<String>>,
    ) -> Result<Json<NonceReply>, NonceError> {
        let accepted = &self.service.config().accepted_networks.0;
        let account = params::required_address("address", &address.0, accepted)?;
        let request = match clear.0 {
            Some(_) => NonceRequest::Clear {
                account,
                nonce: params::nonce(&clear.0)?,
            },
            None => NonceRequest::Issue { account },
        };
        let nonce = self.service.nonce(request).await?;
        Ok(Json(NonceReply {
            nonce: nonce.map(|n| n.as_str().to_owned()).unwrap_or_default(),
        }))
    }

    /// Create the account if new and grant a free bucket (Rein client).
    ///
    /// A `signature` by the owner over `owner + delegate + contact` proves the delegate;
    /// without it the delegate is only claimed and may not write for the owner.
    #[oai(path = "/request", method = "get", operation_id = "requestBucket")]
    async fn request(
        &self,
        /// The account.
        owner: Query<Required>,
        /// The address that signs for the account day to day.
        delegate: Query<Option<String>>,
        /// How to reach the owner (email).
        contact: Query<Option<String>>,
        /// Optional: the owner's signature over `owner + delegate + contact`.
        signature: Query<Option<String>>,
        client: Data<&Client>,
    ) -> Result<Json<FreeBucketReply>, RequestError> {
        let accepted = &self.service.config().accepted_networks.0;
        let request = FreeBucketRequest {
            owner: params::required_address("owner", &owner.0, accepted)?,
            delegate: params::optional_address("delegate", &delegate.0, accepted)?,
            contact: params::contact(&contact.0)?,
            signature: params::optional_signature(&signature.0)?,
            client: *client.0,
        };
        let outcome = self.service.request_free_bucket(request).await?;
        let buckets = outcome.buckets.iter().map(BucketReply::from).collect();
        Ok(Json(if outcome.granted {
            FreeBucketReply {
                result: "success".into(),
                message: None,
                buckets,
            }
        } else {
            FreeBucketReply {
                result: "error".into(),
                message: Some("Maximum free buckets granted".into()),
                buckets,
            }
        }))
    }
}

impl Example for NonceReply {
    fn example() -> NonceReply {
        NonceReply {
            nonce: "3f2a9c0d8e7b6a5f4e3d2c1b0a998877".into(),
        }
    }
}

impl Example for BucketReply {
    fn example() -> BucketReply {
        BucketReply {
            id: 7,
            created: "2026-11-25 10:00:00".into(),
            expires: "2027-11-25 10:00:00".into(),
            status: "active".into(),
            bytes_free: 1_048_000,
            transfer_free: 52_428_800,
        }
    }
}

impl Example for FreeBucketReply {
    fn example() -> FreeBucketReply {
        FreeBucketReply {
            result: "success".into(),
            message: None,
            buckets: vec![BucketReply::example()],
        }
    }
}
