//! The bodies of `/put` and `/delete`: read leniently as one all-optional shape, documented
//! as the shapes clients really send, each with its required fields.
//!
//! Reading leniently keeps the contract's own messages ("missing parameter value") and the
//! deployed Rein client's dialect; documenting the real shapes (seed and Rein for `/put`, as
//! `oneOf`) lets a generated client build one whole, valid body instead of a bag of optional
//! fields.

use poem::{Request, RequestBody};
use poem_openapi::payload::{Form, Json};
use poem_openapi::registry::{MetaRequest, MetaSchema, MetaSchemaRef, Registry};
use poem_openapi::types::{Example, Type};
use poem_openapi::{ApiExtractor, ApiExtractorType, ApiRequest, ExtractParamOptions, Object};

use super::error::ApiError;
use super::params::{self, Flag};
use crate::service::{DeleteRequest, PutRequest, Service};

/// The schema a body is documented with, in place of the one it is read with.
pub trait Shown: Send + Sync {
    fn schema_ref() -> MetaSchemaRef;
    fn register(registry: &mut Registry);
}

/// A request body read as `$read` (a derived JSON-or-form request) and documented as
/// `$shown` under each of `$read`'s media types. A macro, not a generic type: rustc can not
/// yet prove the lifetime bounds of a generic extractor's future (rust-lang/rust#100013).
macro_rules! documented_body {
    ($(#[$doc:meta])* $name:ident: read as $read:ident, shown as $shown:ident) => {
        $(#[$doc])*
        pub struct $name($read);

        impl<'a> ApiExtractor<'a> for $name {
            const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];

            type ParamType = ();
            type ParamRawType = ();

            fn register(registry: &mut Registry) {
                <$shown as Shown>::register(registry);
            }

            fn request_meta() -> Option<MetaRequest> {
                let mut meta = <$read as ApiExtractor>::request_meta()?;
                for media in &mut meta.content {
                    media.schema = <$shown as Shown>::schema_ref();
                }
                Some(meta)
            }

            async fn from_request(
                request: &'a Request,
                body: &mut RequestBody,
                param_opts: ExtractParamOptions<()>,
            ) -> poem::Result<$name> {
                <$read as ApiExtractor>::from_request(request, body, param_opts)
                    .await
                    .map($name)
            }
        }
    };
}

/// Every field either `/put` shape may carry; what is missing is refused by `into_request`.
#[derive(Debug, Object, serde::Deserialize)]
pub struct PutParams {
    pub key: Option<String>,
    pub value: Option<String>,
    pub nonce: Option<String>,
    pub signature: Option<String>,
    pub address: Option<String>,
    pub owner: Option<String>,
    pub signature_address: Option<String>,
    pub testnet: Option<Flag>,
}

#[derive(ApiRequest)]
pub enum ReadPut {
    Json(Json<PutParams>),
    Form(Form<PutParams>),
}

/// `/put`'s seed shape: the account to charge is the signer. Signed message: `key + value
/// + address + nonce`.
#[derive(Debug, Object)]
#[oai(example)]
pub struct SeedPut {
    /// 1-64 printable ASCII characters; keys are global.
    pub key: String,
    /// At most `max_value_bytes` (default 8192) UTF-8 bytes.
    pub value: String,
    /// The account's live nonce, from `/nonce`.
    pub nonce: String,
    /// Base64 Bitcoin signed message over `key + value + address + nonce`.
    pub signature: String,
    /// The account to charge, which also signs.
    pub address: String,
}

/// `/put`'s Rein client shape: an owner and the address that signs for it. Signed message:
/// `key + value + signature_address + nonce`.
#[derive(Debug, Object)]
#[oai(example)]
pub struct ReinPut {
    /// 1-64 printable ASCII characters; keys are global.
    pub key: String,
    /// At most `max_value_bytes` (default 8192) UTF-8 bytes.
    pub value: String,
    /// The owner's live nonce, from `/nonce`.
    pub nonce: String,
    /// Base64 Bitcoin signed message over `key + value + signature_address + nonce`.
    pub signature: String,
    /// The account to charge.
    pub owner: String,
    /// The signer: the owner itself or its proven delegate.
    pub signature_address: String,
    /// Tags the document's network for `/query`.
    pub testnet: Option<Flag>,
}

/// `/put`'s two shapes.
pub struct PutShapes;

impl Shown for PutShapes {
    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            one_of: vec![SeedPut::schema_ref(), ReinPut::schema_ref()],
            ..MetaSchema::ANY
        }))
    }

    fn register(registry: &mut Registry) {
        SeedPut::register(registry);
        ReinPut::register(registry);
    }
}

documented_body! {
    /// The body of `/put`, as JSON or as a form.
    PutBody: read as ReadPut, shown as PutShapes
}

impl PutBody {
    pub fn into_request(self, service: &Service) -> Result<PutRequest, ApiError> {
        let (ReadPut::Json(Json(p)) | ReadPut::Form(Form(p))) = self.0;
        let config = service.config();
        let accepted = &config.accepted_networks.0;
        // Sizes first: nothing oversized reaches the crypto or the stores.
        let key = params::key(&p.key)?;
        let value = params::value(p.value, config.max_value_bytes)?;
        let signer_text = p
            .signature_address
            .as_ref()
            .or(p.address.as_ref())
            .ok_or_else(|| {
                ApiError::bad_request("missing parameter address (or signature_address)")
            })?;
        let signer = params::address("signer address", signer_text, accepted)?;
        let owner = match p.owner.as_ref().or(p.address.as_ref()) {
            Some(text) => params::address("owner", text, accepted)?,
            None => signer.clone(),
        };
        Ok(PutRequest {
            key,
            value,
            owner,
            signer,
            nonce: params::nonce(&p.nonce)?,
            signature: params::signature(&p.signature)?,
            testnet: p.testnet.unwrap_or_default().0,
        })
    }
}

/// Every field of `/delete`; what is missing is refused by `into_request`.
#[derive(Debug, Object, serde::Deserialize)]
pub struct DeleteParams {
    pub key: Option<String>,
    pub address: Option<String>,
    pub nonce: Option<String>,
    pub signature: Option<String>,
    pub owner: Option<String>,
}

#[derive(ApiRequest)]
pub enum ReadDelete {
    Json(Json<DeleteParams>),
    Form(Form<DeleteParams>),
}

/// `/delete`'s body. Signed message: `key + address + nonce`.
#[derive(Debug, Object)]
#[oai(example)]
pub struct SignedDelete {
    /// The key to remove.
    pub key: String,
    /// The signer: the owner or its proven delegate.
    pub address: String,
    /// The account's live nonce, from `/nonce`.
    pub nonce: String,
    /// Base64 Bitcoin signed message over `key + address + nonce`.
    pub signature: String,
    /// The account holding the key, when a delegate signs.
    pub owner: Option<String>,
}

impl Shown for SignedDelete {
    fn schema_ref() -> MetaSchemaRef {
        <SignedDelete as Type>::schema_ref()
    }

    fn register(registry: &mut Registry) {
        <SignedDelete as Type>::register(registry);
    }
}

documented_body! {
    /// The body of `/delete`, as JSON or as a form.
    DeleteBody: read as ReadDelete, shown as SignedDelete
}

impl DeleteBody {
    pub fn into_request(self, service: &Service) -> Result<DeleteRequest, ApiError> {
        let (ReadDelete::Json(Json(p)) | ReadDelete::Form(Form(p))) = self.0;
        let accepted = &service.config().accepted_networks.0;
        Ok(DeleteRequest {
            key: params::key(&p.key)?,
            signer: params::required_address("address", &p.address, accepted)?,
            owner: params::optional_address("owner", &p.owner, accepted)?,
            nonce: params::nonce(&p.nonce)?,
            signature: params::signature(&p.signature)?,
        })
    }
}

const EXAMPLE_ADDRESS: &str = "1DYP8ALtTrCJAgVzUGA4RHkcaJ5CxW7CWY";
const EXAMPLE_NONCE: &str = "3f2a9c0d8e7b6a5f4e3d2c1b0a998877";
const EXAMPLE_SIGNATURE: &str =
    "Hy2N4C7jc4cYjxWR11AU9mm4shBmumqXIsRkGfjUz5kpEQqGQhUds+MZTtxfIvVXfpOpCshewwIHmOjULvOaNbE=";

impl Example for SeedPut {
    fn example() -> SeedPut {
        SeedPut {
            key: "profile".into(),
            value: "Rein User Enrollment\nUser: Priya Raman".into(),
            nonce: EXAMPLE_NONCE.into(),
            signature: EXAMPLE_SIGNATURE.into(),
            address: EXAMPLE_ADDRESS.into(),
        }
    }
}

impl Example for ReinPut {
    fn example() -> ReinPut {
        ReinPut {
            key: "A1B2C3D4E5F6".into(),
            value: "Rein Job\nName: Logo design".into(),
            nonce: EXAMPLE_NONCE.into(),
            signature: EXAMPLE_SIGNATURE.into(),
            owner: EXAMPLE_ADDRESS.into(),
            signature_address: "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2".into(),
            testnet: None,
        }
    }
}

impl Example for SignedDelete {
    fn example() -> SignedDelete {
        SignedDelete {
            key: "profile".into(),
            address: EXAMPLE_ADDRESS.into(),
            nonce: EXAMPLE_NONCE.into(),
            signature: EXAMPLE_SIGNATURE.into(),
            owner: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registered<T: Type>() -> MetaSchema {
        let mut registry = Registry::new();
        T::register(&mut registry);
        registry
            .schemas
            .remove(T::name().as_ref())
            .unwrap_or_else(|| panic!("{} is not registered", T::name()))
    }

    fn properties<T: Type>() -> Vec<&'static str> {
        registered::<T>()
            .properties
            .iter()
            .map(|(name, _)| *name)
            .collect()
    }

    #[test]
    fn every_documented_field_is_one_the_body_reads() {
        let read = properties::<PutParams>();
        for field in properties::<SeedPut>()
            .into_iter()
            .chain(properties::<ReinPut>())
        {
            assert!(
                read.contains(&field),
                "/put documents {field} but never reads it"
            );
        }
        let read = properties::<DeleteParams>();
        for field in properties::<SignedDelete>() {
            assert!(
                read.contains(&field),
                "/delete documents {field} but never reads it"
            );
        }
    }

    #[test]
    fn each_shape_requires_what_into_request_needs() {
        assert_eq!(
            registered::<SeedPut>().required,
            vec!["key", "value", "nonce", "signature", "address"]
        );
        assert_eq!(
            registered::<ReinPut>().required,
            vec![
                "key",
                "value",
                "nonce",
                "signature",
                "owner",
                "signature_address"
            ]
        );
        assert_eq!(
            registered::<SignedDelete>().required,
            vec!["key", "address", "nonce", "signature"]
        );
    }

    #[test]
    fn both_media_types_show_the_documented_shapes() {
        let meta = <PutBody as ApiExtractor>::request_meta().expect("a request body");
        let kinds: Vec<&str> = meta.content.iter().map(|m| m.content_type).collect();
        assert_eq!(
            kinds,
            vec![
                "application/json; charset=utf-8",
                "application/x-www-form-urlencoded"
            ]
        );
        for media in &meta.content {
            assert_eq!(media.schema, PutShapes::schema_ref());
        }
    }
}
