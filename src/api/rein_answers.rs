//! The typed answers of `/query` and `/bitcoin`, in the exact shapes the deployed Rein client parses.

use poem_openapi::types::Example;
use poem_openapi::{Object, Union};

use super::error::ApiError;
use super::storage::PairReply;
use crate::service::{BitcoinOutcome, BlockInfo, QueryItems, QueryKind, ServiceError};

const ACCOUNT_REQUIRED: &str = "Account required to make queries";
const NODE_NOT_ENABLED: &str = "Bitcoin Core not enabled for this server";

const ENROLLMENT_EXAMPLE: &str = "-----BEGIN BITCOIN SIGNED MESSAGE-----\nRein User \
    Enrollment\nUser: Teodora Vasquez\nSecure Identity Number: \
    Tf3zYNJMdHThFvSLXqjuSzKsowkYpnaWmuz\nWilling to mediate: True\n...";
const JOB_EXAMPLE: &str = "-----BEGIN BITCOIN SIGNED MESSAGE-----\nRein Job\nJob name: \
    Illustrated field guide to coastal lichens\nJob ID: m5o3ot0qqisav5x5y7lf\n...";
const BID_EXAMPLE: &str = "-----BEGIN BITCOIN SIGNED MESSAGE-----\nRein Bid\nJob name: \
    Illustrated field guide to coastal lichens\nWorker: Priya Raman\n...";
const DELIVERY_EXAMPLE: &str = "-----BEGIN BITCOIN SIGNED MESSAGE-----\nRein Delivery\nJob ID: \
    m5o3ot0qqisav5x5y7lf\nWorker public key: \
    029329bbec4671c766a4a40cc6a424b171aaa0e1d5b670592e53119b0763d4fde5\n...";
const RATING_EXAMPLE: &str = "-----BEGIN BITCOIN SIGNED MESSAGE-----\nRein Rating\nRating: 5\n\
    User msin: TfEGPtQ9EGMMUCX44D7t4rdrCcYykdh47th\n...";

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

/// `query=mediators`.
#[derive(Debug, Object)]
#[oai(example)]
pub struct MediatorsReply {
    /// Always `success`.
    pub result: String,
    /// Enrollments with `Willing to mediate: True`, oldest first.
    pub mediators: Vec<String>,
    /// The block 12 below the tip; null without a node.
    #[oai(nullable)]
    pub block_info: Option<BlockReply>,
}

/// `query=jobs`.
#[derive(Debug, Object)]
#[oai(example)]
pub struct JobsReply {
    /// Always `success`.
    pub result: String,
    /// `Rein Job` documents, oldest first.
    pub jobs: Vec<String>,
    /// The block 12 below the tip; null without a node.
    #[oai(nullable)]
    pub block_info: Option<BlockReply>,
}

/// `query=bids`.
#[derive(Debug, Object)]
#[oai(example)]
pub struct BidsReply {
    /// Always `success`.
    pub result: String,
    /// `Rein Bid` documents, oldest first.
    pub bids: Vec<String>,
    /// The block 12 below the tip; null without a node.
    #[oai(nullable)]
    pub block_info: Option<BlockReply>,
}

/// `query=deliveries&job_creator=...`.
#[derive(Debug, Object)]
#[oai(example)]
pub struct DeliveriesReply {
    /// Always `success`.
    pub result: String,
    /// `Rein Delivery` documents whose `Job creator public key` is `job_creator`.
    pub deliveries: Vec<String>,
    /// The block 12 below the tip; null without a node.
    #[oai(nullable)]
    pub block_info: Option<BlockReply>,
}

/// `query=in-process&worker=...`.
#[derive(Debug, Object)]
#[oai(example)]
pub struct InProcessReply {
    /// Always `success`.
    pub result: String,
    /// Documents whose `Worker public key` is `worker`.
    #[oai(rename = "in-process")]
    pub in_process: Vec<String>,
    /// The block 12 below the tip; null without a node.
    #[oai(nullable)]
    pub block_info: Option<BlockReply>,
}

/// `query=review&mediator=...`.
#[derive(Debug, Object)]
#[oai(example)]
pub struct ReviewReply {
    /// Always `success`.
    pub result: String,
    /// Documents whose `Mediator public key` is `mediator`.
    pub review: Vec<String>,
    /// The block 12 below the tip; null without a node.
    #[oai(nullable)]
    pub block_info: Option<BlockReply>,
}

/// `query=by_job_id&job_ids=...`.
#[derive(Debug, Object)]
#[oai(example)]
pub struct ByJobIdReply {
    /// Always `success`.
    pub result: String,
    /// Documents whose `Job ID` is one of `job_ids`.
    pub by_job_id: Vec<String>,
    /// The block 12 below the tip; null without a node.
    #[oai(nullable)]
    pub block_info: Option<BlockReply>,
}

/// `query=dispute&job_ids=...`.
#[derive(Debug, Object)]
#[oai(example)]
pub struct DisputeReply {
    /// Always `success`.
    pub result: String,
    /// Per job id its `Rein Delivery` documents, or if none its `Rein Offer` documents, of
    /// either network.
    pub dispute: Vec<String>,
    /// The block 12 below the tip; null without a node.
    #[oai(nullable)]
    pub block_info: Option<BlockReply>,
}

/// `query=get_user_ratings` with `dest` and/or `source`.
#[derive(Debug, Object)]
#[oai(example)]
pub struct UserRatingsReply {
    /// Always `success`.
    pub result: String,
    /// `Rein Rating` documents with `User msin` = `dest` and/or `Rater msin` = `source`.
    pub get_user_ratings: Vec<PairReply>,
    /// The block 12 below the tip; null without a node.
    #[oai(nullable)]
    pub block_info: Option<BlockReply>,
}

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

/// `query=get_user_name&msin=...`.
#[derive(Debug, Object)]
#[oai(example)]
pub struct UserNameReply {
    /// Always `success`.
    pub result: String,
    /// Enrollments whose `Secure Identity Number` is `msin`.
    pub get_user_name: Vec<PairReply>,
    /// The block 12 below the tip; null without a node.
    #[oai(nullable)]
    pub block_info: Option<BlockReply>,
}

/// `query=get_user&search_input=...`.
#[derive(Debug, Object)]
#[oai(example)]
pub struct UserReply {
    /// Always `success`.
    pub result: String,
    /// At most 20 enrollments, from the first of `Secure Identity Number`, `Master signing
    /// address`, `Delegate signing address` (equal), `User`, `Contact` (contains) that
    /// finds any.
    pub get_user: Vec<String>,
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

impl Example for BlockReply {
    fn example() -> BlockReply {
        BlockReply {
            hash: "0000000000000000000c51382fd1ca28d79d61786d4860ac813115d63c2ea978".into(),
            height: 925_000,
            time: 1_764_061_207,
        }
    }
}

impl Example for MessageReply {
    fn example() -> MessageReply {
        MessageReply::account_required()
    }
}

impl Example for SentReply {
    fn example() -> SentReply {
        SentReply {
            txid: "7868a1bd6cb60d03c8c62c143f95b70f11f9702ed4ba164604088cd373ff9a47".into(),
        }
    }
}

fn example_block() -> Option<BlockReply> {
    Some(BlockReply::example())
}

impl Example for MediatorsReply {
    fn example() -> MediatorsReply {
        MediatorsReply {
            result: success(),
            mediators: vec![ENROLLMENT_EXAMPLE.into()],
            block_info: example_block(),
        }
    }
}

impl Example for JobsReply {
    fn example() -> JobsReply {
        JobsReply {
            result: success(),
            jobs: vec![JOB_EXAMPLE.into()],
            block_info: example_block(),
        }
    }
}

impl Example for BidsReply {
    fn example() -> BidsReply {
        BidsReply {
            result: success(),
            bids: vec![BID_EXAMPLE.into()],
            block_info: example_block(),
        }
    }
}

impl Example for DeliveriesReply {
    fn example() -> DeliveriesReply {
        DeliveriesReply {
            result: success(),
            deliveries: vec![DELIVERY_EXAMPLE.into()],
            block_info: example_block(),
        }
    }
}

impl Example for InProcessReply {
    fn example() -> InProcessReply {
        InProcessReply {
            result: success(),
            in_process: vec![DELIVERY_EXAMPLE.into()],
            block_info: example_block(),
        }
    }
}

impl Example for ReviewReply {
    fn example() -> ReviewReply {
        ReviewReply {
            result: success(),
            review: vec![JOB_EXAMPLE.into()],
            block_info: example_block(),
        }
    }
}

impl Example for ByJobIdReply {
    fn example() -> ByJobIdReply {
        ByJobIdReply {
            result: success(),
            by_job_id: vec![JOB_EXAMPLE.into(), DELIVERY_EXAMPLE.into()],
            block_info: example_block(),
        }
    }
}

impl Example for DisputeReply {
    fn example() -> DisputeReply {
        DisputeReply {
            result: success(),
            dispute: vec![DELIVERY_EXAMPLE.into()],
            block_info: example_block(),
        }
    }
}

impl Example for UserRatingsReply {
    fn example() -> UserRatingsReply {
        UserRatingsReply {
            result: success(),
            get_user_ratings: vec![PairReply {
                key: "rating-m5o3ot0qqisav5x5y7lf".into(),
                value: RATING_EXAMPLE.into(),
            }],
            block_info: example_block(),
        }
    }
}

impl Example for UserRatingsErrorReply {
    fn example() -> UserRatingsErrorReply {
        UserRatingsErrorReply {
            result: success(),
            get_user_ratings: vec!["error".into()],
            block_info: None,
        }
    }
}

impl Example for UserNameReply {
    fn example() -> UserNameReply {
        UserNameReply {
            result: success(),
            get_user_name: vec![PairReply {
                key: "enrollment".into(),
                value: ENROLLMENT_EXAMPLE.into(),
            }],
            block_info: example_block(),
        }
    }
}

impl Example for UserReply {
    fn example() -> UserReply {
        UserReply {
            result: success(),
            get_user: vec![ENROLLMENT_EXAMPLE.into()],
            block_info: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use poem_openapi::types::ToJSON;

    use super::*;

    fn wire(reply: impl ToJSON) -> String {
        serde_json::to_string(&reply.to_json().unwrap()).unwrap()
    }

    fn block() -> Option<BlockInfo> {
        Some(BlockInfo {
            hash: "00ab".into(),
            height: 7,
            time: 1_700_000_000,
        })
    }

    fn found(kind: QueryKind, items: QueryItems, block: Option<BlockInfo>) -> String {
        wire(QueryReply::found(&kind, items, block).unwrap())
    }

    #[test]
    fn query_answers_keep_the_rein_client_shape() {
        assert_eq!(
            found(
                QueryKind::Jobs,
                QueryItems::Values(vec!["a".into()]),
                block()
            ),
            r#"{"block_info":{"hash":"00ab","height":7,"time":1700000000},"jobs":["a"],"result":"success"}"#
        );
        assert_eq!(
            found(
                QueryKind::InProcess { worker: "w".into() },
                QueryItems::Values(vec![]),
                None
            ),
            r#"{"block_info":null,"in-process":[],"result":"success"}"#
        );
        assert_eq!(
            found(
                QueryKind::UserName { msin: "m".into() },
                QueryItems::Pairs(vec![("k".into(), "v".into())]),
                None
            ),
            r#"{"block_info":null,"get_user_name":[{"key":"k","value":"v"}],"result":"success"}"#
        );
        let unasked = QueryKind::UserRatings {
            dest: None,
            source: None,
        };
        assert_eq!(
            found(unasked, QueryItems::Error, None),
            r#"{"block_info":null,"get_user_ratings":["error"],"result":"success"}"#
        );
        assert_eq!(
            wire(QueryReply::Refused(MessageReply::account_required())),
            r#"{"message":"Account required to make queries","result":"error"}"#
        );
    }

    #[test]
    fn items_of_another_kinds_shape_are_an_internal_error() {
        let mismatched = QueryReply::found(&QueryKind::Jobs, QueryItems::Error, None);
        assert!(matches!(mismatched, Err(ApiError::Internal(_))));
    }

    #[test]
    fn bitcoin_answers_keep_the_rein_client_shape() {
        let block = BitcoinOutcome::Block(block().unwrap());
        assert_eq!(
            wire(BitcoinReply::from(block)),
            r#"{"hash":"00ab","height":7,"time":1700000000}"#
        );
        let sent = BitcoinOutcome::Sent { txid: "ff".into() };
        assert_eq!(wire(BitcoinReply::from(sent)), r#"{"txid":"ff"}"#);
        assert_eq!(
            wire(BitcoinReply::from(BitcoinOutcome::NotEnabled)),
            r#"{"message":"Bitcoin Core not enabled for this server","result":"error"}"#
        );
    }
}
