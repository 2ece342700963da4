//! `/put`, `/get` and `/delete`: parse both request shapes, call the service, map the outcome.

use poem::web::Data;
use poem_openapi::param::{Header, Query};
use poem_openapi::payload::{Form, Json};
use poem_openapi::types::Example;
use poem_openapi::{ApiRequest, ApiResponse, Object, OpenApi};

use super::error::ApiError;
use super::head;
use super::params::{self, Flag};
use super::tags::Tag;
use crate::domain::Client;
use crate::service::{
    DeleteRequest, GetOutcome, GetRequest, PutRequest, RateClass, Service, Stored,
};

pub struct StorageApi {
    pub service: Service,
}

/// Parameters of `/put`, in the seed shape (`address`) or the Rein shape
/// (`owner` + `signature_address`, optional `testnet`).
#[derive(Debug, Object, serde::Deserialize)]
#[oai(example)]
pub struct PutParams {
    /// 1-64 printable ASCII characters; keys are global.
    pub key: Option<String>,
    /// At most `max_value_bytes` (default 8192) UTF-8 bytes.
    pub value: Option<String>,
    /// The account's live nonce, from `/nonce`.
    pub nonce: Option<String>,
    /// Base64 Bitcoin signed message over `key + value + signer + nonce`.
    pub signature: Option<String>,
    /// Seed shape: the account to charge, which also signs.
    pub address: Option<String>,
    /// Rein shape: the account to charge.
    pub owner: Option<String>,
    /// Rein shape: the signer, the owner itself or its proven delegate.
    pub signature_address: Option<String>,
    /// Rein shape: tags the document's network for `/query`.
    pub testnet: Option<Flag>,
}

#[derive(ApiRequest)]
pub enum PutBody {
    Json(Json<PutParams>),
    Form(Form<PutParams>),
}

/// Parameters of `/delete`. Signed message: `key + address + nonce`.
#[derive(Debug, Object, serde::Deserialize)]
#[oai(example)]
pub struct DeleteParams {
    pub key: Option<String>,
    /// The signer: the owner or its proven delegate.
    pub address: Option<String>,
    pub nonce: Option<String>,
    pub signature: Option<String>,
    /// The account holding the key, when a delegate signs.
    pub owner: Option<String>,
}

#[derive(ApiRequest)]
pub enum DeleteBody {
    Json(Json<DeleteParams>),
    Form(Form<DeleteParams>),
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

impl PutBody {
    fn into_request(self, service: &Service) -> Result<PutRequest, ApiError> {
        let p = match self {
            PutBody::Json(Json(p)) | PutBody::Form(Form(p)) => p,
        };
        let config = service.config();
        let accepted = &config.accepted_networks.0;
        // Sizes first: nothing oversized reaches the crypto or the stores.
        let key = params::key(&p.key)?;
        let value = params::value(p.value, config.max_value_bytes)?;
        let signer_text = p
            .signature_address
            .as_ref()
            .or(p.address.as_ref())
            .ok_or_else(|| {
                ApiError::bad_request("missing parameter address (or signature_address)")
            })?;
        let signer = params::address("signer address", signer_text, accepted)?;
        let owner = match p.owner.as_ref().or(p.address.as_ref()) {
            Some(text) => params::address("owner", text, accepted)?,
            None => signer.clone(),
        };
        Ok(PutRequest {
            key,
            value,
            owner,
            signer,
            nonce: params::nonce(&p.nonce)?,
            signature: params::signature(&p.signature)?,
            testnet: p.testnet.unwrap_or_default().0,
        })
    }
}

impl DeleteBody {
    fn into_request(self, service: &Service) -> Result<DeleteRequest, ApiError> {
        let p = match self {
            DeleteBody::Json(Json(p)) | DeleteBody::Form(Form(p)) => p,
        };
        let accepted = &service.config().accepted_networks.0;
        Ok(DeleteRequest {
            key: params::key(&p.key)?,
            signer: params::required_address("address", &p.address, accepted)?,
            owner: params::optional_address("owner", &p.owner, accepted)?,
            nonce: params::nonce(&p.nonce)?,
            signature: params::signature(&p.signature)?,
        })
    }
}

#[OpenApi(tag = "Tag::Storage")]
impl StorageApi {
    /// Store or replace a key/value pair.
    ///
    /// Signed message: `key + value + signer + nonce`. The pair goes into the owner's newest
    /// active bucket with room; a replacement is charged only its growth.
    #[oai(path = "/put", method = "post", operation_id = "putValue")]
    async fn put(&self, body: PutBody) -> Result<PutResponse, ApiError> {
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
        key: Query<Option<String>>,
        /// An ETag from an earlier read: answered 304, not charged, while it is current.
        #[oai(name = "If-None-Match")]
        if_none_match: Header<Option<String>>,
        http: &poem::Request,
        client: Data<&Client>,
    ) -> Result<GetResponse, ApiError> {
        let key = match params::key(&key.0) {
            Ok(key) => key,
            Err(invalid) => {
                // Counted like any read (the middleware leaves /get to the service).
                self.service.admit_client(&client, RateClass::Reads).await?;
                return Err(invalid);
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
    async fn delete(&self, body: DeleteBody) -> Result<DeleteResponse, ApiError> {
        let request = body.into_request(&self.service)?;
        self.service.delete(request).await?;
        Ok(DeleteResponse::Deleted(Json(DeleteReply {
            result: success(),
            status: success(),
        })))
    }
}

impl Example for PutParams {
    fn example() -> PutParams {
        PutParams {
            key: Some("profile".into()),
            value: Some("Rein User Enrollment\nUser: Priya Raman".into()),
            nonce: Some("3f2a9c0d8e7b6a5f4e3d2c1b0a998877".into()),
            signature: Some("Hy2N4C7jc4cYjxWR11AU9mm4shBmumqXIsRkGfjUz5kpEQqGQhUds+MZTtxfIvVXfpOpCshewwIHmOjULvOaNbE=".into()),
            address: Some("1DYP8ALtTrCJAgVzUGA4RHkcaJ5CxW7CWY".into()),
            owner: None,
            signature_address: None,
            testnet: None,
        }
    }
}

impl Example for DeleteParams {
    fn example() -> DeleteParams {
        DeleteParams {
            key: Some("profile".into()),
            address: Some("1DYP8ALtTrCJAgVzUGA4RHkcaJ5CxW7CWY".into()),
            nonce: Some("3f2a9c0d8e7b6a5f4e3d2c1b0a998877".into()),
            signature: Some("Hy2N4C7jc4cYjxWR11AU9mm4shBmumqXIsRkGfjUz5kpEQqGQhUds+MZTtxfIvVXfpOpCshewwIHmOjULvOaNbE=".into()),
            owner: None,
        }
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
