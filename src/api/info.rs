//! Service information: `/`, `/help`, `/info`, `/price`, `/status`.

use poem_openapi::payload::Json;
use poem_openapi::types::Example;
use poem_openapi::{Object, OpenApi};

use super::route_errors::{InfoError, StatusError};
use super::tags::Tag;
use crate::service::Service;

pub struct InfoApi {
    pub service: Service,
}

/// Every public endpoint, as `/help` lists it: (method, path, description, parameters).
const ENDPOINTS: &[(&str, &str, &str, &[&str])] = &[
    ("GET", "/", "This help.", &[]),
    ("GET", "/help", "This help.", &[]),
    ("GET", "/info", "GET paths that need no parameter.", &[]),
    ("GET", "/price", "Price of one bucket in satoshis.", &[]),
    (
        "GET",
        "/status",
        "Uptime, bytes stored and free, price.",
        &[],
    ),
    (
        "GET",
        "/nonce",
        "The account's nonce for signing; clear ends it.",
        &["address", "clear"],
    ),
    (
        "GET",
        "/request",
        "Create an account and grant a free bucket.",
        &["owner", "delegate", "contact", "signature"],
    ),
    (
        "POST",
        "/put",
        "Store or replace a signed key/value pair.",
        &[
            "key",
            "value",
            "address",
            "owner",
            "signature_address",
            "nonce",
            "signature",
            "testnet",
        ],
    ),
    (
        "GET",
        "/get",
        "Read a value (charged to its bucket's transfer).",
        &["key"],
    ),
    (
        "POST",
        "/delete",
        "Remove a pair.",
        &["key", "address", "owner", "nonce", "signature"],
    ),
    (
        "GET",
        "/query",
        "Search stored Rein documents (Rein client).",
        &[
            "owner",
            "query",
            "testnet",
            "job_creator",
            "worker",
            "mediator",
            "job_ids",
            "dest",
            "source",
            "msin",
            "search_input",
        ],
    ),
    (
        "GET",
        "/bitcoin",
        "Block look-ups and transaction broadcast through the operator's node (Rein client).",
        &["owner", "query", "depth", "height", "hash", "tx"],
    ),
    ("GET", "/openapi.json", "The OpenAPI 3 document.", &[]),
    ("GET", "/docs", "Interactive API page.", &[]),
];

/// The GET paths that need no parameter, for `/info`.
const PARAMETERLESS: &[&str] = &[
    "/",
    "/help",
    "/info",
    "/price",
    "/status",
    "/openapi.json",
    "/docs",
];

#[derive(Debug, Object)]
pub struct EndpointReply {
    pub method: String,
    pub path: String,
    pub description: String,
    pub parameters: Vec<String>,
}

#[derive(Debug, Object)]
pub struct HelpReply {
    pub name: String,
    pub version: String,
    pub description: String,
    /// Price of one bucket in satoshis.
    pub price: i64,
    pub endpoints: Vec<EndpointReply>,
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct PriceReply {
    /// Satoshis for one bucket: 1 MB storage + 50 MB transfer for a year.
    pub price: i64,
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct StatusReply {
    /// Seconds this replica has run.
    pub uptime: u64,
    /// Bytes stored.
    pub stored: i64,
    /// Capacity bytes not used.
    pub free: i64,
    /// Price of one bucket in satoshis.
    pub price: i64,
}

impl InfoApi {
    fn help_reply(&self) -> HelpReply {
        HelpReply {
            name: "causeway".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Storage server of the Rein decentralized freelance market: signed \
                          key/value pairs in paid buckets."
                .into(),
            price: self.service.price_sats(),
            endpoints: ENDPOINTS
                .iter()
                .map(|(method, path, description, parameters)| EndpointReply {
                    method: (*method).into(),
                    path: (*path).into(),
                    description: (*description).into(),
                    parameters: parameters.iter().map(|p| (*p).into()).collect(),
                })
                .collect(),
        }
    }
}

#[OpenApi(tag = "Tag::Info")]
impl InfoApi {
    /// What this server is and the endpoints it serves.
    #[oai(path = "/", method = "get", operation_id = "getIndex")]
    async fn root(&self) -> Result<Json<HelpReply>, InfoError> {
        Ok(Json(self.help_reply()))
    }

    /// What this server is and the endpoints it serves.
    #[oai(path = "/help", method = "get", operation_id = "getHelp")]
    async fn help(&self) -> Result<Json<HelpReply>, InfoError> {
        Ok(Json(self.help_reply()))
    }

    /// The GET paths that need no parameter.
    #[oai(path = "/info", method = "get", operation_id = "getInfo")]
    async fn info(&self) -> Result<Json<Vec<String>>, InfoError> {
        Ok(Json(PARAMETERLESS.iter().map(|p| (*p).into()).collect()))
    }

    /// Price of one bucket (1 MB storage + 50 MB transfer) in satoshis.
    #[oai(path = "/price", method = "get", operation_id = "getPrice")]
    async fn price(&self) -> Result<Json<PriceReply>, InfoError> {
        Ok(Json(PriceReply {
            price: self.service.price_sats(),
        }))
    }

    /// Uptime of this replica, bytes stored and free, price.
    #[oai(path = "/status", method = "get", operation_id = "getStatus")]
    async fn status(&self) -> Result<Json<StatusReply>, StatusError> {
        let status = self.service.status().await?;
        Ok(Json(StatusReply {
            uptime: status.uptime_secs,
            stored: status.stored,
            free: status.free,
            price: status.price,
        }))
    }
}

impl Example for PriceReply {
    fn example() -> PriceReply {
        PriceReply { price: 10_000 }
    }
}

impl Example for StatusReply {
    fn example() -> StatusReply {
        StatusReply {
            uptime: 3600,
            stored: 524_288,
            free: 10_736_893_952,
            price: 10_000,
        }
    }
}
