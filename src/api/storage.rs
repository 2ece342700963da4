//! `/put`, `/get` and `/delete`: parse both request shapes, call the service, map the outcome.

use poem::web::Data;
use poem_openapi::param::{Header, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::Example;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::bodies::{DeleteBody, PutBody};
use super::head;
use super::params::{self, Required};
use super::route_errors::{DeleteError, GetError, PutError};
use super::tags::Tag;
use crate::domain::Client;
use crate::service::{GetOutcome, GetRequest, RateClass, Service, Stored};

pub struct StorageApi {
    pub service: Service,
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct PutReply {
    /// Always `success`.
    pub result: String,
    /// Always `success`.
    pub status: String,
    /// The bucket now holding the pair.
    pub bucket: i64,
    /// Bytes still free in that bucket.
    pub bytes_free: i64,
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct DeleteReply {
    pub result: String,
    pub status: String,
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct PairReply {
    pub key: String,
    pub value: String,
}

#[derive(ApiResponse)]
pub enum PutResponse {
    /// Stored.
    #[oai(status = 201)]
    Created(Json<PutReply>),
}

#[derive(ApiResponse)]
pub enum DeleteResponse {
    /// Removed; its bytes are free again.
    #[oai(status = 200)]
    Deleted(Json<DeleteReply>),
}

#[derive(ApiResponse)]
pub enum GetResponse {
    /// The value; reading it was charged to its bucket's transfer allowance.
    #[oai(status = 200)]
    Found(Json<PairReply>, #[oai(header = "ETag")] String),
    /// The caller's copy (`If-None-Match`) is current; not charged.
    #[oai(status = 304)]
    NotModified(#[oai(header = "ETag")] String),
}

fn success() -> String {
    "success".into()
}

#[OpenApi(tag = "Tag::Storage")]
impl StorageApi {
    /// Store or replace a key/value pair.
    ///
    /// Signed message: `key + value + signer + nonce`. The pair goes into the owner's newest
    /// active bucket with room; a replacement is charged only its growth.
    #[oai(path = "/put", method = "post", operation_id = "putValue")]
    async fn put(&self, body: PutBody) -> Result<PutResponse, PutError> {
        let request = body.into_request(&self.service)?;
        let Stored {
            bucket_id,
            bytes_free,
        } = self.service.put(request).await?;
        Ok(PutResponse::Created(Json(PutReply {
            result: success(),
            status: success(),
            bucket: bucket_id,
            bytes_free,
        })))
    }

    /// Read a value.
    ///
    /// Each served read charges the value's length to its bucket's transfer allowance; a
    /// `HEAD` answers the same status and headers without the body and is not charged.
    #[oai(path = "/get", method = "get", operation_id = "getValue")]
    async fn get(
        &self,
        /// The key to read.
        key: Query<Required>,
        /// An ETag from an earlier read: answered 304, not charged, while it is current.
        #[oai(name = "If-None-Match")]
        if_none_match: Header<Option<String>>,
        http: &poem::Request,
        client: Data<&Client>,
    ) -> Result<GetResponse, GetError> {
        let key = match params::key(&key.0) {
            Ok(key) => key,
            Err(invalid) => {
                // Counted like any read (the middleware leaves /get to the service).
                self.service.admit_client(&client, RateClass::Reads).await?;
                return Err(invalid.into());
            }
        };
        let request = GetRequest {
            key: key.clone(),
            if_none_match: if_none_match.0,
            serves_body: head::serves_body(http),
            client: *client.0,
        };
        Ok(match self.service.get(request).await? {
            GetOutcome::Found { value, etag } => GetResponse::Found(
                Json(PairReply {
                    key: key.as_str().to_owned(),
                    value,
                }),
                etag,
            ),
            GetOutcome::NotModified { etag } => GetResponse::NotModified(etag),
        })
    }

    /// Remove a pair and free its bytes.
    #[oai(path = "/delete", method = "post", operation_id = "deleteValue")]
    async fn delete(&self, body: DeleteBody) -> Result<DeleteResponse, DeleteError> {
        let request = body.into_request(&self.service)?;
        self.service.delete(request).await?;
        Ok(DeleteResponse::Deleted(Json(DeleteReply {
            result: success(),
            status: success(),
        })))
    }
}

impl Example for PutReply {
    fn example() -> PutReply {
        PutReply {
            result: success(),
            status: success(),
            bucket: 7,
            bytes_free: 1_047_000,
        }
    }
}

impl Example for DeleteReply {
    fn example() -> DeleteReply {
        DeleteReply {
            result: success(),
            status: success(),
        }
    }
}

impl Example for PairReply {
    fn example() -> PairReply {
        PairReply {
            key: "profile".into(),
            value: "Rein User Enrollment\nUser: Priya Raman".into(),
        }
    }
}
