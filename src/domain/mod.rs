//! The values the service trades in, each valid once constructed: keys, values, nonces, buckets.

mod bucket;
mod key;
mod nonce;

pub use bucket::{Account, Bucket, BucketStatus, BucketTerms};
pub use key::{Key, KeyError, Value, ValueError};
pub use nonce::{Nonce, NonceError};
