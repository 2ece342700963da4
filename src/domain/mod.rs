//! The values the service trades in: keys, values and nonces (each valid once constructed),
//! accounts and buckets; who is calling (a client, found behind trusted proxies).

mod bucket;
mod cidr;
mod client;
mod key;
mod nonce;

pub use bucket::{Account, Bucket, BucketStatus, BucketTerms};
pub use cidr::Cidr;
pub use client::Client;
pub use key::{Key, KeyError, Value, ValueError};
pub use nonce::{Nonce, NonceError};
