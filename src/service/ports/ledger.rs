//! Money as stored: balances, the append-only ledger, buying and activating buckets.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::store_error::StoreError;
use crate::domain::{Bucket, BucketTerms};

/// Why a balance changed; each is one ledger row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// Coins received at the account's deposit address.
    Deposit,
    /// A bucket paid for.
    Purchase,
    /// An operator's credit (off-chain payment).
    Credit,
    /// An operator's debit (refund paid out off-chain).
    Debit,
}

impl Entry {
    pub fn parse(text: &str) -> Option<Entry> {
        match text {
            "deposit" => Some(Entry::Deposit),
            "purchase" => Some(Entry::Purchase),
            "credit" => Some(Entry::Credit),
            "debit" => Some(Entry::Debit),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Entry::Deposit => "deposit",
            Entry::Purchase => "purchase",
            Entry::Credit => "credit",
            Entry::Debit => "debit",
        }
    }
}

/// One ledger row as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    pub delta_sats: i64,
    pub balance_after: i64,
    pub entry: Entry,
    pub bucket_id: Option<i64>,
    pub memo: String,
    pub at: OffsetDateTime,
}

/// The outcome of a balance change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Posted {
    /// Posted; pending buckets the new balance covered were paid and activated.
    Done {
        balance: i64,
        activated: Vec<Bucket>,
    },
    /// Refused: it would take the balance below zero.
    Insufficient { balance: i64 },
}

/// What a purchase came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Purchase {
    /// The bucket bought, or the pending one an unsigned purchase answers with.
    Bucket(Bucket),
    /// The deployment has sold all of its capacity.
    ServerFull,
}

/// What a node's report of coins received at a deposit address did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DepositOutcome {
    /// The increase over what was seen before was credited (once).
    Credited {
        amount: i64,
        balance: i64,
        activated: usize,
    },
    /// Nothing new.
    Unchanged,
    /// The node reports less than it did before (a reorg): nothing is debited.
    Decreased { seen: i64, reported: i64 },
    /// No account has this deposit address.
    UnknownAddress,
}

#[async_trait]
pub trait Ledger: Send + Sync {
    async fn balance(&self, account_id: i64) -> Result<i64, StoreError>;

    /// The account's ledger, oldest first.
    async fn entries(&self, account_id: i64) -> Result<Vec<LedgerEntry>, StoreError>;

    /// Adds `delta` (negative for a debit) with its ledger row when `rules::money::post`
    /// allows it, then pays the pending buckets `rules::money::pending_paid` picks; all in
    /// one transaction under the account's lock.
    async fn post(
        &self,
        account_id: i64,
        delta: i64,
        entry: Entry,
        memo: &str,
        now: OffsetDateTime,
    ) -> Result<Posted, StoreError>;

    /// Adds a bucket at `price`, paid from the balance and active at once when
    /// `rules::money::pays_now` says so (`signed` by the buyer), otherwise pending; an
    /// unsigned purchase answers with the pending bucket `rules::money::pending_reused`
    /// names instead of adding one.
    /// A new bucket also needs `rules::capacity::may_add` for the deployment's `capacity`.
    async fn buy_bucket(
        &self,
        account_id: i64,
        terms: BucketTerms,
        price: i64,
        signed: bool,
        capacity: i64,
        now: OffsetDateTime,
    ) -> Result<Purchase, StoreError>;

    /// Credits, once, what `rules::money::credit_deposit` makes of the node's report for
    /// `address`, and pays pending buckets; a decrease is reported, never debited.
    async fn record_deposit(
        &self,
        address: &str,
        total_received: i64,
        now: OffsetDateTime,
    ) -> Result<DepositOutcome, StoreError>;

    /// The BIP-32 child index of the account's deposit address: the one it was given, or
    /// else the next one (the number of accounts given one before), stored with it at once.
    async fn deposit_index(&self, account_id: i64) -> Result<u32, StoreError>;

    /// Records the account's deposit address (derived from its index, so always the same).
    async fn set_deposit_address(&self, account_id: i64, address: &str) -> Result<(), StoreError>;
}
