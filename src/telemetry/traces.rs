//! OpenTelemetry traces over OTLP, configured only by the standard OTEL_* variables and off
//! when no endpoint is set. W3C `traceparent` is the propagation format.

use opentelemetry::global;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{SpanExporter, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;

use super::otlp_http::OtlpHttp;
use crate::config::Config;

/// OTLP's default export timeout (OTEL_EXPORTER_OTLP_TIMEOUT's default).
const EXPORT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The exporter's provider when an OTLP endpoint is configured. Build it outside any async
/// runtime: the exporter's blocking HTTP client starts and stops its own.
pub fn otlp_provider(config: &Config) -> Result<Option<SdkTracerProvider>, String> {
    // An empty variable means unset, as the OpenTelemetry specification has it.
    fn set(value: &Option<String>) -> Option<&str> {
        value.as_deref().filter(|v| !v.trim().is_empty())
    }
    if set(&config.otel_endpoint).is_none() && set(&config.otel_traces_endpoint).is_none() {
        return Ok(None);
    }
    // Our client, not the exporter's: rustls with the webpki and system roots and the
    // operator's extra CA, so an https collector works like an https node.
    let roots = crate::tls::extra_roots(config.extra_ca_file.as_deref())?;
    let mut exporter = SpanExporter::builder()
        .with_http()
        .with_http_client(OtlpHttp::new(&roots, EXPORT_TIMEOUT)?);
    if let Some(endpoint) = set(&config.otel_traces_endpoint) {
        exporter = exporter.with_endpoint(endpoint.to_owned());
    }
    let exporter = exporter
        .build()
        .map_err(|err| format!("OTLP exporter: {err}"))?;
    let resource = Resource::builder()
        .with_service_name(config.otel_service_name.clone())
        .build();
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build();
    global::set_text_map_propagator(TraceContextPropagator::new());
    global::set_tracer_provider(provider.clone());
    Ok(Some(provider))
}

/// The tracing layer that turns spans into OpenTelemetry spans.
pub fn layer<S>(provider: &SdkTracerProvider) -> impl tracing_subscriber::Layer<S>
where
    S: tracing::Subscriber + for<'span> tracing_subscriber::registry::LookupSpan<'span>,
{
    tracing_opentelemetry::layer().with_tracer(provider.tracer("causeway"))
}
