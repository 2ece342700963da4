//! Counts every public request against its client's rate limit of its class before a
//! handler runs, and tells handlers who the client is.

use std::net::{IpAddr, Ipv4Addr};

use percent_encoding::percent_decode_str;
use poem::http::Method;
use poem::{Endpoint, IntoResponse, Request, Response, Result};

use super::error::ApiError;
use crate::domain::{Cidr, Client};
use crate::service::{RateClass, Service};

/// Admits `req` under its client's limit of its class, or answers `429 rate_limited`. Runs
/// once the body is read (inside the body limit), so a refusal never leaves an unread body
/// behind to reset the connection.
pub(super) async fn limit_rate<E: Endpoint>(
    inner: std::sync::Arc<E>,
    mut req: Request,
    service: Service,
) -> Result<Response> {
    let client = client_of(&req, &service.config().trusted_proxies.0);
    if let Some(class) = class_of(&req) {
        if let Err(refused) = service.admit_client(&client, class).await {
            return Ok(ApiError::from(refused).into_response());
        }
    }
    req.extensions_mut().insert(client);
    Ok(inner.call(req).await?.into_response())
}

/// The request's client: its TCP peer, or whom a trusted proxy forwarded it for.
fn client_of(req: &Request, trusted: &[Cidr]) -> Client {
    let peer = req
        .remote_addr()
        .as_socket_addr()
        .map(|addr| addr.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect();
    Client::identify(peer, &forwarded, trusted)
}

/// Which limit a request counts against: `/nonce`; signed requests (`/put` and `/delete`
/// always, any other carrying a `signature`); everything else is a read. `None` for
/// `GET /get` (and its `HEAD`): `Service::get` counts it as a read itself, alongside its
/// PostgreSQL read, so the hottest path waits for one round trip instead of two.
fn class_of(req: &Request) -> Option<RateClass> {
    Some(match (req.method(), req.uri().path()) {
        (&Method::GET | &Method::HEAD, "/get") => return None,
        (_, "/nonce") => RateClass::Nonces,
        (&Method::POST, "/put" | "/delete") => RateClass::Writes,
        _ if carries_signature(req.uri().query().unwrap_or("")) => RateClass::Writes,
        _ => RateClass::Reads,
    })
}

/// Whether a query string has a `signature` parameter, however its name is encoded.
fn carries_signature(query: &str) -> bool {
    query.split('&').any(|pair| {
        let name = pair.split('=').next().unwrap_or("");
        name == "signature"
            || (name.contains(['%', '+'])
                && percent_decode_str(&name.replace('+', " "))
                    .decode_utf8()
                    .is_ok_and(|decoded| decoded == "signature"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(method: Method, uri: &str) -> Option<RateClass> {
        class_of(
            &Request::builder()
                .method(method)
                .uri(uri.parse().unwrap())
                .finish(),
        )
    }

    #[test]
    fn requests_count_against_their_class() {
        assert_eq!(
            class(Method::GET, "/nonce?address=x"),
            Some(RateClass::Nonces)
        );
        assert_eq!(class(Method::POST, "/put"), Some(RateClass::Writes));
        assert_eq!(class(Method::POST, "/delete"), Some(RateClass::Writes));
        // Counted by Service::get, alongside its read.
        assert_eq!(class(Method::GET, "/get?key=k"), None);
        assert_eq!(class(Method::HEAD, "/get?key=k"), None);
        assert_eq!(class(Method::GET, "/query?query=x"), Some(RateClass::Reads));
        assert_eq!(
            class(Method::GET, "/request?owner=a"),
            Some(RateClass::Reads)
        );
        assert_eq!(
            class(Method::GET, "/request?owner=a&signature=s"),
            Some(RateClass::Writes)
        );
        assert_eq!(
            class(Method::GET, "/buy?address=a&nonce=n&signature=s"),
            Some(RateClass::Writes)
        );
        assert_eq!(
            class(Method::GET, "/balance?signature=s"),
            Some(RateClass::Writes)
        );
        // An encoded name is the same parameter to the handler, so it is here too.
        assert_eq!(
            class(Method::GET, "/buy?address=a&signatur%65=s"),
            Some(RateClass::Writes)
        );
        assert_eq!(
            class(Method::GET, "/buy?address=a&xsignature=s"),
            Some(RateClass::Reads)
        );
        assert_eq!(class(Method::GET, "/status"), Some(RateClass::Reads));
    }
}
