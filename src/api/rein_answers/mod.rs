//! The typed answers of `/query` and `/bitcoin`, in the exact shapes the deployed Rein client parses.

use poem_openapi::{Object, Union};

use super::error::ApiError;
use super::storage::PairReply;
use crate::service::{BitcoinOutcome, BlockInfo, QueryItems, QueryKind, ServiceError};

mod examples;
#[cfg(test)]
mod tests;

const ACCOUNT_REQUIRED: &str = "Account required to make queries";
const NODE_NOT_ENABLED: &str = "Bitcoin Core not enabled for this server";

fn success() -> String {
    "success".into()
}

/// A block: the `block_info` of a query answer, and a `/bitcoin` block look-up.
#[derive(Debug, Object)]
#[oai(example)]
pub struct BlockReply {
    /// The block hash in hex.
    pub hash: String,
    pub height: i64,
    /// The block's time, in Unix seconds.
    pub time: i64,
}

impl From<BlockInfo> for BlockReply {
    fn from(block: BlockInfo) -> BlockReply {
        BlockReply {
            hash: block.hash,
            height: block.height,
            time: block.time,
        }
    }
}

/// Understood but not served, with status 200 as the Rein client expects: the owner holds
/// no bucket, or no Bitcoin node is configured.
#[derive(Debug, Object)]
#[oai(example)]
pub struct MessageReply {
    /// Always `error`.
    pub result: String,
    pub message: String,
}

impl MessageReply {
    fn new(message: &str) -> MessageReply {
        MessageReply {
            result: "error".into(),
            message: message.into(),
        }
    }

    pub fn account_required() -> MessageReply {
        MessageReply::new(ACCOUNT_REQUIRED)
    }
}

/// One `/query` kind's success answer: `result`, the documents under the kind's own key,
/// and `block_info`. One schema per kind, so a generated client knows which key to read.
macro_rules! kind_reply {
    ($name:ident, $field:ident: Vec<$item:ty>, $wire:tt, $kind:tt, $what:tt) => {
        #[doc = $kind]
        #[derive(Debug, Object)]
        #[oai(example)]
        pub struct $name {
            /// Always `success`.
            pub result: String,
            #[doc = $what]
            #[oai(rename = $wire)]
            pub $field: Vec<$item>,
            /// The block 12 below the tip; null without a node.
            #[oai(nullable)]
            pub block_info: Option<BlockReply>,
        }
    };
}

kind_reply!(
    MediatorsReply,
    mediators: Vec<String>,
    "mediators",
    "`query=mediators`.",
    "Enrollments with `Willing to mediate: True`, oldest first."
);
kind_reply!(
    JobsReply,
    jobs: Vec<String>,
    "jobs",
    "`query=jobs`.",
    "`Rein Job` documents, oldest first."
);
kind_reply!(
    BidsReply,
    bids: Vec<String>,
    "bids",
    "`query=bids`.",
    "`Rein Bid` documents, oldest first."
);
kind_reply!(
    DeliveriesReply,
    deliveries: Vec<String>,
    "deliveries",
    "`query=deliveries&job_creator=...`.",
    "`Rein Delivery` documents whose `Job creator public key` is `job_creator`."
);
kind_reply!(
    InProcessReply,
    in_process: Vec<String>,
    "in-process",
    "`query=in-process&worker=...`.",
    "Documents whose `Worker public key` is `worker`."
);
kind_reply!(
    ReviewReply,
    review: Vec<String>,
    "review",
    "`query=review&mediator=...`.",
    "Documents whose `Mediator public key` is `mediator`."
);
kind_reply!(
    ByJobIdReply,
    by_job_id: Vec<String>,
    "by_job_id",
    "`query=by_job_id&job_ids=...`.",
    "Documents whose `Job ID` is one of `job_ids`."
);
kind_reply!(
    DisputeReply,
    dispute: Vec<String>,
    "dispute",
    "`query=dispute&job_ids=...`.",
    "Per job id its `Rein Delivery` documents, or if none its `Rein Offer` documents, of \
     either network."
);
kind_reply!(
    UserRatingsReply,
    get_user_ratings: Vec<PairReply>,
    "get_user_ratings",
    "`query=get_user_ratings` with `dest` and/or `source`.",
    "`Rein Rating` documents with `User msin` = `dest` and/or `Rater msin` = `source`."
);
kind_reply!(
    UserNameReply,
    get_user_name: Vec<PairReply>,
    "get_user_name",
    "`query=get_user_name&msin=...`.",
    "Enrollments whose `Secure Identity Number` is `msin`."
);
kind_reply!(
    UserReply,
    get_user: Vec<String>,
    "get_user",
    "`query=get_user&search_input=...`.",
    "At most 20 enrollments, from the first of `Secure Identity Number`, `Master signing \
     address`, `Delegate signing address` (equal), `User`, `Contact` (contains) that finds any."
);

/// `query=get_user_ratings` naming neither `dest` nor `source`.
#[derive(Debug, Object)]
#[oai(example)]
pub struct UserRatingsErrorReply {
    /// Always `success`.
    pub result: String,
    /// Always `["error"]`.
    // One item exactly, so an empty list matches only `UserRatingsReply` in the `oneOf`.
    #[oai(validator(min_items = 1, max_items = 1))]
    pub get_user_ratings: Vec<String>,
    /// The block 12 below the tip; null without a node.
    #[oai(nullable)]
    pub block_info: Option<BlockReply>,
}

/// What `/query` answers: the documents found under the kind's own key, or why the owner
/// may not ask.
#[derive(Debug, Union)]
#[oai(one_of)]
pub enum QueryReply {
    Mediators(MediatorsReply),
    Jobs(JobsReply),
    Bids(BidsReply),
    Deliveries(DeliveriesReply),
    InProcess(InProcessReply),
    Review(ReviewReply),
    ByJobId(ByJobIdReply),
    Dispute(DisputeReply),
    UserRatings(UserRatingsReply),
    UserRatingsError(UserRatingsErrorReply),
    UserName(UserNameReply),
    User(UserReply),
    Refused(MessageReply),
}

fn pair_replies(pairs: Vec<(String, String)>) -> Vec<PairReply> {
    pairs
        .into_iter()
        .map(|(key, value)| PairReply { key, value })
        .collect()
}

impl QueryReply {
    /// The answer to a query of `kind` that found `items`, with `block_info`.
    pub fn found(
        kind: &QueryKind,
        items: QueryItems,
        block: Option<BlockInfo>,
    ) -> Result<QueryReply, ApiError> {
        use QueryItems::{Pairs, Values};
        let result = success();
        let block_info = block.map(BlockReply::from);
        Ok(match (kind, items) {
            (QueryKind::Mediators, Values(mediators)) => QueryReply::Mediators(MediatorsReply {
                result,
                mediators,
                block_info,
            }),
            (QueryKind::Jobs, Values(jobs)) => QueryReply::Jobs(JobsReply {
                result,
                jobs,
                block_info,
            }),
            (QueryKind::Bids, Values(bids)) => QueryReply::Bids(BidsReply {
                result,
                bids,
                block_info,
            }),
            (QueryKind::Deliveries { .. }, Values(deliveries)) => {
                QueryReply::Deliveries(DeliveriesReply {
                    result,
                    deliveries,
                    block_info,
                })
            }
            (QueryKind::InProcess { .. }, Values(in_process)) => {
                QueryReply::InProcess(InProcessReply {
                    result,
                    in_process,
                    block_info,
                })
            }
            (QueryKind::Review { .. }, Values(review)) => QueryReply::Review(ReviewReply {
                result,
                review,
                block_info,
            }),
            (QueryKind::ByJobId { .. }, Values(by_job_id)) => QueryReply::ByJobId(ByJobIdReply {
                result,
                by_job_id,
                block_info,
            }),
            (QueryKind::Dispute { .. }, Values(dispute)) => QueryReply::Dispute(DisputeReply {
                result,
                dispute,
                block_info,
            }),
            (QueryKind::UserRatings { .. }, Pairs(pairs)) => {
                QueryReply::UserRatings(UserRatingsReply {
                    result,
                    get_user_ratings: pair_replies(pairs),
                    block_info,
                })
            }
            (QueryKind::UserRatings { .. }, QueryItems::Error) => {
                QueryReply::UserRatingsError(UserRatingsErrorReply {
                    result,
                    get_user_ratings: vec!["error".into()],
                    block_info,
                })
            }
            (QueryKind::UserName { .. }, Pairs(pairs)) => QueryReply::UserName(UserNameReply {
                result,
                get_user_name: pair_replies(pairs),
                block_info,
            }),
            (QueryKind::User { .. }, Values(get_user)) => QueryReply::User(UserReply {
                result,
                get_user,
                block_info,
            }),
            // The service shapes each kind's items; any other pairing is a bug there.
            (kind, _) => {
                return Err(ServiceError::Internal(format!(
                    "query {} found items of another kind's shape",
                    kind.name()
                ))
                .into())
            }
        })
    }
}

/// `/bitcoin` after `sendrawtransaction`: the node accepted the transaction.
#[derive(Debug, Object)]
#[oai(example)]
pub struct SentReply {
    /// The transaction id in hex.
    pub txid: String,
}

/// What `/bitcoin` answers: a block, a broadcast transaction's id, or why the owner may not
/// ask.
#[derive(Debug, Union)]
#[oai(one_of)]
pub enum BitcoinReply {
    Block(BlockReply),
    Sent(SentReply),
    Refused(MessageReply),
}

impl From<BitcoinOutcome> for BitcoinReply {
    fn from(outcome: BitcoinOutcome) -> BitcoinReply {
        match outcome {
            BitcoinOutcome::NotEnabled => {
                BitcoinReply::Refused(MessageReply::new(NODE_NOT_ENABLED))
            }
            BitcoinOutcome::AccountRequired => {
                BitcoinReply::Refused(MessageReply::account_required())
            }
            BitcoinOutcome::Block(block) => BitcoinReply::Block(block.into()),
            BitcoinOutcome::Sent { txid } => BitcoinReply::Sent(SentReply { txid }),
        }
    }
}
