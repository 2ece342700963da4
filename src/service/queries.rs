//! The Rein client's `/query` kinds: which documents each one finds, and the account rule.

use std::collections::HashMap;

use super::error::ServiceError;
use super::handle::Service;
use super::ports::{Charge, DocQuery, FoundDoc, Searchable};
use super::rules::bandwidth;
use crate::auth::Address;
use crate::domain::Bucket;
use crate::rein::ENROLLMENT_TITLE;
use crate::telemetry::metrics::METRICS;

/// Most documents in one answer.
pub const QUERY_LIMIT: i64 = 100;
/// Most enrollments `get_user` returns.
pub const USER_LIMIT: i64 = 20;
/// Most job ids one `by_job_id` or `dispute` query may name.
pub const MAX_JOB_IDS: usize = 100;

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

/// How a kind is answered: the searches it runs and how their answers combine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// One search.
    One(DocQuery),
    /// One search per job id, merged oldest first.
    PerId(Vec<DocQuery>),
    /// Searches in order; the first that finds anything answers.
    FirstHit(Vec<DocQuery>),
    /// Per job id: its deliveries, or if none its offers.
    Dispute(Vec<(DocQuery, DocQuery)>),
    /// `get_user_ratings` named neither `dest` nor `source`.
    Nothing,
}

impl Plan {
    /// Every search the plan may run (for checking that each one uses an index).
    pub fn searches(&self) -> Vec<&DocQuery> {
        match self {
            Plan::One(query) => vec![query],
            Plan::PerId(queries) | Plan::FirstHit(queries) => queries.iter().collect(),
            Plan::Dispute(pairs) => pairs.iter().flat_map(|(a, b)| [a, b]).collect(),
            Plan::Nothing => Vec::new(),
        }
    }
}

/// Each id once, in the order first given: a repeated id would run the same search again
/// and hold its documents twice (a stranger's cheap amplification).
fn distinct(ids: &[String]) -> impl Iterator<Item = &String> {
    let mut seen = std::collections::HashSet::new();
    ids.iter().filter(move |id| seen.insert(id.as_str()))
}

/// The searches that answer `kind` on the given network.
pub fn plan(kind: &QueryKind, testnet: bool) -> Plan {
    let net = Some(testnet);
    match kind {
        QueryKind::Mediators => Plan::One(search(
            Some(ENROLLMENT_TITLE),
            net,
            &[("Willing to mediate", "True")],
        )),
        QueryKind::Jobs => Plan::One(search(Some("Rein Job"), net, &[])),
        QueryKind::Bids => Plan::One(search(Some("Rein Bid"), net, &[])),
        QueryKind::Deliveries { job_creator } => Plan::One(search(
            Some("Rein Delivery"),
            net,
            &[("Job creator public key", job_creator)],
        )),
        QueryKind::InProcess { worker } => {
            Plan::One(search(None, net, &[("Worker public key", worker)]))
        }
        QueryKind::Review { mediator } => {
            Plan::One(search(None, net, &[("Mediator public key", mediator)]))
        }
        QueryKind::ByJobId { job_ids } => Plan::PerId(
            distinct(job_ids)
                .map(|id| search(None, net, &[("Job ID", id)]))
                .collect(),
        ),
        // Either network: a dispute concerns the job wherever it was posted.
        QueryKind::Dispute { job_ids } => Plan::Dispute(
            distinct(job_ids)
                .map(|id| {
                    (
                        search(Some("Rein Delivery"), None, &[("Job ID", id)]),
                        search(Some("Rein Offer"), None, &[("Job ID", id)]),
                    )
                })
                .collect(),
        ),
        QueryKind::UserRatings { dest, source } => {
            let mut fields = Vec::new();
            if let Some(dest) = dest {
                fields.push(("User msin", dest.as_str()));
            }
            if let Some(source) = source {
                fields.push(("Rater msin", source.as_str()));
            }
            if fields.is_empty() {
                Plan::Nothing
            } else {
                Plan::One(search(Some("Rein Rating"), net, &fields))
            }
        }
        QueryKind::UserName { msin } => Plan::One(search(
            Some(ENROLLMENT_TITLE),
            net,
            &[("Secure Identity Number", msin)],
        )),
        QueryKind::User { search_input } => {
            // Exact identity fields first, then "contains" on name and contact.
            let mut searches: Vec<DocQuery> = [
                "Secure Identity Number",
                "Master signing address",
                "Delegate signing address",
            ]
            .into_iter()
            .map(|field| search(Some(ENROLLMENT_TITLE), net, &[(field, search_input)]))
            .collect();
            if !search_input.is_empty() {
                for field in [Searchable::User, Searchable::Contact] {
                    let mut query = search(Some(ENROLLMENT_TITLE), net, &[]);
                    query.contains = Some((field, search_input.clone()));
                    searches.push(query);
                }
            }
            for query in &mut searches {
                query.limit = USER_LIMIT;
            }
            Plan::FirstHit(searches)
        }
    }
}

/// The item shape of each kind's answer.
fn shape(kind: &QueryKind, found: Vec<FoundDoc>) -> QueryItems {
    match kind {
        QueryKind::UserRatings { .. } | QueryKind::UserName { .. } => pairs(found),
        _ => values(found),
    }
}

impl Service {
    /// Whether `owner` may query: it must hold at least one bucket.
    pub(super) async fn holds_a_bucket(&self, owner: &Address) -> Result<bool, ServiceError> {
        let Some(account) = self.accounts.find_account(owner.as_str()).await? else {
            return Ok(false);
        };
        Ok(!self.accounts.buckets(account.id).await?.is_empty())
    }

    pub async fn query(&self, request: QueryRequest) -> Result<QueryOutcome, ServiceError> {
        if !self.holds_a_bucket(&request.owner).await? {
            return Ok(QueryOutcome::AccountRequired);
        }
        let found = match plan(&request.kind, request.testnet) {
            Plan::Nothing => return Ok(QueryOutcome::Found(QueryItems::Error)),
            Plan::One(query) => self.find(&query).await?,
            Plan::PerId(queries) => {
                let mut found = Vec::new();
                for query in &queries {
                    found.extend(self.find(query).await?);
                }
                oldest_first(found, QUERY_LIMIT)
            }
            Plan::FirstHit(queries) => {
                let mut found = Vec::new();
                for query in &queries {
                    found = self.find(query).await?;
                    if !found.is_empty() {
                        break;
                    }
                }
                found
            }
            Plan::Dispute(per_id) => {
                let mut found = Vec::new();
                for (deliveries, offers) in &per_id {
                    let hits = self.find(deliveries).await?;
                    if hits.is_empty() {
                        found.extend(self.find(offers).await?);
                    } else {
                        found.extend(hits);
                    }
                }
                oldest_first(found, QUERY_LIMIT)
            }
        };
        let served = self.charge_served(found).await?;
        Ok(QueryOutcome::Found(shape(&request.kind, served)))
    }

    /// Charges each document the answer carries to its bucket, like a `/get`, in one meter
    /// call; leaves out those whose bucket can not pay (expired, or its transfer used up), so
    /// nobody downloads documents their owner is not paying to serve.
    async fn charge_served(&self, found: Vec<FoundDoc>) -> Result<Vec<FoundDoc>, ServiceError> {
        if found.is_empty() {
            return Ok(found);
        }
        let mut ids: Vec<i64> = found.iter().map(|doc| doc.bucket_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let buckets: HashMap<i64, Bucket> = self
            .accounts
            .buckets_by_id(&ids)
            .await?
            .into_iter()
            .map(|bucket| (bucket.id, bucket))
            .collect();
        let (servable, charges): (Vec<FoundDoc>, Vec<Charge>) = found
            .into_iter()
            .filter_map(|doc| {
                let bucket = buckets
                    .get(&doc.bucket_id)
                    .filter(|bucket| bandwidth::serves_from(bucket))?;
                let charge = Charge {
                    bucket_id: bucket.id,
                    bytes: bandwidth::charged_bytes(doc.value.len(), true),
                    folded: bucket.transfer_used,
                    allowance: bucket.transfer_total,
                };
                Some((doc, charge))
            })
            .unzip();
        let charged = self.meter.charge_many(&charges).await?;
        let served: Vec<FoundDoc> = servable
            .into_iter()
            .zip(charged)
            .filter_map(|(doc, paid)| paid.then_some(doc))
            .collect();
        let bytes: usize = served.iter().map(|doc| doc.value.len()).sum();
        METRICS.bandwidth_served.inc_by(bytes as u64);
        Ok(served)
    }

    async fn find(&self, query: &DocQuery) -> Result<Vec<FoundDoc>, ServiceError> {
        Ok(self.documents.find_documents(query).await?)
    }
}

/// Merges per-id answers: oldest first, each document once, at most `limit`.
fn oldest_first(mut found: Vec<FoundDoc>, limit: i64) -> Vec<FoundDoc> {
    found.sort_by_key(|doc| doc.seq);
    found.dedup_by_key(|doc| doc.seq);
    found.truncate(usize::try_from(limit).unwrap_or(0));
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|id| (*id).to_owned()).collect()
    }

    fn job_ids_searched(plan: &Plan) -> Vec<String> {
        plan.searches()
            .iter()
            .filter_map(|query| {
                query
                    .fields
                    .iter()
                    .find(|(name, _)| name == "Job ID")
                    .map(|(_, value)| value.clone())
            })
            .collect()
    }

    #[test]
    fn repeated_job_ids_run_one_search_each_in_first_seen_order() {
        let repeated = ids(&["x", "y", "x", "x", "z", "y"]);
        let by_id = plan(
            &QueryKind::ByJobId {
                job_ids: repeated.clone(),
            },
            false,
        );
        assert_eq!(job_ids_searched(&by_id), ids(&["x", "y", "z"]));
        // A dispute searches deliveries and offers once per distinct id.
        let dispute = plan(&QueryKind::Dispute { job_ids: repeated }, false);
        assert_eq!(
            job_ids_searched(&dispute),
            ids(&["x", "x", "y", "y", "z", "z"])
        );
        let hundred_of_one = plan(
            &QueryKind::ByJobId {
                job_ids: vec!["x".to_owned(); MAX_JOB_IDS],
            },
            false,
        );
        assert_eq!(hundred_of_one.searches().len(), 1);
    }
}
