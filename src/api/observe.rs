//! Every public request observed once: a request id (taken from `X-Request-Id` when sane),
//! a span every log line of the request carries, one access-log line, and the request
//! metrics labelled by route template — never the raw path, so cardinality stays bounded.

use std::sync::Arc;
use std::time::Instant;

use poem::{Endpoint, IntoResponse, Request, Response, Result};
use rand::RngCore;
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::telemetry::metrics::METRICS;

const REQUEST_ID: &str = "x-request-id";

/// The public routes, as metric labels.
const ROUTES: &[&str] = &[
    "/",
    "/help",
    "/info",
    "/price",
    "/status",
    "/nonce",
    "/request",
    "/put",
    "/get",
    "/delete",
    "/address",
    "/balance",
    "/buy",
    "/query",
    "/bitcoin",
    "/openapi.json",
];

fn route_label(path: &str) -> &'static str {
    if let Some(route) = ROUTES.iter().find(|route| **route == path) {
        return route;
    }
    if path == "/docs" || path.starts_with("/docs/") {
        return "/docs";
    }
    "unmatched"
}

fn method_label(method: &poem::http::Method) -> &'static str {
    match method.as_str() {
        "GET" => "GET",
        "POST" => "POST",
        "HEAD" => "HEAD",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        "PATCH" => "PATCH",
        _ => "other",
    }
}

/// The caller's request id when it is short and plain, else a fresh one.
fn request_id(req: &Request) -> String {
    let given = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|id| {
            !id.is_empty()
                && id.len() <= 64
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        });
    match given {
        Some(id) => id.to_owned(),
        None => {
            let mut bytes = [0u8; 8];
            rand::thread_rng().fill_bytes(&mut bytes);
            hex::encode(bytes)
        }
    }
}

/// The caller's W3C trace context (`traceparent`), so our spans join its trace.
struct Headers<'a>(&'a poem::http::HeaderMap);

impl opentelemetry::propagation::Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

pub async fn observe<E: Endpoint>(
    inner: Arc<E>,
    req: Request,
    replica: Arc<str>,
) -> Result<Response> {
    let route = route_label(req.uri().path());
    let method = method_label(req.method());
    let id = request_id(&req);
    let span = tracing::info_span!(
        "request",
        otel.name = %format!("{method} {route}"),
        otel.kind = "server",
        request_id = %id,
        route,
        method,
        replica = %replica,
        status = tracing::field::Empty,
    );
    let parent = opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.extract(&Headers(req.headers()))
    });
    let _ = span.set_parent(parent);
    let started = Instant::now();
    let mut response = match inner.call(req).instrument(span.clone()).await {
        Ok(output) => output.into_response(),
        Err(err) => err.into_response(),
    };
    let elapsed = started.elapsed();
    let status = response.status();
    span.record("status", status.as_u16());
    METRICS
        .http_requests
        .with_label_values(&[route, method, status.as_str()])
        .inc();
    METRICS
        .http_duration
        .with_label_values(&[route])
        .observe(elapsed.as_secs_f64());
    if let Ok(value) = poem::http::HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    // The route template only: query strings carry signatures and nonces.
    tracing::info!(
        parent: &span,
        status = status.as_u16(),
        latency_ms = elapsed.as_secs_f64() * 1000.0,
        "request"
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_templates_never_raw_paths() {
        assert_eq!(route_label("/get"), "/get");
        assert_eq!(route_label("/docs/swagger-ui.css"), "/docs");
        assert_eq!(route_label("/get/../etc/passwd"), "unmatched");
        assert_eq!(route_label("/some-key-9f2c"), "unmatched");
        assert_eq!(
            method_label(&poem::http::Method::from_bytes(b"BREW").unwrap()),
            "other"
        );
    }
}
