//! The API's one error type: the contract's error shape, and the whole status/code table in one match.

use poem::http::StatusCode;
use poem::{IntoResponse, Response};
use poem_openapi::payload::Json;
use poem_openapi::types::Example;
use poem_openapi::{ApiResponse, Enum, Object};

use crate::service::{PaymentHint, ServiceError};

/// The contract's machine-readable error codes (the "Errors" section of the API contract),
/// so a generated client gets them as an enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadRequest,
    UnknownAccount,
    NotAuthorized,
    BadNonce,
    BadSignature,
    Replayed,
    KeyOwnedByOther,
    NotFound,
    InsufficientStorage,
    BandwidthExhausted,
    BucketExpired,
    InsufficientFunds,
    RateLimited,
    ServerFull,
    PaymentsDisabled,
    Unavailable,
    /// A bug: never the answer to any input.
    Internal,
}

/// `{"result": "error", "error": "<reason>", "code": "<machine code>"}`; the 402 answers
/// also say what a bucket costs, to help the client pay.
#[derive(Debug, Clone, Object, serde::Serialize)]
#[oai(example)]
pub struct ErrorBody {
    /// Always `error`.
    pub result: String,
    /// Human-readable reason.
    pub error: String,
    /// Machine-readable code: what went wrong, whatever the wording of `error`.
    pub code: ErrorCode,
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
    fn new(code: ErrorCode, error: impl Into<String>) -> ErrorBody {
        ErrorBody {
            result: "error".into(),
            error: error.into(),
            code,
            price_sats: None,
            address: None,
        }
    }
}

impl Example for ErrorBody {
    fn example() -> ErrorBody {
        ErrorBody::new(ErrorCode::NotFound, "Key not found.")
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
        ApiError::BadRequest(Json(ErrorBody::new(ErrorCode::BadRequest, error)))
    }

    fn payment(code: ErrorCode, error: String, hint: PaymentHint) -> ApiError {
        let mut body = ErrorBody::new(code, error);
        body.price_sats = Some(hint.price_sats);
        body.address = hint.address;
        ApiError::PaymentRequired(Json(body))
    }
}

impl From<ServiceError> for ApiError {
    fn from(err: ServiceError) -> ApiError {
        let reason = err.to_string();
        let body = |code: ErrorCode| Json(ErrorBody::new(code, reason.clone()));
        match err {
            ServiceError::BadRequest(_) => ApiError::BadRequest(body(ErrorCode::BadRequest)),
            ServiceError::UnknownAccount => ApiError::Forbidden(body(ErrorCode::UnknownAccount)),
            ServiceError::NotAuthorized => ApiError::Forbidden(body(ErrorCode::NotAuthorized)),
            ServiceError::KeyOwnedByOther => ApiError::Forbidden(body(ErrorCode::KeyOwnedByOther)),
            ServiceError::BadNonce => ApiError::Unauthorized(body(ErrorCode::BadNonce)),
            ServiceError::BadSignature(_) => ApiError::Unauthorized(body(ErrorCode::BadSignature)),
            ServiceError::Replayed => ApiError::Unauthorized(body(ErrorCode::Replayed)),
            ServiceError::NotFound => ApiError::NotFound(body(ErrorCode::NotFound)),
            ServiceError::InsufficientStorage { payment, .. } => {
                ApiError::payment(ErrorCode::InsufficientStorage, reason, payment)
            }
            ServiceError::BandwidthExhausted { payment } => {
                ApiError::payment(ErrorCode::BandwidthExhausted, reason, payment)
            }
            ServiceError::BucketExpired { payment } => {
                ApiError::payment(ErrorCode::BucketExpired, reason, payment)
            }
            ServiceError::InsufficientFunds { .. } => {
                ApiError::PaymentRequired(body(ErrorCode::InsufficientFunds))
            }
            ServiceError::PaymentsDisabled => {
                ApiError::NotImplemented(body(ErrorCode::PaymentsDisabled))
            }
            ServiceError::ServerFull => ApiError::InsufficientStorage(body(ErrorCode::ServerFull)),
            ServiceError::RateLimited { retry_after } => {
                ApiError::TooManyRequests(body(ErrorCode::RateLimited), retry_after.as_secs())
            }
            ServiceError::Unavailable(why) => {
                tracing::warn!(error = %why, "backing service unavailable");
                ApiError::Unavailable(body(ErrorCode::Unavailable))
            }
            ServiceError::Internal(why) => {
                tracing::error!(error = %why, "internal error");
                ApiError::Internal(body(ErrorCode::Internal))
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
        StatusCode::NOT_FOUND => ErrorCode::NotFound,
        StatusCode::SERVICE_UNAVAILABLE => ErrorCode::Unavailable,
        s if s.is_server_error() => ErrorCode::Internal,
        _ => ErrorCode::BadRequest,
    };
    if status.is_server_error() {
        tracing::error!(error = %reason, "unhandled server error");
    }
    poem::web::Json(ErrorBody::new(code, reason))
        .with_status(status)
        .into_response()
}
