//! Paying for hosting: deposit addresses, balances, buying buckets, operator credits.

use time::Duration;

use super::error::{PaymentHint, ServiceError};
use super::handle::Service;
use super::ports::{DepositOutcome, Entry, LedgerEntry, Posted, Purchase};
use super::signed::request_id;
use crate::auth::{Address, Signature};
use crate::domain::{Account, Bucket, BucketTerms, Client, Nonce};
use crate::telemetry::metrics::METRICS;

/// `/address`: register (or update) an account's contact and get its deposit address.
#[derive(Debug, Clone)]
pub struct RegisterRequest {
    pub address: Address,
    pub contact: String,
    /// The account's signature over `contact + address` (or the older `contact + "," + address`).
    pub signature: Signature,
    /// Who asked, counted against the new-accounts limit when the account is new.
    pub client: Client,
}

/// `/balance`: signed over `address + nonce`.
#[derive(Debug, Clone)]
pub struct BalanceRequest {
    pub address: Address,
    pub nonce: Nonce,
    pub signature: Signature,
}

/// `/buy` in either shape; `signed` (nonce, signature over `address + contact + nonce`)
/// lets the balance pay at once.
#[derive(Debug, Clone)]
pub struct BuyRequest {
    pub owner: Address,
    pub delegate: Option<Address>,
    pub contact: Option<String>,
    pub signed: Option<(Nonce, Signature)>,
    /// Who asked, counted against the new-accounts limit when the account is new.
    pub client: Client,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuyOutcome {
    /// The account's deposit address; None when payments are disabled.
    pub deposit_address: Option<String>,
    pub price_sats: i64,
    pub bucket: Bucket,
    pub buckets: Vec<Bucket>,
}

impl Service {
    /// The price and the owner's deposit address, for a 402 answer.
    /// What a 402 tells the caller: the price and where to pay. The address is best effort:
    /// a store that fails here leaves it out rather than hiding the 402 behind a 503.
    pub(super) async fn payment_hint(&self, account_id: i64) -> PaymentHint {
        let address = match self.deposit_address_of(account_id).await {
            Ok(address) => address,
            Err(err) => {
                tracing::warn!(error = %err, "no deposit address for a payment hint");
                None
            }
        };
        PaymentHint {
            price_sats: self.price_sats(),
            address,
        }
    }

    pub async fn register(&self, request: RegisterRequest) -> Result<String, ServiceError> {
        if self.deposits.is_none() {
            return Err(ServiceError::PaymentsDisabled);
        }
        let address = request.address.as_str();
        let published = format!("{}{address}", request.contact);
        let older = format!("{},{address}", request.contact);
        // Two forms are accepted; the second is tried only when the first fails.
        let signed = match self.check_signature(&request.address, &published, &request.signature) {
            Ok(()) => published,
            Err(_) => {
                self.check_signature(&request.address, &older, &request.signature)?;
                older
            }
        };
        let account = self
            .open_account(
                &request.address,
                Some(&request.contact),
                None,
                &request.client,
            )
            .await?;
        // No nonce in this signature: it takes effect once, so replaying an old
        // registration can not undo a later contact change.
        if self
            .accounts
            .spend_proof(account.id, &request_id(&request.address, &signed))
            .await?
        {
            self.accounts
                .set_contact(account.id, &request.contact)
                .await?;
        }
        self.deposit_address(&account)
            .await?
            .ok_or(ServiceError::PaymentsDisabled)
    }

    async fn deposit_address(&self, account: &Account) -> Result<Option<String>, ServiceError> {
        self.deposit_address_of(account.id).await
    }

    /// The account's deposit address: the xpub's child at the account's dense index (given
    /// on first ask), recorded so the payment watcher can map received coins back to it.
    async fn deposit_address_of(&self, account_id: i64) -> Result<Option<String>, ServiceError> {
        let Some(keys) = &self.deposits else {
            return Ok(None);
        };
        let index = self.ledger.deposit_index(account_id).await?;
        let address = keys
            .address_at(index)
            .map_err(|err| ServiceError::Internal(err.to_string()))?;
        self.ledger
            .set_deposit_address(account_id, &address)
            .await?;
        Ok(Some(address))
    }

    pub async fn balance(&self, request: BalanceRequest) -> Result<i64, ServiceError> {
        let account = self.account(&request.address).await?;
        let message = format!("{}{}", request.address, request.nonce);
        // Admitted and never released: reading a balance changes nothing to retry.
        self.admit(
            &account,
            &request.address,
            &request.nonce,
            &message,
            &request.signature,
            None,
        )
        .await?;
        Ok(self.ledger.balance(account.id).await?)
    }

    pub async fn buy(&self, request: BuyRequest) -> Result<BuyOutcome, ServiceError> {
        let contact = request.contact.clone().unwrap_or_default();
        let signed_ok = match &request.signed {
            Some((nonce, signature)) => {
                // Verify before anything is created, so a forged purchase leaves no trace.
                let message = format!("{}{contact}{nonce}", request.owner);
                self.check_signature(&request.owner, &message, signature)?;
                Some((nonce, signature, message))
            }
            None => None,
        };
        let account = self
            .open_account(
                &request.owner,
                request.contact.as_deref(),
                request.delegate.as_ref(),
                &request.client,
            )
            .await?;
        let signed = match signed_ok {
            Some((nonce, signature, message)) => {
                self.admit(&account, &request.owner, nonce, &message, signature, None)
                    .await?;
                // Admitted, so the owner asked for this contact (a replay never gets here).
                if let Some(contact) = &request.contact {
                    self.accounts.set_contact(account.id, contact).await?;
                }
                true
            }
            None => false,
        };
        let price = self.price_sats();
        let bucket = match self
            .ledger
            .buy_bucket(
                account.id,
                self.paid_bucket_terms(),
                price,
                signed,
                self.config.capacity_bytes,
                self.clock.now(),
            )
            .await?
        {
            Purchase::Bucket(bucket) => bucket,
            Purchase::ServerFull => return Err(ServiceError::ServerFull),
        };
        let deposit_address = self.deposit_address(&account).await?;
        let buckets = self.accounts.buckets(account.id).await?;
        Ok(BuyOutcome {
            deposit_address,
            price_sats: price,
            bucket,
            buckets,
        })
    }

    fn paid_bucket_terms(&self) -> BucketTerms {
        BucketTerms {
            bytes_total: self.config.bucket_bytes,
            transfer_total: self.config.bucket_transfer_bytes,
            term: Duration::days(self.config.bucket_term_days),
            free: false,
        }
    }

    /// An operator's credit (positive) or debit (negative) with a memo; pending buckets the
    /// new balance covers are paid. Returns the new balance.
    pub async fn credit(
        &self,
        address: &Address,
        sats: i64,
        memo: &str,
    ) -> Result<i64, ServiceError> {
        if sats == 0 {
            return Err(ServiceError::BadRequest("amount must not be zero".into()));
        }
        let account = self.account(address).await?;
        let entry = if sats > 0 {
            Entry::Credit
        } else {
            Entry::Debit
        };
        match self
            .ledger
            .post(account.id, sats, entry, memo, self.clock.now())
            .await?
        {
            Posted::Done { balance, .. } => Ok(balance),
            Posted::Insufficient { balance } => Err(ServiceError::InsufficientFunds { balance }),
        }
    }
}

impl Service {
    /// The account's ledger, oldest first (operators and tests).
    pub async fn ledger_of(&self, address: &Address) -> Result<Vec<LedgerEntry>, ServiceError> {
        let account = self.account(address).await?;
        Ok(self.ledger.entries(account.id).await?)
    }
}

/// What one poll of the node did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaymentsReport {
    /// Deposit addresses whose new coins were credited.
    pub credited: i64,
    /// Satoshis credited in all.
    pub credited_sats: i64,
    /// Pending buckets paid by these credits.
    pub activated: i64,
    /// Addresses for which the node reported less than before (a reorg); never debited.
    pub decreased: i64,
}

impl Service {
    /// Asks the node what its deposit addresses received and credits each new amount once;
    /// None when no node is configured.
    pub async fn poll_payments(&self) -> Result<Option<PaymentsReport>, ServiceError> {
        let Some(node) = &self.node else {
            return Ok(None);
        };
        let received = node
            .received_by_address(self.config.minconf)
            .await
            .map_err(|err| ServiceError::Unavailable(format!("bitcoind: {err}")))?;
        let mut report = PaymentsReport::default();
        for entry in received {
            let outcome = self
                .ledger
                .record_deposit(&entry.address, entry.amount_sats, self.clock.now())
                .await?;
            match outcome {
                DepositOutcome::Credited {
                    amount, activated, ..
                } => {
                    tracing::info!(address = %entry.address, amount, activated, "deposit credited");
                    METRICS.deposits_credited.inc();
                    METRICS.deposit_sats_credited.inc_by(amount.unsigned_abs());
                    report.credited += 1;
                    report.credited_sats += amount;
                    report.activated += activated as i64;
                }
                DepositOutcome::Decreased { seen, reported } => {
                    // Coins vanished from the node's view (a reorg or a wallet rescan):
                    // money already credited is never taken back silently.
                    tracing::warn!(
                        address = %entry.address,
                        seen,
                        reported,
                        "node reports less received than already credited; not debiting"
                    );
                    METRICS.deposit_decreases.inc();
                    report.decreased += 1;
                }
                DepositOutcome::Unchanged | DepositOutcome::UnknownAddress => {}
            }
        }
        Ok(Some(report))
    }
}

/// Satoshis as the decimal BTC string the Rein client prints.
pub fn btc_string(sats: i64) -> String {
    let sign = if sats < 0 { "-" } else { "" };
    let sats = sats.unsigned_abs();
    format!("{sign}{}.{:08}", sats / 100_000_000, sats % 100_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn btc_strings_have_eight_decimals() {
        assert_eq!(btc_string(10_000), "0.00010000");
        assert_eq!(btc_string(123_456_789), "1.23456789");
        assert_eq!(btc_string(0), "0.00000000");
    }
}
