//! The public HTTP API: typed endpoints (one file per area), their OpenAPI document, and the
//! admin listener's probes.

mod accounts;
pub mod admin;
mod bodies;
mod body_limit;
mod document;
mod error;
mod head;
mod info;
mod observe;
mod params;
mod payments;
mod rate_limit;
mod rein;
mod rein_answers;
mod route_errors;
mod storage;
mod strict_form;
mod tags;

use poem::{Endpoint, EndpointExt, IntoResponse, Route};
use poem_openapi::{LicenseObject, OpenApiService, ServerObject};

use crate::service::Service;

pub use document::document;
pub use error::{ApiError, ErrorBody};

pub type Apis = (
    storage::StorageApi,
    accounts::AccountsApi,
    payments::PaymentsApi,
    rein::ReinApi,
    info::InfoApi,
);

/// The typed endpoints as one OpenAPI service; its `spec()` is the committed document.
pub fn openapi(service: Service) -> OpenApiService<Apis, ()> {
    OpenApiService::new(
        (
            storage::StorageApi {
                service: service.clone(),
            },
            accounts::AccountsApi {
                service: service.clone(),
            },
            payments::PaymentsApi {
                service: service.clone(),
            },
            rein::ReinApi {
                service: service.clone(),
            },
            info::InfoApi { service },
        ),
        "Causeway",
        env!("CARGO_PKG_VERSION"),
    )
    .server(
        ServerObject::new("http://127.0.0.1:2016").description(
            "A server started with `cargo run --release`; point a client at your own.",
        ),
    )
    .license(LicenseObject::new("MIT").url("https://opensource.org/licenses/MIT"))
    .description(
        "Storage server of the Rein decentralized freelance market. Writes are authorized by \
         Bitcoin signed messages over server-issued nonces; every error has the shape \
         {\"result\": \"error\", \"error\": \"...\", \"code\": \"...\"}.",
    )
}

/// The public listener's routes: the API, its document and the interactive page.
pub fn public_routes(service: Service) -> impl Endpoint {
    let max_body = service.config().max_body_bytes;
    let replica: std::sync::Arc<str> = service.config().replica.as_str().into();
    let limiter = service.clone();
    let spec = document::document(service.clone());
    let api = openapi(service);
    let docs = api.swagger_ui();
    Route::new()
        .at(
            "/openapi.json",
            poem::get(poem::endpoint::make_sync(move |_| {
                spec.clone()
                    .with_content_type("application/json; charset=utf-8")
            })),
        )
        .nest("/docs", docs)
        .nest("/", api)
        .around(strict_form::refuse_invalid_utf8)
        .around(move |inner, req| rate_limit::limit_rate(inner, req, limiter.clone()))
        .around(move |inner, req| body_limit::limit_body(inner, req, max_body))
        .around(head::mark_head)
        .catch_all_error(error::contract_error)
        .around(move |inner, req| observe::observe(inner, req, replica.clone()))
}
