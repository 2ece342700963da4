//! What a replica tells its operators: logs and Prometheus metrics.

mod logging;
pub mod metrics;

pub use logging::init_logging;
