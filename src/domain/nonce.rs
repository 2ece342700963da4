//! Server-issued nonces: 32 lowercase hex characters of randomness.

use std::fmt;

use rand::RngCore;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Nonce(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("nonce must be 32 lowercase hex characters")]
pub struct NonceError;

impl Nonce {
    pub fn random() -> Nonce {
        let mut bytes = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut bytes);
        Nonce(hex::encode(bytes))
    }

    pub fn parse(text: &str) -> Result<Nonce, NonceError> {
        let ok = text.len() == 32 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if ok {
            Ok(Nonce(text.to_owned()))
        } else {
            Err(NonceError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Nonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_nonces_parse_and_differ() {
        let a = Nonce::random();
        assert_eq!(Nonce::parse(a.as_str()), Ok(a.clone()));
        assert_ne!(a, Nonce::random());
    }

    #[test]
    fn uppercase_or_short_nonces_are_rejected() {
        assert_eq!(Nonce::parse(&"A".repeat(32)), Err(NonceError));
        assert_eq!(Nonce::parse(&"a".repeat(31)), Err(NonceError));
    }
}
