//! Caps request bodies, with or without a `Content-Length`, before any handler reads them.

use std::time::Duration;

use poem::http::StatusCode;
use poem::{Body, Endpoint, IntoResponse, Request, Response, Result};
use tokio::io::AsyncReadExt;

/// How much of a refused body is read and thrown away before the 413 is sent. Answering while
/// the client is still sending and then closing makes the kernel reset the connection, and
/// the client sees "connection reset" instead of the 413; draining a bounded remainder lets
/// an honest client that sent a little too much read why. Beyond this the connection is
/// simply closed: nobody is owed a read of megabytes they were told not to send.
const DRAIN_BYTES: u64 = 1 << 20;
/// A refused body trickled slowly is not waited for.
const DRAIN_TIME: Duration = Duration::from_secs(5);

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
    let mut reader = req.take_body().into_async_read();
    if declared.is_some_and(|n| n > max_bytes as u64) {
        if declared.is_some_and(|n| n <= DRAIN_BYTES) {
            drain(&mut reader).await;
        }
        return Err(too_large(max_bytes));
    }
    let mut bytes = Vec::with_capacity(declared.unwrap_or(0) as usize);
    (&mut reader)
        .take(max_bytes as u64 + 1)
        .read_to_end(&mut bytes)
        .await
        .map_err(|_| {
            poem::Error::from_string("request body could not be read", StatusCode::BAD_REQUEST)
        })?;
    if bytes.len() > max_bytes {
        drain(&mut reader).await;
        return Err(too_large(max_bytes));
    }
    req.set_body(Body::from(bytes));
    Ok(inner.call(req).await?.into_response())
}

/// Reads and discards up to `DRAIN_BYTES` of what remains, for at most `DRAIN_TIME`.
async fn drain(reader: &mut (impl tokio::io::AsyncRead + Unpin)) {
    let mut rest = reader.take(DRAIN_BYTES);
    let _ = tokio::time::timeout(
        DRAIN_TIME,
        tokio::io::copy(&mut rest, &mut tokio::io::sink()),
    )
    .await;
}

fn too_large(max_bytes: usize) -> poem::Error {
    poem::Error::from_string(
        format!("request body larger than {max_bytes} bytes"),
        StatusCode::PAYLOAD_TOO_LARGE,
    )
}
