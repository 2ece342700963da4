//! Remembers that a request came as `HEAD`: poem answers it with the GET endpoint, which
//! then sees a GET, but a HEAD sends no body and so must not be charged for one.

use poem::http::Method;
use poem::{Endpoint, IntoResponse, Request, Response, Result};

/// Present in a request's extensions when the client sent `HEAD`.
#[derive(Debug, Clone, Copy)]
pub(super) struct CameAsHead;

pub(super) async fn mark_head<E: Endpoint>(
    inner: std::sync::Arc<E>,
    mut req: Request,
) -> Result<Response> {
    if req.method() == Method::HEAD {
        req.extensions_mut().insert(CameAsHead);
    }
    Ok(inner.call(req).await?.into_response())
}

/// Whether the answer to `req` carries a body (false for a `HEAD`).
pub(super) fn serves_body(req: &Request) -> bool {
    req.extensions().get::<CameAsHead>().is_none()
}
