//! The API's one error type: the contract's error shape, and the whole status/code table in one match.

use std::marker::PhantomData;

use poem::http::StatusCode;
use poem::{IntoResponse, Response};
use poem_openapi::payload::Json;
use poem_openapi::registry::{MetaResponses, Registry};
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
    /// `insufficient_storage`, `bandwidth_exhausted` or `bucket_expired`: buy a bucket.
    #[oai(status = 402)]
    PaymentRequired(Json<ErrorBody>),
    /// `unknown_account`, `not_authorized` or `key_owned_by_other`.
    #[oai(status = 403)]
    Forbidden(Json<ErrorBody>),
    /// `not_found`.
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// `bad_request`: the body is larger than `max_body_bytes`.
    #[oai(status = 413)]
    PayloadTooLarge(Json<ErrorBody>),
    /// `bad_request`: the body is neither JSON nor a form.
    #[oai(status = 415)]
    UnsupportedMediaType(Json<ErrorBody>),
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

impl ApiError {
    /// The HTTP status this error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            ApiError::BadRequest(_) => 400,
            ApiError::Unauthorized(_) => 401,
            ApiError::PaymentRequired(_) => 402,
            ApiError::Forbidden(_) => 403,
            ApiError::NotFound(_) => 404,
            ApiError::PayloadTooLarge(_) => 413,
            ApiError::UnsupportedMediaType(_) => 415,
            ApiError::TooManyRequests(..) => 429,
            ApiError::Internal(_) => 500,
            ApiError::NotImplemented(_) => 501,
            ApiError::Unavailable(_) => 503,
            ApiError::InsufficientStorage(_) => 507,
        }
    }

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
    let body = ErrorBody::new(code, reason);
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge(Json(body)).into_response(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ApiError::UnsupportedMediaType(Json(body)).into_response()
        }
        _ => poem::web::Json(body).with_status(status).into_response(),
    }
}

/// The statuses of `ApiError` one route can answer (`route_errors` names them per route).
pub trait Statuses: Send + Sync + 'static {
    const STATUSES: &'static [u16];
}

/// `ApiError` as one route's error type: the same answers, but its OpenAPI responses list
/// only the statuses `R` names, so a client generated from the document is not told a route
/// can answer what it never does.
pub struct RouteError<R: Statuses>(ApiError, PhantomData<R>);

impl<R: Statuses> std::fmt::Debug for RouteError<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<R: Statuses> From<ApiError> for RouteError<R> {
    fn from(err: ApiError) -> RouteError<R> {
        // Tests run debug builds: a route answering a status its document does not declare
        // fails them there, instead of surprising a generated client.
        debug_assert!(
            R::STATUSES.contains(&err.status()),
            "{} answered {} (declared: {:?})",
            std::any::type_name::<R>(),
            err.status(),
            R::STATUSES
        );
        RouteError(err, PhantomData)
    }
}

impl<R: Statuses> From<ServiceError> for RouteError<R> {
    fn from(err: ServiceError) -> RouteError<R> {
        ApiError::from(err).into()
    }
}

impl<R: Statuses> IntoResponse for RouteError<R> {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}

impl<R: Statuses> ApiResponse for RouteError<R> {
    /// `ApiError`'s responses for `R`'s statuses.
    fn meta() -> MetaResponses {
        let mut meta = ApiError::meta();
        meta.responses
            .retain(|response| response.status.is_some_and(|s| R::STATUSES.contains(&s)));
        meta
    }

    fn register(registry: &mut Registry) {
        ApiError::register(registry);
    }
}

impl<R: Statuses> From<RouteError<R>> for poem::Error {
    fn from(err: RouteError<R>) -> poem::Error {
        err.0.into()
    }
}
