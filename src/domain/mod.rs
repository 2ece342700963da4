//! The values the service trades in: keys, values and nonces (each valid once constructed),
//! accounts and buckets.

mod bucket;
mod key;
mod nonce;

pub use bucket::{Account, Bucket, BucketStatus, BucketTerms};
pub use key::{Key, KeyError, Value, ValueError};
pub use nonce::{Nonce, NonceError};
