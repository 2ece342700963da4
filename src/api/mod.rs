//! The public HTTP API: typed endpoints (one file per area), their OpenAPI document, and the
//! admin listener's probes.

mod accounts;
pub mod admin;
mod body_limit;
mod error;
mod head;
mod info;
mod observe;
mod params;
mod payments;
mod rate_limit;
mod rein;
mod rein_answers;
mod storage;
mod strict_form;
mod tags;

use poem::{Endpoint, EndpointExt, Route};
use poem_openapi::OpenApiService;

use crate::service::Service;

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
    let api = openapi(service);
    let spec = api.spec_endpoint();
    let docs = api.swagger_ui();
    Route::new()
        .at("/openapi.json", spec)
        .nest("/docs", docs)
        .nest("/", api)
        .around(strict_form::refuse_invalid_utf8)
        .around(move |inner, req| rate_limit::limit_rate(inner, req, limiter.clone()))
        .around(move |inner, req| body_limit::limit_body(inner, req, max_body))
        .around(head::mark_head)
        .catch_all_error(error::contract_error)
        .around(move |inner, req| observe::observe(inner, req, replica.clone()))
}
