//! Raw request parameters turned into domain values once, at the boundary, with a clear 400
//! for each way they can be wrong. Sizes are checked here, before any crypto or I/O.

use std::borrow::Cow;

use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use poem_openapi::types::{
    ParseError, ParseFromJSON, ParseFromParameter, ParseResult, ToJSON, Type,
};
use serde_json::Value as Json;

use super::error::ApiError;
use crate::auth::{Address, AddressError, Net, Signature, SignatureError};
use crate::domain::{Key, Nonce, Value};

/// Longest signature text worth decoding (65 bytes are 88 base64 characters).
const MAX_SIGNATURE_CHARS: usize = 120;

/// Longest contact text stored with an account.
pub const MAX_CONTACT_CHARS: usize = 256;

pub fn required<'a>(name: &str, value: &'a Option<String>) -> Result<&'a str, ApiError> {
    value
        .as_deref()
        .ok_or_else(|| ApiError::bad_request(format!("missing parameter {name}")))
}

pub fn key(value: &Option<String>) -> Result<Key, ApiError> {
    Key::parse(required("key", value)?).map_err(|e| ApiError::bad_request(format!("bad key: {e}")))
}

pub fn value(value: Option<String>, max_bytes: usize) -> Result<Value, ApiError> {
    let text = value.ok_or_else(|| ApiError::bad_request("missing parameter value"))?;
    Value::parse(text, max_bytes).map_err(|e| ApiError::bad_request(format!("bad value: {e}")))
}

pub fn nonce(value: &Option<String>) -> Result<Nonce, ApiError> {
    Nonce::parse(required("nonce", value)?)
        .map_err(|e| ApiError::bad_request(format!("bad nonce: {e}")))
}

pub fn address(name: &str, value: &str, accepted: &[Net]) -> Result<Address, ApiError> {
    Address::parse(value, accepted).map_err(|e| {
        let why = match e {
            AddressError::Malformed => "not a valid Bitcoin address",
            AddressError::Unsupported => {
                "address type not supported (use P2PKH, P2SH-P2WPKH or P2WPKH)"
            }
            AddressError::WrongNetwork => "address of a network this server does not accept",
        };
        ApiError::bad_request(format!("bad {name}: {why}"))
    })
}

pub fn required_address(
    name: &str,
    value: &Option<String>,
    accepted: &[Net],
) -> Result<Address, ApiError> {
    address(name, required(name, value)?, accepted)
}

pub fn optional_address(
    name: &str,
    value: &Option<String>,
    accepted: &[Net],
) -> Result<Option<Address>, ApiError> {
    match value.as_deref() {
        None | Some("") => Ok(None),
        Some(text) => address(name, text, accepted).map(Some),
    }
}

pub fn signature(value: &Option<String>) -> Result<Signature, ApiError> {
    let text = required("signature", value)?;
    if text.len() > MAX_SIGNATURE_CHARS {
        return Err(ApiError::bad_request("bad signature: too long"));
    }
    Signature::from_base64(text).map_err(|e| {
        let why = match e {
            SignatureError::BadBase64 => "not canonical padded base64",
            SignatureError::BadLength => "must decode to 65 bytes",
            SignatureError::BadHeader => "header byte outside 27-42",
        };
        ApiError::bad_request(format!("bad signature: {why}"))
    })
}

pub fn optional_signature(value: &Option<String>) -> Result<Option<Signature>, ApiError> {
    match value.as_deref() {
        None | Some("") => Ok(None),
        Some(_) => signature(value).map(Some),
    }
}

pub fn contact(value: &Option<String>) -> Result<Option<String>, ApiError> {
    match value {
        Some(text) if text.chars().count() > MAX_CONTACT_CHARS => Err(ApiError::bad_request(
            format!("bad contact: at most {MAX_CONTACT_CHARS} characters"),
        )),
        Some(text) if text.contains('\0') => {
            Err(ApiError::bad_request("bad contact: must not contain NUL"))
        }
        other => Ok(other.clone()),
    }
}

/// A query parameter the document marks required whose absence the handler still answers
/// itself: poem would refuse it with its own wording before the handler runs, while the
/// contract names the parameter ("missing parameter key") and a key-less `/get` must still
/// count as a read. Derefs to the raw `Option<String>` the parsers here take.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Required(pub Option<String>);

impl std::ops::Deref for Required {
    type Target = Option<String>;

    fn deref(&self) -> &Option<String> {
        &self.0
    }
}

impl Type for Required {
    const IS_REQUIRED: bool = true;
    type RawValueType = String;
    type RawElementValueType = String;

    fn name() -> Cow<'static, str> {
        String::name()
    }

    fn schema_ref() -> MetaSchemaRef {
        String::schema_ref()
    }

    fn as_raw_value(&self) -> Option<&String> {
        self.0.as_ref()
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a String> + 'a> {
        Box::new(self.0.iter())
    }
}

impl ParseFromParameter for Required {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        Ok(Required(Some(value.to_owned())))
    }

    fn parse_from_parameters<I: IntoIterator<Item = A>, A: AsRef<str>>(
        iter: I,
    ) -> ParseResult<Self> {
        Ok(Required(
            iter.into_iter()
                .next()
                .map(|value| value.as_ref().to_owned()),
        ))
    }
}

/// A boolean as Rein clients send it: `True`/`1`/`true` (or JSON `true`) is true, anything
/// else false.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flag(pub bool);

impl Flag {
    fn from_text(text: &str) -> Flag {
        Flag(matches!(text.trim(), "True" | "true" | "1" | "TRUE"))
    }
}

impl<'de> serde::Deserialize<'de> for Flag {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Flag, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(Flag::from_text(&text))
    }
}

impl Type for Flag {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "Flag".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            description: Some("true, or the strings True/true/1; anything else is false"),
            any_of: vec![
                MetaSchemaRef::Inline(Box::new(MetaSchema::new("boolean"))),
                MetaSchemaRef::Inline(Box::new(MetaSchema::new("string"))),
            ],
            ..MetaSchema::ANY
        }))
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(
        &'a self,
    ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl ParseFromJSON for Flag {
    fn parse_from_json(value: Option<Json>) -> ParseResult<Self> {
        match value {
            Some(Json::Bool(flag)) => Ok(Flag(flag)),
            Some(Json::String(text)) => Ok(Flag::from_text(&text)),
            Some(Json::Number(n)) => Ok(Flag(n.as_i64() == Some(1))),
            Some(Json::Null) | None => Ok(Flag(false)),
            Some(other) => Err(ParseError::expected_type(other)),
        }
    }
}

impl ParseFromParameter for Flag {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        Ok(Flag::from_text(value))
    }
}

impl ToJSON for Flag {
    fn to_json(&self) -> Option<Json> {
        Some(Json::Bool(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_absent_required_parameter_reaches_the_handler_as_none() {
        assert_eq!(
            Required::parse_from_parameters(Vec::<String>::new()).ok(),
            Some(Required(None))
        );
        assert_eq!(
            Required::parse_from_parameters(["a", "b"]).ok(),
            Some(Required(Some("a".into())))
        );
    }

    #[test]
    fn flags_follow_the_rein_client() {
        for text in ["True", "true", "1"] {
            assert_eq!(Flag::from_text(text), Flag(true), "{text}");
        }
        for text in ["False", "0", "", "yes", "2"] {
            assert_eq!(Flag::from_text(text), Flag(false), "{text}");
        }
        assert_eq!(
            Flag::parse_from_json(Some(Json::Bool(true))).ok(),
            Some(Flag(true))
        );
    }
}
