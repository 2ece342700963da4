//! The service's ports: the small traits it needs from the outside world, with the data
//! that crosses them. Adapters (`store`, `nonces`, `metering`, `cache`, `limits`, `tolls`, `mail`) implement
//! them; the service is built from a `Ports` value and never names an adapter.

mod accounts;
mod cache;
mod documents;
mod health;
mod ledger;
mod lifecycle;
mod limits;
mod mail;
mod meter;
mod nonces;
mod pairs;
mod store_error;
mod toll;

use std::sync::Arc;

pub use accounts::{Accounts, DelegateState, Grant, ProofId, ProofVerdict, StorageTotals};
pub use cache::{Cache, CacheError};
pub use documents::{DocQuery, Documents, FoundDoc, Searchable};
pub use health::{Health, PoolStatus};
pub use ledger::{DepositOutcome, Entry, Ledger, LedgerEntry, Posted, Purchase};
pub use lifecycle::{
    DueBucket, DuePair, ExpiredBucket, ExpiryPolicy, ExpiryReport, Lifecycle, LiveRoom, Mail,
    MailAttempt, MailBacklog, OutboxMail,
};
pub use limits::{LimiterError, RateLimit, RateLimiter, Taken};
pub use mail::{Delivery, MailSender};
pub use meter::{Charge, MeterError, TransferMeter};
pub use nonces::{Admission, NonceStore, NonceStoreError, RequestId};
pub use pairs::{ExistingPair, NewPair, Pairs, PutOutcome, StoredPair};
pub use store_error::StoreError;
pub use toll::{ReadToll, Tolled};

/// Everything the service talks to, as traits; the wiring (`app::Backends`) fills it in.
#[derive(Clone)]
pub struct Ports {
    pub health: Arc<dyn Health>,
    pub accounts: Arc<dyn Accounts>,
    pub pairs: Arc<dyn Pairs>,
    pub ledger: Arc<dyn Ledger>,
    pub lifecycle: Arc<dyn Lifecycle>,
    pub documents: Arc<dyn Documents>,
    pub cache: Arc<dyn Cache>,
    pub nonces: Arc<dyn NonceStore>,
    pub meter: Arc<dyn TransferMeter>,
    pub limiter: Arc<dyn RateLimiter>,
    pub toll: Arc<dyn ReadToll>,
}
