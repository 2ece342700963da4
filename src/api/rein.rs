//! `/query` and `/bitcoin`, as the deployed Rein client calls them.

use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::OpenApi;

use super::error::ApiError;
use super::params::{self, Flag, Required};
use super::rein_answers::{BitcoinReply, MessageReply, QueryReply};
use super::route_errors::QueryError;
use super::tags::Tag;
use crate::service::{BitcoinQuery, QueryKind, QueryOutcome, QueryRequest, Service, MAX_JOB_IDS};

pub struct ReinApi {
    pub service: Service,
}

/// Longest query parameter worth comparing: no stored field is longer than a value.
const MAX_PARAM_CHARS: usize = 8192;
/// Longest raw transaction accepted for broadcast, in hex characters.
const MAX_TX_HEX: usize = 200_000;

/// A text parameter: present, free of NUL, not absurdly long.
fn text(name: &str, value: &Option<String>) -> Result<String, ApiError> {
    let value = params::required(name, value)?;
    checked_text(name, value)
}

fn checked_text(name: &str, value: &str) -> Result<String, ApiError> {
    if value.contains('\0') {
        return Err(ApiError::bad_request(format!(
            "bad {name}: must not contain NUL"
        )));
    }
    if value.chars().count() > MAX_PARAM_CHARS {
        return Err(ApiError::bad_request(format!("bad {name}: too long")));
    }
    Ok(value.to_owned())
}

fn optional_text(name: &str, value: &Option<String>) -> Result<Option<String>, ApiError> {
    value.as_deref().map(|v| checked_text(name, v)).transpose()
}

fn job_id_list(value: &Option<String>) -> Result<Vec<String>, ApiError> {
    let list = text("job_ids", value)?;
    let ids: Vec<String> = list
        .split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
        .collect();
    if ids.len() > MAX_JOB_IDS {
        return Err(ApiError::bad_request(format!(
            "bad job_ids: at most {MAX_JOB_IDS} ids"
        )));
    }
    Ok(ids)
}

fn not_negative(name: &str, value: &Option<String>) -> Result<i64, ApiError> {
    params::required(name, value)?
        .parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
        .ok_or_else(|| ApiError::bad_request(format!("bad {name}: a non-negative integer")))
}

fn is_hex(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_hexdigit())
}

#[OpenApi(tag = "Tag::Rein")]
impl ReinApi {
    /// Search stored Rein documents (Rein client).
    ///
    /// Kinds: `mediators`, `jobs`, `bids`, `deliveries` (`job_creator`), `in-process`
    /// (`worker`), `review` (`mediator`), `by_job_id` (`job_ids`), `dispute` (`job_ids`),
    /// `get_user_ratings` (`dest` and/or `source`), `get_user_name` (`msin`), `get_user`
    /// (`search_input`). Answers `{"result": "success", "<kind>": [...], "block_info":
    /// {"hash", "height", "time"} | null}`, at most 100 documents oldest first (20 for
    /// `get_user`), or `{"result": "error", "message": "Account required to make
    /// queries"}` when the owner holds no bucket.
    #[oai(path = "/query", method = "get", operation_id = "queryDocuments")]
    #[allow(clippy::too_many_arguments)]
    async fn query(
        &self,
        /// The asking account; it must hold a bucket.
        owner: Query<Required>,
        /// The kind of search.
        query: Query<Required>,
        /// `True` or `1` for testnet documents; anything else mainnet.
        testnet: Query<Option<Flag>>,
        job_creator: Query<Option<String>>,
        worker: Query<Option<String>>,
        mediator: Query<Option<String>>,
        /// Comma-separated job ids.
        job_ids: Query<Option<String>>,
        dest: Query<Option<String>>,
        source: Query<Option<String>>,
        msin: Query<Option<String>>,
        search_input: Query<Option<String>>,
    ) -> Result<Json<QueryReply>, QueryError> {
        let accepted = &self.service.config().accepted_networks.0;
        let owner = params::required_address("owner", &owner.0, accepted)?;
        let kind = match params::required("query", &query.0)? {
            "mediators" => QueryKind::Mediators,
            "jobs" => QueryKind::Jobs,
            "bids" => QueryKind::Bids,
            "deliveries" => QueryKind::Deliveries {
                job_creator: text("job_creator", &job_creator.0)?,
            },
            "in-process" => QueryKind::InProcess {
                worker: text("worker", &worker.0)?,
            },
            "review" => QueryKind::Review {
                mediator: text("mediator", &mediator.0)?,
            },
            "by_job_id" => QueryKind::ByJobId {
                job_ids: job_id_list(&job_ids.0)?,
            },
            "dispute" => QueryKind::Dispute {
                job_ids: job_id_list(&job_ids.0)?,
            },
            "get_user_ratings" => QueryKind::UserRatings {
                dest: optional_text("dest", &dest.0)?,
                source: optional_text("source", &source.0)?,
            },
            "get_user_name" => QueryKind::UserName {
                msin: text("msin", &msin.0)?,
            },
            "get_user" => QueryKind::User {
                search_input: text("search_input", &search_input.0)?,
            },
            other => {
                return Err(ApiError::bad_request(format!(
                    "unknown query kind {:?}",
                    other.chars().take(64).collect::<String>()
                ))
                .into())
            }
        };
        let request = QueryRequest {
            owner,
            kind: kind.clone(),
            testnet: testnet.0.unwrap_or_default().0,
        };
        let items = match self.service.query(request).await? {
            QueryOutcome::AccountRequired => {
                return Ok(Json(QueryReply::Refused(MessageReply::account_required())))
            }
            QueryOutcome::Found(items) => items,
        };
        let block_info = self.service.block_info().await;
        Ok(Json(QueryReply::found(&kind, items, block_info)?))
    }

    /// Ask the operator's Bitcoin node (Rein client).
    ///
    /// `query=getbydepth&depth=N`, `getbyheight&height=H`, `getbyhash&hash=X` answer
    /// `{"height", "hash", "time"}`; `sendrawtransaction&tx=HEX` answers `{"txid"}`.
    /// Without a node: `{"result": "error", "message": "Bitcoin Core not enabled for this
    /// server"}`. The node refusing → 400 with its message; unreachable → 503.
    #[oai(path = "/bitcoin", method = "get", operation_id = "queryBitcoin")]
    async fn bitcoin(
        &self,
        /// The asking account; it must hold a bucket.
        owner: Query<Required>,
        /// `getbydepth`, `getbyheight`, `getbyhash` or `sendrawtransaction`.
        query: Query<Required>,
        depth: Query<Option<String>>,
        height: Query<Option<String>>,
        hash: Query<Option<String>>,
        /// A raw transaction in hex.
        tx: Query<Option<String>>,
    ) -> Result<Json<BitcoinReply>, QueryError> {
        let accepted = &self.service.config().accepted_networks.0;
        let owner = params::required_address("owner", &owner.0, accepted)?;
        let request = match params::required("query", &query.0)? {
            "getbydepth" => BitcoinQuery::ByDepth(not_negative("depth", &depth.0)?),
            "getbyheight" => BitcoinQuery::ByHeight(not_negative("height", &height.0)?),
            "getbyhash" => {
                let hash = params::required("hash", &hash.0)?;
                if hash.len() != 64 || !is_hex(hash) {
                    return Err(ApiError::bad_request("bad hash: 64 hex characters").into());
                }
                BitcoinQuery::ByHash(hash.to_ascii_lowercase())
            }
            "sendrawtransaction" => {
                let tx = params::required("tx", &tx.0)?;
                if tx.len() > MAX_TX_HEX || tx.len() % 2 != 0 || !is_hex(tx) {
                    return Err(
                        ApiError::bad_request("bad tx: an even number of hex characters").into(),
                    );
                }
                BitcoinQuery::SendRawTransaction(tx.to_owned())
            }
            _ => return Err(ApiError::bad_request("unknown bitcoin query").into()),
        };
        let outcome = self.service.bitcoin(&owner, request).await?;
        Ok(Json(outcome.into()))
    }
}
