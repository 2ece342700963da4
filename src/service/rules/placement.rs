//! Where a put's bytes go: in place, moved whole, or into the owner's newest live bucket.

use crate::service::ports::{ExistingPair, LiveRoom};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// The key belongs to another account: nothing changes.
    KeyOwnedByOther,
    /// No live bucket of the owner has room: nothing changes.
    NoRoom,
    /// Claim `claim` bytes of `bucket_id` (negative when a replacement shrinks), after
    /// giving `release` back (bucket, bytes) when the pair moves out of its old bucket.
    Place {
        bucket_id: i64,
        claim: i64,
        release: Option<(i64, i64)>,
    },
}

/// Places a pair of `size` bytes for `account_id`. `live` holds the owner's live buckets
/// (any order; another account's are never used). A replacement is charged only its growth where it lives; when the growth
/// does not fit there it moves whole to the newest bucket with room, so a pair is never
/// split and a new pair always fills the newest bucket first.
pub fn choose(
    account_id: i64,
    existing: Option<ExistingPair>,
    size: i64,
    live: &[LiveRoom],
) -> Placement {
    let own = || live.iter().filter(|room| room.account_id == account_id);
    let room_of = |bucket_id: i64| own().find(|room| room.bucket_id == bucket_id);
    let newest_with_room = |needed: i64| {
        own()
            .filter(|room| room.bytes_free >= needed)
            .max_by_key(|room| room.bucket_id)
            .map(|room| room.bucket_id)
    };
    let release = match existing {
        Some(old) if old.account_id != account_id => return Placement::KeyOwnedByOther,
        Some(old) => {
            let growth = size - old.size;
            if room_of(old.bucket_id).is_some_and(|room| room.bytes_free >= growth) {
                return Placement::Place {
                    bucket_id: old.bucket_id,
                    claim: growth,
                    release: None,
                };
            }
            Some((old.bucket_id, old.size))
        }
        None => None,
    };
    match newest_with_room(size) {
        Some(bucket_id) => Placement::Place {
            bucket_id,
            claim: size,
            release,
        },
        None => Placement::NoRoom,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room(bucket_id: i64, bytes_free: i64) -> LiveRoom {
        LiveRoom {
            bucket_id,
            account_id: 1,
            bytes_free,
        }
    }

    fn old(bucket_id: i64, size: i64) -> Option<ExistingPair> {
        Some(ExistingPair {
            account_id: 1,
            bucket_id,
            size,
        })
    }

    #[test]
    fn a_new_pair_fills_the_newest_bucket_with_room() {
        let live = [room(1, 100), room(3, 10), room(2, 50)];
        let placed = |size| choose(1, None, size, &live);
        let at = |bucket_id, claim| Placement::Place {
            bucket_id,
            claim,
            release: None,
        };
        assert_eq!(placed(10), at(3, 10));
        assert_eq!(placed(11), at(2, 11));
        assert_eq!(placed(100), at(1, 100));
        assert_eq!(placed(101), Placement::NoRoom);
        assert_eq!(choose(1, None, 1, &[]), Placement::NoRoom);
    }

    #[test]
    fn another_accounts_key_is_refused_whatever_the_room() {
        let theirs = Some(ExistingPair {
            account_id: 2,
            bucket_id: 9,
            size: 1,
        });
        assert_eq!(
            choose(1, theirs, 1, &[room(1, 100)]),
            Placement::KeyOwnedByOther
        );
    }

    #[test]
    fn a_replacement_is_charged_its_growth_in_place() {
        let live = [room(1, 5), room(2, 100)];
        let in_place = |claim| Placement::Place {
            bucket_id: 1,
            claim,
            release: None,
        };
        assert_eq!(choose(1, old(1, 20), 25, &live), in_place(5));
        assert_eq!(choose(1, old(1, 20), 8, &live), in_place(-12));
    }

    #[test]
    fn growth_that_does_not_fit_moves_the_pair_whole() {
        let live = [room(1, 5), room(2, 100)];
        assert_eq!(
            choose(1, old(1, 20), 26, &live),
            Placement::Place {
                bucket_id: 2,
                claim: 26,
                release: Some((1, 20)),
            }
        );
        // Nowhere to go: nothing moves.
        assert_eq!(choose(1, old(1, 20), 200, &live), Placement::NoRoom);
    }

    #[test]
    fn a_pair_in_a_bucket_no_longer_live_moves_on_replacement() {
        // Bucket 7 expired (not among the live ones): even a smaller value moves.
        assert_eq!(
            choose(1, old(7, 20), 10, &[room(2, 50)]),
            Placement::Place {
                bucket_id: 2,
                claim: 10,
                release: Some((7, 20)),
            }
        );
    }
}
