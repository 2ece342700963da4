//! The rules of Causeway, free of HTTP: who may write what, where bytes go, what reads cost.

mod accounts;
mod bitcoin;
mod clock;
mod error;
mod handle;
mod lifecycle;
mod limits;
mod payments;
pub mod ports;
mod queries;
mod refusals;
pub mod rules;
mod signed;
mod storage;

pub use accounts::{FreeBucketOutcome, FreeBucketRequest, NonceRequest, Status};
pub use bitcoin::{BitcoinOutcome, BitcoinQuery, BlockInfo};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{PaymentHint, ServiceError};
pub use handle::{Service, SettingsError};
pub use lifecycle::DrainReport;
pub use payments::PaymentsReport;
pub use payments::{btc_string, BalanceRequest, BuyOutcome, BuyRequest, RegisterRequest};
pub use queries::{plan, Plan, QueryItems, QueryKind, QueryOutcome, QueryRequest, MAX_JOB_IDS};
pub use rules::rate::RateClass;
pub use storage::{DeleteRequest, GetOutcome, GetRequest, PutRequest, Stored};
