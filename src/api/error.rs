//! The API's one error type: the contract's error shape, and the whole status/code table in one match.

use poem::http::StatusCode;
use poem::{IntoResponse, Response};
use poem_openapi::payload::Json;
use poem_openapi::types::Example;
use poem_openapi::{ApiResponse, Object};

use crate::service::{PaymentHint, ServiceError};

/// `{"result": "error", "error": "<reason>", "code": "<machine code>"}`; the 402 answers
/// also say what a bucket costs, to help the client pay.
#[derive(Debug, Clone, Object, serde::Serialize)]
#[oai(example)]
pub struct ErrorBody {
    /// Always `error`.
    pub result: String,
    /// Human-readable reason.
    pub error: String,
    /// Machine-readable code, see API.md.
    pub code: String,
    /// Price of one bucket in satoshis (402 answers only).
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price_sats: Option<i64>,
    /// The account's deposit address, when payments are configured (402 answers only).
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

impl ErrorBody {
    fn new(code: &str, error: impl Into<String>) -> ErrorBody {
        ErrorBody {
            result: "error".into(),
            error: error.into(),
            code: code.into(),
            price_sats: None,
            address: None,
        }
    }
}

impl Example for ErrorBody {
    fn example() -> ErrorBody {
        ErrorBody::new("not_found", "Key not found.")
    }
}

#[derive(Debug, ApiResponse)]
pub enum ApiError {
    /// `bad_request`: a missing or invalid parameter, bad address, bad base64, oversize input.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// `bad_nonce`, `bad_signature` or `replayed`.
    #[oai(status = 401)]
    Unauthorized(Json<ErrorBody>),
    /// `insufficient_storage`, `bandwidth_exhausted`, `bucket_expired` (buy a bucket) or
    /// `insufficient_funds`.
    #[oai(status = 402)]
    PaymentRequired(Json<ErrorBody>),
    /// `unknown_account`, `not_authorized` or `key_owned_by_other`.
    #[oai(status = 403)]
    Forbidden(Json<ErrorBody>),
    /// `not_found`.
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// `payments_disabled`: no deposit key is configured.
    #[oai(status = 501)]
    NotImplemented(Json<ErrorBody>),
    /// `server_full`: the deployment has sold all of its `capacity_bytes`.
    #[oai(status = 507)]
    InsufficientStorage(Json<ErrorBody>),
    /// `rate_limited`: this client is over one of its rate limits; `Retry-After` says in
    /// how many seconds to come back.
    #[oai(status = 429)]
    TooManyRequests(
        Json<ErrorBody>,
        /// Whole seconds until a request would be allowed.
        #[oai(header = "Retry-After")]
        u64,
    ),
    /// `internal`: a bug; the request may be retried.
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
    /// `unavailable`: a backing service is down; nothing was changed.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>),
}

/// The one error of endpoints that can not fail: `api::rate_limit` may answer 429 before
/// they run. Declared so the OpenAPI document lists it; the limiter sends it as `ApiError`.
#[derive(Debug, ApiResponse)]
#[allow(dead_code)]
pub enum Throttled {
    /// `rate_limited`: this client is over its read limit; `Retry-After` says in how many
    /// seconds to come back.
    #[oai(status = 429)]
    TooManyRequests(
        Json<ErrorBody>,
        /// Whole seconds until a request would be allowed.
        #[oai(header = "Retry-After")]
        u64,
    ),
}

impl ApiError {
    pub fn bad_request(error: impl Into<String>) -> ApiError {
        ApiError::BadRequest(Json(ErrorBody::new("bad_request", error)))
    }

    fn payment(code: &str, error: String, hint: PaymentHint) -> ApiError {
        let mut body = ErrorBody::new(code, error);
        body.price_sats = Some(hint.price_sats);
        body.address = hint.address;
        ApiError::PaymentRequired(Json(body))
    }
}

impl From<ServiceError> for ApiError {
    fn from(err: ServiceError) -> ApiError {
        let reason = err.to_string();
        let body = |code: &str| Json(ErrorBody::new(code, reason.clone()));
        match err {
            ServiceError::BadRequest(_) => ApiError::BadRequest(body("bad_request")),
            ServiceError::UnknownAccount => ApiError::Forbidden(body("unknown_account")),
            ServiceError::NotAuthorized => ApiError::Forbidden(body("not_authorized")),
            ServiceError::KeyOwnedByOther => ApiError::Forbidden(body("key_owned_by_other")),
            ServiceError::BadNonce => ApiError::Unauthorized(body("bad_nonce")),
            ServiceError::BadSignature(_) => ApiError::Unauthorized(body("bad_signature")),
            ServiceError::Replayed => ApiError::Unauthorized(body("replayed")),
            ServiceError::NotFound => ApiError::NotFound(body("not_found")),
            ServiceError::InsufficientStorage { payment, .. } => {
                ApiError::payment("insufficient_storage", reason, payment)
            }
            ServiceError::BandwidthExhausted { payment } => {
                ApiError::payment("bandwidth_exhausted", reason, payment)
            }
            ServiceError::BucketExpired { payment } => {
                ApiError::payment("bucket_expired", reason, payment)
            }
            ServiceError::InsufficientFunds { .. } => {
                ApiError::PaymentRequired(body("insufficient_funds"))
            }
            ServiceError::PaymentsDisabled => ApiError::NotImplemented(body("payments_disabled")),
            ServiceError::ServerFull => ApiError::InsufficientStorage(body("server_full")),
            ServiceError::RateLimited { retry_after } => {
                ApiError::TooManyRequests(body("rate_limited"), retry_after.as_secs())
            }
            ServiceError::Unavailable(why) => {
                tracing::warn!(error = %why, "backing service unavailable");
                ApiError::Unavailable(body("unavailable"))
            }
            ServiceError::Internal(why) => {
                tracing::error!(error = %why, "internal error");
                ApiError::Internal(body("internal"))
            }
        }
    }
}

/// Turns every error poem raises before a handler runs (unknown route, unparsable body,
/// missing parameter, oversize body, wrong method) into the contract's error shape.
pub async fn contract_error(err: poem::Error) -> Response {
    if err.is_from_response() {
        return err.into_response();
    }
    let status = err.status();
    let reason = err.to_string();
    let code = match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    };
    if status.is_server_error() {
        tracing::error!(error = %reason, "unhandled server error");
    }
    poem::web::Json(ErrorBody::new(code, reason))
        .with_status(status)
        .into_response()
}
