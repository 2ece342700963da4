//! Logging setup: JSON lines for collectors or text for people on stderr, filtered by
//! `RUST_LOG`, plus the OpenTelemetry layer when traces are exported.

use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use super::traces;

pub fn init_logging(format: &str) {
    init(format, None);
}

/// Logs, and spans exported through `provider` when there is one.
pub fn init(format: &str, provider: Option<&SdkTracerProvider>) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Logs go to stderr so stdout carries only a command's own output (`credit`, `openapi`).
    let lines = if format == "text" {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .boxed()
    } else {
        // The current span's fields (the request id) go on every line of a request.
        tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_writer(std::io::stderr)
            .boxed()
    };
    let registry = tracing_subscriber::registry().with(filter).with(lines);
    // A second init (tests building several apps) is harmless: the first one stays.
    let _ = match provider {
        Some(provider) => registry.with(traces::layer(provider)).try_init(),
        None => registry.try_init(),
    };
}
