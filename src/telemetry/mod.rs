//! What a replica tells its operators: logs, Prometheus metrics and OpenTelemetry traces.

mod logging;
pub mod metrics;
mod otlp_http;
pub mod traces;

pub use logging::{init, init_logging};
