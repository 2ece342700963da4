//! The admin listener: metrics, liveness and readiness, kept off the public load balancer.

use poem::http::StatusCode;
use poem::web::{Data, Json};
use poem::{handler, EndpointExt, IntoResponse, Route};

use crate::service::Service;
use crate::telemetry::metrics::METRICS;

#[handler]
fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok"}))
}

/// Ready only while PostgreSQL and Redis answer, so the load balancer routes around trouble.
#[handler]
async fn readyz(service: Data<&Service>) -> poem::Response {
    match service.ready().await {
        Ok(()) => Json(serde_json::json!({"status": "ready"})).into_response(),
        Err(err) => Json(serde_json::json!({"status": "unavailable", "error": err.to_string()}))
            .with_status(StatusCode::SERVICE_UNAVAILABLE)
            .into_response(),
    }
}

/// Prometheus text exposition.
#[handler]
fn metrics(service: Data<&Service>) -> poem::Response {
    service.refresh_pool_metrics();
    poem::Response::builder()
        .content_type("text/plain; version=0.0.4")
        .body(METRICS.render())
}

pub fn routes(service: Service) -> impl poem::Endpoint {
    Route::new()
        .at("/metrics", metrics)
        .at("/healthz", healthz)
        .at("/readyz", readyz)
        .data(service)
}
