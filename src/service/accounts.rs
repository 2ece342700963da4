//! Accounts and their buckets: nonces, free buckets, price and status.

use std::time::Instant;

use time::Duration;

/// How long a replica reuses its `stored` figure for /status.
const STORED_CACHE: std::time::Duration = std::time::Duration::from_secs(2);

use super::error::ServiceError;
use super::handle::Service;
use super::ports::{Grant, ProofVerdict};
use super::rules::rate::RateClass;
use super::signed::request_id;
use crate::auth::{Address, Signature};
use crate::domain::{Account, Bucket, BucketTerms, Client, Nonce};
use crate::telemetry::metrics::METRICS;

#[derive(Debug, Clone)]
pub enum NonceRequest {
    Issue { account: Address },
    Clear { account: Address, nonce: Nonce },
}

/// `/request`: a free bucket for `owner`, naming its delegate and contact.
#[derive(Debug, Clone)]
pub struct FreeBucketRequest {
    pub owner: Address,
    pub delegate: Option<Address>,
    pub contact: Option<String>,
    /// The owner's signature over owner + delegate + contact, which proves the delegate.
    pub signature: Option<Signature>,
    /// Who asked, counted against the new-accounts limit when the account is new.
    pub client: Client,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreeBucketOutcome {
    pub granted: bool,
    pub buckets: Vec<Bucket>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub uptime_secs: u64,
    pub stored: i64,
    pub free: i64,
    pub price: i64,
}

impl Service {
    /// The account's live nonce or a fresh one; `None` after a clear.
    pub async fn nonce(&self, request: NonceRequest) -> Result<Option<Nonce>, ServiceError> {
        let account = match &request {
            NonceRequest::Issue { account } | NonceRequest::Clear { account, .. } => account,
        };
        self.account(account).await?;
        match request {
            NonceRequest::Issue { account } => {
                let nonce = self
                    .nonces
                    .issue(account.as_str(), &Nonce::random(), self.config.nonce_ttl())
                    .await?;
                METRICS.nonces_issued.inc();
                Ok(Some(nonce))
            }
            NonceRequest::Clear { account, nonce } => {
                self.nonces.clear(account.as_str(), &nonce).await?;
                Ok(None)
            }
        }
    }

    pub async fn request_free_bucket(
        &self,
        request: FreeBucketRequest,
    ) -> Result<FreeBucketOutcome, ServiceError> {
        let delegate = request.delegate.as_ref().map(Address::as_str);
        let contact = request.contact.as_deref().unwrap_or("");
        let proof = match &request.signature {
            Some(signature) => {
                let message = format!("{}{}{contact}", request.owner, delegate.unwrap_or(""));
                self.check_signature(&request.owner, &message, signature)?;
                Some(request_id(&request.owner, &message))
            }
            None => None,
        };
        let claimed = if proof.is_none() {
            request.delegate.as_ref()
        } else {
            None
        };
        let account = self
            .open_account(
                &request.owner,
                request.contact.as_deref(),
                claimed,
                &request.client,
            )
            .await?;
        if let Some(proof) = proof {
            // The signature carries no nonce: it takes effect once, as the owner's latest
            // proof, and a replay of it changes nothing (not the delegate, not the contact).
            let verdict = self
                .accounts
                .adopt_delegate(account.id, delegate, &proof)
                .await?;
            if let (ProofVerdict::Adopt, Some(contact)) = (verdict, &request.contact) {
                self.accounts.set_contact(account.id, contact).await?;
            }
        }
        let granted = if self.config.free_buckets > 0 {
            match self
                .accounts
                .grant_free_bucket(
                    account.id,
                    self.config.free_buckets,
                    self.free_bucket_terms(),
                    self.config.capacity_bytes,
                    self.clock.now(),
                )
                .await?
            {
                Grant::Granted(_) => true,
                Grant::LimitReached => false,
                Grant::ServerFull => return Err(ServiceError::ServerFull),
            }
        } else {
            false
        };
        let buckets = self.accounts.buckets(account.id).await?;
        Ok(FreeBucketOutcome { granted, buckets })
    }

    /// Bytes stored, recomputed at most every `STORED_CACHE` per replica: the sum runs over
    /// buckets (one per MB sold), never over pairs, and a flood of /status can not turn
    /// into a flood of aggregates.
    /// Recomputes the stored-bytes figure (and its gauge) now.
    pub async fn refresh_stored_bytes(&self) -> Result<i64, ServiceError> {
        *self
            .stored_cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
        self.stored_bytes().await
    }

    async fn stored_bytes(&self) -> Result<i64, ServiceError> {
        let cached = *self
            .stored_cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((at, stored)) = cached {
            if at.elapsed() < STORED_CACHE {
                return Ok(stored);
            }
        }
        let totals = self.accounts.storage_totals().await?;
        let stored = totals.stored;
        METRICS.stored_bytes.set(stored);
        METRICS.capacity_sold_bytes.set(totals.sold);
        *self
            .stored_cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some((Instant::now(), stored));
        Ok(stored)
    }

    /// Creates the account if new (an existing one keeps its contact) and records a delegate
    /// named without the owner's signature as claimed (kept, never trusted to write). A new
    /// account counts against its `client`'s new-accounts limit first, so a refused client
    /// creates nothing.
    pub(super) async fn open_account(
        &self,
        owner: &Address,
        contact: Option<&str>,
        claimed_delegate: Option<&Address>,
        client: &Client,
    ) -> Result<Account, ServiceError> {
        if self.accounts.find_account(owner.as_str()).await?.is_none() {
            self.admit_client(client, RateClass::NewAccounts).await?;
        }
        let account = self
            .accounts
            .upsert_account(owner.as_str(), contact)
            .await?;
        if let Some(delegate) = claimed_delegate {
            self.accounts
                .add_claimed_delegate(account.id, delegate.as_str())
                .await?;
        }
        Ok(account)
    }

    /// The account of `address`, which must exist.
    pub(super) async fn account(&self, address: &Address) -> Result<Account, ServiceError> {
        self.accounts
            .find_account(address.as_str())
            .await?
            .ok_or(ServiceError::UnknownAccount)
    }

    fn free_bucket_terms(&self) -> BucketTerms {
        BucketTerms {
            bytes_total: self.config.bucket_bytes,
            transfer_total: self.config.bucket_transfer_bytes,
            term: Duration::days(self.config.free_bucket_term_days),
            free: true,
        }
    }

    pub async fn status(&self) -> Result<Status, ServiceError> {
        let stored = self.stored_bytes().await?;
        Ok(Status {
            uptime_secs: self.started.elapsed().as_secs(),
            stored,
            free: (self.config.capacity_bytes - stored).max(0),
            price: self.price_sats(),
        })
    }
}
