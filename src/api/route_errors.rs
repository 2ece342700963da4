//! Which errors each route can answer: its OpenAPI responses list those statuses and no other.
//!
//! Every route can be refused by the rate limiter (429), meet a bug (500) or a backing
//! service that is down (503); a POST body can be too large (413) or of another media type
//! (415). The rest follows from what the route's service call can fail with.

use super::error::{RouteError, Statuses};

macro_rules! route_errors {
    ($($(#[$doc:meta])* $alias:ident($marker:ident) = [$($status:literal),+];)+) => {$(
        #[derive(Debug)]
        pub enum $marker {}

        impl Statuses for $marker {
            const STATUSES: &'static [u16] = &[$($status),+];
        }

        $(#[$doc])*
        pub type $alias = RouteError<$marker>;
    )+};
}

route_errors! {
    /// `/put`: bad input, a bad or replayed signature, no room left (402), an unknown
    /// account, a signer that is not the owner's proven delegate, a key held by another.
    PutError(Put) = [400, 401, 402, 403, 413, 415, 429, 500, 503];
    /// `/get`: a bad key, a bucket out of transfer or expired (402), no such key.
    GetError(Get) = [400, 402, 404, 429, 500, 503];
    /// `/delete`: bad input, a bad signature, an unknown account or a stranger's key, no
    /// such key.
    DeleteError(Delete) = [400, 401, 403, 404, 413, 415, 429, 500, 503];
    /// `/nonce`: a bad address or nonce, an unknown account.
    NonceError(Nonce) = [400, 403, 429, 500, 503];
    /// `/request`: bad input, a signature that does not prove the delegate, a full server.
    RequestError(Request) = [400, 401, 429, 500, 503, 507];
    /// `/address`: bad input, a bad signature, no deposit key configured.
    AddressError(Address) = [400, 401, 429, 500, 501, 503];
    /// `/balance`: bad input, a bad or stale signature, an unknown account.
    BalanceError(Balance) = [400, 401, 403, 429, 500, 503];
    /// `/buy`: bad input, a bad signature, a full server.
    BuyError(Buy) = [400, 401, 429, 500, 503, 507];
    /// `/query` and `/bitcoin`: bad input (or the node refusing); an owner without a bucket
    /// is answered 200 with a message, as the Rein client expects.
    QueryError(Query) = [400, 429, 500, 503];
    /// `/status`: it reads the stores.
    StatusError(Status) = [429, 500, 503];
    /// `/`, `/help`, `/info`, `/price`: they can not fail, but the rate limiter may answer
    /// before they run.
    InfoError(Info) = [429];
}

#[cfg(test)]
mod tests {
    use poem_openapi::ApiResponse;

    use super::*;
    use crate::api::error::ApiError;

    fn listed<T: ApiResponse>() -> Vec<u16> {
        T::meta()
            .responses
            .iter()
            .filter_map(|response| response.status)
            .collect()
    }

    #[test]
    fn every_declared_status_is_one_the_api_error_answers() {
        let known = listed::<ApiError>();
        let declared: &[&[u16]] = &[
            Put::STATUSES,
            Get::STATUSES,
            Delete::STATUSES,
            Nonce::STATUSES,
            Request::STATUSES,
            Address::STATUSES,
            Balance::STATUSES,
            Buy::STATUSES,
            Query::STATUSES,
            Status::STATUSES,
            Info::STATUSES,
        ];
        for statuses in declared {
            for status in *statuses {
                assert!(known.contains(status), "{status} is not an ApiError status");
            }
        }
    }

    #[test]
    fn a_route_error_lists_only_its_statuses() {
        assert_eq!(listed::<StatusError>(), vec![429, 500, 503]);
    }
}
