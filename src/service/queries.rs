//! The Rein client's `/query` kinds: which documents each one finds, and the account rule.

use super::{Service, ServiceError};
use crate::auth::Address;
use crate::store::{DocQuery, FoundDoc, Searchable};

/// Most documents in one answer.
pub const QUERY_LIMIT: i64 = 100;
/// Most enrollments `get_user` returns.
pub const USER_LIMIT: i64 = 20;
/// Most job ids one `by_job_id` or `dispute` query may name.
pub const MAX_JOB_IDS: usize = 100;

const ENROLLMENT: &str = "Rein User Enrollment";

/// A `/query` kind with its parameters, as the Rein client sends them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryKind {
    Mediators,
    Jobs,
    Bids,
    Deliveries {
        job_creator: String,
    },
    InProcess {
        worker: String,
    },
    Review {
        mediator: String,
    },
    ByJobId {
        job_ids: Vec<String>,
    },
    Dispute {
        job_ids: Vec<String>,
    },
    UserRatings {
        dest: Option<String>,
        source: Option<String>,
    },
    UserName {
        msin: String,
    },
    User {
        search_input: String,
    },
}

impl QueryKind {
    /// The name of the kind, which is also the answer's key for its results.
    pub fn name(&self) -> &'static str {
        match self {
            QueryKind::Mediators => "mediators",
            QueryKind::Jobs => "jobs",
            QueryKind::Bids => "bids",
            QueryKind::Deliveries { .. } => "deliveries",
            QueryKind::InProcess { .. } => "in-process",
            QueryKind::Review { .. } => "review",
            QueryKind::ByJobId { .. } => "by_job_id",
            QueryKind::Dispute { .. } => "dispute",
            QueryKind::UserRatings { .. } => "get_user_ratings",
            QueryKind::UserName { .. } => "get_user_name",
            QueryKind::User { .. } => "get_user",
        }
    }
}

#[derive(Debug, Clone)]
pub struct QueryRequest {
    pub owner: Address,
    pub kind: QueryKind,
    pub testnet: bool,
}

/// What a query found, in the kind's own item shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryItems {
    /// The stored values.
    Values(Vec<String>),
    /// `{"key", "value"}` items.
    Pairs(Vec<(String, String)>),
    /// `["error"]`: `get_user_ratings` named neither `dest` nor `source`.
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryOutcome {
    /// The owner holds no bucket.
    AccountRequired,
    Found(QueryItems),
}

fn search(title: Option<&str>, testnet: Option<bool>, fields: &[(&str, &str)]) -> DocQuery {
    DocQuery {
        title: title.map(str::to_owned),
        testnet,
        fields: fields
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect(),
        contains: None,
        limit: QUERY_LIMIT,
    }
}

fn values(found: Vec<FoundDoc>) -> QueryItems {
    QueryItems::Values(found.into_iter().map(|doc| doc.value).collect())
}

fn pairs(found: Vec<FoundDoc>) -> QueryItems {
    QueryItems::Pairs(found.into_iter().map(|doc| (doc.key, doc.value)).collect())
}

impl Service {
    /// Whether `owner` may query: it must hold at least one bucket.
    pub(super) async fn holds_a_bucket(&self, owner: &Address) -> Result<bool, ServiceError> {
        let Some(account) = self.store.find_account(owner.as_str()).await? else {
            return Ok(false);
        };
        Ok(!self.store.buckets(account.id).await?.is_empty())
    }

    pub async fn query(&self, request: QueryRequest) -> Result<QueryOutcome, ServiceError> {
        if !self.holds_a_bucket(&request.owner).await? {
            return Ok(QueryOutcome::AccountRequired);
        }
        let net = Some(request.testnet);
        let items = match &request.kind {
            QueryKind::Mediators => values(
                self.find(search(
                    Some(ENROLLMENT),
                    net,
                    &[("Willing to mediate", "True")],
                ))
                .await?,
            ),
            QueryKind::Jobs => values(self.find(search(Some("Rein Job"), net, &[])).await?),
            QueryKind::Bids => values(self.find(search(Some("Rein Bid"), net, &[])).await?),
            QueryKind::Deliveries { job_creator } => values(
                self.find(search(
                    Some("Rein Delivery"),
                    net,
                    &[("Job creator public key", job_creator)],
                ))
                .await?,
            ),
            QueryKind::InProcess { worker } => values(
                self.find(search(None, net, &[("Worker public key", worker)]))
                    .await?,
            ),
            QueryKind::Review { mediator } => values(
                self.find(search(None, net, &[("Mediator public key", mediator)]))
                    .await?,
            ),
            QueryKind::ByJobId { job_ids } => {
                let mut found = Vec::new();
                for id in job_ids {
                    found.extend(self.find(search(None, net, &[("Job ID", id)])).await?);
                }
                values(oldest_first(found, QUERY_LIMIT))
            }
            QueryKind::Dispute { job_ids } => {
                // Either network: a dispute concerns the job wherever it was posted.
                let mut found = Vec::new();
                for id in job_ids {
                    let deliveries = self
                        .find(search(Some("Rein Delivery"), None, &[("Job ID", id)]))
                        .await?;
                    if deliveries.is_empty() {
                        found.extend(
                            self.find(search(Some("Rein Offer"), None, &[("Job ID", id)]))
                                .await?,
                        );
                    } else {
                        found.extend(deliveries);
                    }
                }
                values(oldest_first(found, QUERY_LIMIT))
            }
            QueryKind::UserRatings { dest, source } => {
                let mut fields = Vec::new();
                if let Some(dest) = dest {
                    fields.push(("User msin", dest.as_str()));
                }
                if let Some(source) = source {
                    fields.push(("Rater msin", source.as_str()));
                }
                if fields.is_empty() {
                    QueryItems::Error
                } else {
                    pairs(self.find(search(Some("Rein Rating"), net, &fields)).await?)
                }
            }
            QueryKind::UserName { msin } => pairs(
                self.find(search(
                    Some(ENROLLMENT),
                    net,
                    &[("Secure Identity Number", msin)],
                ))
                .await?,
            ),
            QueryKind::User { search_input } => values(self.find_user(search_input, net).await?),
        };
        Ok(QueryOutcome::Found(items))
    }

    /// `get_user`: exact identity fields first, then "contains" on name and contact; the
    /// first rule that finds anything answers.
    async fn find_user(
        &self,
        input: &str,
        testnet: Option<bool>,
    ) -> Result<Vec<FoundDoc>, ServiceError> {
        for field in [
            "Secure Identity Number",
            "Master signing address",
            "Delegate signing address",
        ] {
            let mut query = search(Some(ENROLLMENT), testnet, &[(field, input)]);
            query.limit = USER_LIMIT;
            let found = self.find(query).await?;
            if !found.is_empty() {
                return Ok(found);
            }
        }
        if input.is_empty() {
            return Ok(Vec::new());
        }
        for field in [Searchable::User, Searchable::Contact] {
            let mut query = search(Some(ENROLLMENT), testnet, &[]);
            query.contains = Some((field, input.to_owned()));
            query.limit = USER_LIMIT;
            let found = self.find(query).await?;
            if !found.is_empty() {
                return Ok(found);
            }
        }
        Ok(Vec::new())
    }

    async fn find(&self, query: DocQuery) -> Result<Vec<FoundDoc>, ServiceError> {
        Ok(self.documents.find_documents(&query).await?)
    }
}

/// Merges per-id answers: oldest first, each document once, at most `limit`.
fn oldest_first(mut found: Vec<FoundDoc>, limit: i64) -> Vec<FoundDoc> {
    found.sort_by_key(|doc| doc.seq);
    found.dedup_by_key(|doc| doc.seq);
    found.truncate(usize::try_from(limit).unwrap_or(0));
    found
}
