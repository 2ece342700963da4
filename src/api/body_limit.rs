//! Caps request bodies, with or without a `Content-Length`, before any handler reads them.

use poem::http::StatusCode;
use poem::{Body, Endpoint, IntoResponse, Request, Response, Result};

/// Reads the body into memory up to `max_bytes` and refuses anything larger with 413, so a
/// chunked upload can not stream past the limit either.
pub async fn limit_body<E: Endpoint>(
    inner: std::sync::Arc<E>,
    mut req: Request,
    max_bytes: usize,
) -> Result<Response> {
    let declared = req
        .headers()
        .get(poem::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max_bytes as u64) {
        return Err(too_large(max_bytes));
    }
    let body = req.take_body();
    let bytes = body
        .into_bytes_limit(max_bytes)
        .await
        .map_err(|_| too_large(max_bytes))?;
    req.set_body(Body::from(bytes));
    Ok(inner.call(req).await?.into_response())
}

fn too_large(max_bytes: usize) -> poem::Error {
    poem::Error::from_string(
        format!("request body larger than {max_bytes} bytes"),
        StatusCode::PAYLOAD_TOO_LARGE,
    )
}
