//! Refuses form bodies that are not UTF-8 once percent-decoded: the form parser would store
//! them with replacement characters, silently changing what the client signed.

use poem::http::{header, StatusCode};
use poem::{Body, Endpoint, IntoResponse, Request, Response, Result};

/// Checks an `application/x-www-form-urlencoded` body (already buffered by the body limit)
/// before any handler decodes it; other bodies pass untouched.
pub(super) async fn refuse_invalid_utf8<E: Endpoint>(
    inner: std::sync::Arc<E>,
    mut req: Request,
) -> Result<Response> {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    if is_form {
        let body = req.take_body().into_bytes().await?;
        if let Some(field) = first_invalid_field(&body) {
            return Err(poem::Error::from_string(
                format!("bad form body: field {field} is not UTF-8 after percent-decoding"),
                StatusCode::BAD_REQUEST,
            ));
        }
        req.set_body(Body::from(body));
    }
    Ok(inner.call(req).await?.into_response())
}

/// The position (1-based) of the first `name=value` pair whose name or value does not decode
/// to UTF-8, if any. `+` stands for a space and never makes a pair invalid.
fn first_invalid_field(body: &[u8]) -> Option<usize> {
    body.split(|b| *b == b'&')
        .position(|pair| {
            pair.split(|b| *b == b'=').any(|part| {
                percent_encoding::percent_decode(part)
                    .decode_utf8()
                    .is_err()
            })
        })
        .map(|index| index + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_forms_pass_and_broken_ones_name_their_field() {
        assert_eq!(first_invalid_field(b"key=k&value=caf%C3%A9+ok"), None);
        assert_eq!(first_invalid_field(b""), None);
        assert_eq!(first_invalid_field(b"key=k&value=%FF"), Some(2));
        assert_eq!(first_invalid_field(b"%C3=x"), Some(1));
        assert_eq!(first_invalid_field(b"a=%e2%82"), Some(1));
        // A literal non-UTF-8 byte is as bad as an encoded one.
        assert_eq!(first_invalid_field(b"a=b&c=\xff"), Some(2));
    }
}
