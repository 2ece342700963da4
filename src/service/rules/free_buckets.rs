//! The free-bucket limit: how many free buckets one account may hold.

/// Whether an account holding `held` free buckets may get another under `limit`.
pub fn may_grant(held: i64, limit: i64) -> bool {
    held < limit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_counts_free_buckets_held() {
        assert!(may_grant(0, 1));
        assert!(!may_grant(1, 1));
        assert!(!may_grant(0, 0));
        assert!(may_grant(2, 3));
    }
}
