//! The bandwidth rule: what a read may cost a bucket's transfer allowance.

use crate::domain::{Bucket, BucketStatus};

/// Whether serving `bytes` more keeps the bucket within `allowance`, given what is folded
/// into the store and what the meter holds pending. The Redis meter's charge script applies
/// the same comparison atomically on the server (it can not call back into Rust).
pub fn fits(folded: i64, pending: i64, bytes: i64, allowance: i64) -> bool {
    folded
        .checked_add(pending)
        .and_then(|total| total.checked_add(bytes))
        .is_some_and(|total| total <= allowance)
}

/// Whether a bucket's data may be served at all: an expired bucket's pairs are kept, not
/// served (a `/get` answers 402 `bucket_expired`, a `/query` leaves them out).
pub fn serves_from(bucket: &Bucket) -> bool {
    bucket.status != BucketStatus::Expired
}

/// Bytes a read serves, and so charges: a `HEAD` answers like a `GET` but sends no body.
pub fn charged_bytes(value_len: usize, serves_body: bool) -> i64 {
    if serves_body {
        i64::try_from(value_len).unwrap_or(i64::MAX)
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_fits_while_folded_pending_and_its_bytes_stay_within_the_allowance() {
        assert!(fits(40, 50, 10, 100));
        assert!(!fits(40, 50, 11, 100));
        assert!(fits(0, 0, 0, 0));
        assert!(!fits(i64::MAX, 1, 1, i64::MAX));
    }

    #[test]
    fn only_a_body_is_charged() {
        assert_eq!(charged_bytes(42, true), 42);
        assert_eq!(charged_bytes(42, false), 0);
    }
}
