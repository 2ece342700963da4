//! The capacity rule: a deployment never sells more storage than it has.

/// Whether a new bucket of `new_bytes` fits beside the `committed` bytes of every live
/// bucket (active or pending) within the deployment's `capacity`.
pub fn may_add(committed: i64, new_bytes: i64, capacity: i64) -> bool {
    committed
        .checked_add(new_bytes)
        .is_some_and(|total| total <= capacity)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_is_sold_only_while_it_fits_the_capacity() {
        assert!(may_add(0, 10, 10));
        assert!(may_add(90, 10, 100));
        assert!(!may_add(91, 10, 100));
        assert!(!may_add(0, 1, 0));
        assert!(!may_add(i64::MAX, 1, i64::MAX));
    }
}
