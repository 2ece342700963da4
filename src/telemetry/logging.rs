//! Logging setup: JSON lines for collectors or text for people, filtered by `RUST_LOG`.

use tracing_subscriber::EnvFilter;

pub fn init_logging(format: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Logs go to stderr so stdout carries only a command's own output (`credit`, `openapi`).
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second init (tests building several apps) is harmless: the first one stays.
    let _ = if format == "text" {
        builder.try_init()
    } else {
        // The current span's fields (the request id) go on every line of a request.
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init()
    };
}
