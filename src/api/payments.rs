//! `/address`, `/balance` and `/buy`: paying for hosting in satoshis.

use poem::web::Data;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::types::Example;
use poem_openapi::{Object, OpenApi};

use super::accounts::BucketReply;
use super::error::ApiError;
use super::params::{self, Required};
use super::route_errors::{AddressError, BalanceError, BuyError};
use super::tags::Tag;
use crate::domain::Client;
use crate::service::{btc_string, BalanceRequest, BuyRequest, RegisterRequest, Service};

pub struct PaymentsApi {
    pub service: Service,
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct AddressReply {
    /// Where to send coins to fund the account.
    pub address: String,
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct BalanceReply {
    /// Satoshis.
    pub balance: i64,
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct BuyReply {
    /// Always `success`.
    pub result: String,
    /// The account's deposit address; empty when payments are disabled.
    pub address: String,
    /// Price of the bucket in BTC, as a decimal string.
    pub price: String,
    /// Price of the bucket in satoshis.
    pub price_sats: i64,
    /// All of the account's buckets; the new one is `pending` until paid.
    pub buckets: Vec<BucketReply>,
}

impl Example for AddressReply {
    fn example() -> AddressReply {
        AddressReply {
            address: "bc1qhm6697d9d2224vfyt8mj4kw03ncec7a7fdafvt".into(),
        }
    }
}

impl Example for BalanceReply {
    fn example() -> BalanceReply {
        BalanceReply { balance: 25_000 }
    }
}

impl Example for BuyReply {
    fn example() -> BuyReply {
        BuyReply {
            result: "success".into(),
            address: "bc1qhm6697d9d2224vfyt8mj4kw03ncec7a7fdafvt".into(),
            price: btc_string(10_000),
            price_sats: 10_000,
            buckets: vec![BucketReply::example()],
        }
    }
}

#[OpenApi(tag = "Tag::Payments")]
impl PaymentsApi {
    /// Register an account's contact and get its deposit address.
    ///
    /// `signature` signs `contact + address` (or the older `contact + "," + address`). The
    /// address is derived from the operator's extended public key; 501 when none is set.
    #[oai(path = "/address", method = "get", operation_id = "getDepositAddress")]
    async fn address(
        &self,
        /// How to reach the owner (email).
        contact: Query<Option<String>>,
        /// The account.
        address: Query<Required>,
        /// Signature by the account over `contact + address`.
        signature: Query<Required>,
        client: Data<&Client>,
    ) -> Result<Json<AddressReply>, AddressError> {
        let accepted = &self.service.config().accepted_networks.0;
        let request = RegisterRequest {
            address: params::required_address("address", &address.0, accepted)?,
            contact: params::contact(&contact.0)?.unwrap_or_default(),
            signature: params::signature(&signature.0)?,
            client: *client.0,
        };
        let address = self.service.register(request).await?;
        Ok(Json(AddressReply { address }))
    }

    /// The account's balance in satoshis; `signature` signs `address + nonce`.
    #[oai(path = "/balance", method = "get", operation_id = "getBalance")]
    async fn balance(
        &self,
        /// The account.
        address: Query<Required>,
        /// The account's live nonce.
        nonce: Query<Required>,
        /// Signature by the account over `address + nonce`.
        signature: Query<Required>,
    ) -> Result<Json<BalanceReply>, BalanceError> {
        let accepted = &self.service.config().accepted_networks.0;
        let request = BalanceRequest {
            address: params::required_address("address", &address.0, accepted)?,
            nonce: params::nonce(&nonce.0)?,
            signature: params::signature(&signature.0)?,
        };
        let balance = self.service.balance(request).await?;
        Ok(Json(BalanceReply { balance }))
    }

    /// Buy a bucket (1 MB storage + 50 MB transfer, one year).
    ///
    /// Seed shape: `address` + `contact`; Rein shape: `owner` + `delegate`. Signed
    /// (`nonce`, `signature` over `address + contact + nonce`) and funded, the balance pays
    /// and the bucket is active at once; otherwise it is `pending` until deposits cover it.
    #[oai(path = "/buy", method = "get", operation_id = "buyBucket")]
    // Each query parameter is its own argument so the OpenAPI document lists it.
    #[allow(clippy::too_many_arguments)]
    async fn buy(
        &self,
        /// Seed shape: the account.
        address: Query<Option<String>>,
        /// Rein shape: the account.
        owner: Query<Option<String>>,
        /// Rein shape: the account's delegate (claimed only).
        delegate: Query<Option<String>>,
        /// How to reach the owner (email).
        contact: Query<Option<String>>,
        /// The account's live nonce, to pay from the balance now.
        nonce: Query<Option<String>>,
        /// Signature by the account over `address + contact + nonce`.
        signature: Query<Option<String>>,
        client: Data<&Client>,
    ) -> Result<Json<BuyReply>, BuyError> {
        let accepted = &self.service.config().accepted_networks.0;
        let owner_text = address.0.as_ref().or(owner.0.as_ref());
        let owner = match owner_text {
            Some(text) => params::address("address", text, accepted)?,
            None => {
                return Err(ApiError::bad_request("missing parameter address (or owner)").into())
            }
        };
        let signed = match (&nonce.0, &signature.0) {
            (Some(_), Some(_)) => {
                Some((params::nonce(&nonce.0)?, params::signature(&signature.0)?))
            }
            (None, None) => None,
            _ => return Err(ApiError::bad_request("nonce and signature go together").into()),
        };
        let request = BuyRequest {
            owner,
            delegate: params::optional_address("delegate", &delegate.0, accepted)?,
            contact: params::contact(&contact.0)?,
            signed,
            client: *client.0,
        };
        let outcome = self.service.buy(request).await?;
        Ok(Json(BuyReply {
            result: "success".into(),
            address: outcome.deposit_address.unwrap_or_default(),
            price: btc_string(outcome.price_sats),
            price_sats: outcome.price_sats,
            buckets: outcome.buckets.iter().map(BucketReply::from).collect(),
        }))
    }
}
