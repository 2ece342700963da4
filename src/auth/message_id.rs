//! The identity of one signed message: its signer and its exact text, hashed.

use sha2::{Digest, Sha256};

/// Identifies what `signer` signed, whatever encoding of the signature carried it: a
/// high-S twin or another recovery header of the same signature is the same message.
pub fn message_id(signer: &str, message: &str) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(signer.as_bytes());
    hash.update([0u8]);
    hash.update(message.as_bytes());
    hash.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signer_and_text_both_count_and_cannot_be_shifted_into_each_other() {
        assert_eq!(message_id("1A", "x"), message_id("1A", "x"));
        assert_ne!(message_id("1A", "x"), message_id("1B", "x"));
        assert_ne!(message_id("1A", "x"), message_id("1A", "y"));
        assert_ne!(message_id("1A", "bc"), message_id("1Ab", "c"));
    }
}
