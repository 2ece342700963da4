//! The expiry pass's plan: which due buckets expire, where their pairs move, what is
//! stranded, which owners are told, and what retention ends.

use std::collections::HashMap;

use time::{Duration, OffsetDateTime};

use crate::service::ports::{DueBucket, DuePair, ExpiredBucket, ExpiryPolicy, LiveRoom, Mail};

/// Buckets expired (and purged) per pass, so one pass stays one short transaction; the
/// next pass continues where this one stopped.
pub const BATCH: i64 = 200;

/// One pair moving out of an expiring bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    pub key: String,
    pub from: i64,
    pub to: i64,
    pub size: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExpiryPlan {
    /// Every due bucket given, in pass order: each expires.
    pub expired: Vec<ExpiredBucket>,
    pub moves: Vec<Move>,
    /// One notice per bucket left holding pairs, for owners with a mailable contact.
    pub notices: Vec<(i64, Mail)>,
}

/// Plans one pass over `due` (in pass order: earliest term end first). Each bucket's pairs
/// move largest first into the owner's newest live bucket with room; a pair that fits
/// nowhere stays, stranded (kept, not served, until purged).
pub fn plan(
    due: &[DueBucket],
    pairs: &[DuePair],
    live: &[LiveRoom],
    policy: &ExpiryPolicy,
) -> ExpiryPlan {
    let mut rooms: Vec<LiveRoom> = live.to_vec();
    // Newest first, so the first with room is the newest with room.
    rooms.sort_by_key(|room| std::cmp::Reverse(room.bucket_id));
    let mut held: HashMap<i64, Vec<&DuePair>> = HashMap::new();
    for pair in pairs {
        held.entry(pair.bucket_id).or_default().push(pair);
    }
    let mut plan = ExpiryPlan::default();
    for bucket in due {
        let mut pairs = held.remove(&bucket.bucket_id).unwrap_or_default();
        pairs.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.key.cmp(&b.key)));
        let (mut moved, mut stranded) = (0, 0);
        for pair in pairs {
            let target = rooms
                .iter_mut()
                .find(|room| room.account_id == bucket.account_id && room.bytes_free >= pair.size);
            match target {
                Some(room) => {
                    room.bytes_free -= pair.size;
                    plan.moves.push(Move {
                        key: pair.key.clone(),
                        from: bucket.bucket_id,
                        to: room.bucket_id,
                        size: pair.size,
                    });
                    moved += 1;
                }
                None => stranded += 1,
            }
        }
        let expired = ExpiredBucket {
            bucket_id: bucket.bucket_id,
            account_address: bucket.account_address.clone(),
            contact: bucket.contact.clone(),
            moved,
            stranded,
        };
        if stranded > 0 {
            if let Some(mail) = notice(&expired, policy) {
                plan.notices.push((bucket.bucket_id, mail));
            }
        }
        plan.expired.push(expired);
    }
    plan
}

/// Pending buckets bought at or before this moment were never paid in time: the pass drops
/// them, so unpaid purchases can not hold the deployment's capacity.
pub fn unpaid_before(now: OffsetDateTime, policy: &ExpiryPolicy) -> OffsetDateTime {
    now - Duration::days(policy.pending_days)
}

/// Expired buckets whose pass ran at or before this moment have ended their retention.
pub fn purge_before(now: OffsetDateTime, policy: &ExpiryPolicy) -> OffsetDateTime {
    now - Duration::days(policy.retention_days)
}

/// The one mail an owner gets when a bucket expires with pairs that fit nowhere else.
fn notice(bucket: &ExpiredBucket, policy: &ExpiryPolicy) -> Option<Mail> {
    let recipient = bucket.contact.trim();
    // Rein contacts are email addresses; anything else can not be mailed.
    if !recipient.contains('@') {
        return None;
    }
    Some(Mail {
        recipient: recipient.to_owned(),
        subject: format!("Causeway: bucket {} expired", bucket.bucket_id),
        body: format!(
            "Bucket {bucket} of account {account} has expired.\n\n\
             {stranded} key(s) in it could not be moved to another bucket with room. They are \
             kept but not served, and will be deleted after {retention_days} days.\n\n\
             To keep serving them, buy a bucket ({price_sats} satoshis) with /buy; \
             {moved} key(s) were moved to your other buckets.\n",
            bucket = bucket.bucket_id,
            account = bucket.account_address,
            stranded = bucket.stranded,
            moved = bucket.moved,
            retention_days = policy.retention_days,
            price_sats = policy.price_sats,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: ExpiryPolicy = ExpiryPolicy {
        retention_days: 30,
        price_sats: 10_000,
        pending_days: 7,
    };

    fn due(bucket_id: i64, account_id: i64, contact: &str) -> DueBucket {
        DueBucket {
            bucket_id,
            account_id,
            account_address: format!("1Owner{account_id}"),
            contact: contact.into(),
        }
    }

    fn pair(key: &str, bucket_id: i64, size: i64) -> DuePair {
        DuePair {
            key: key.into(),
            bucket_id,
            size,
        }
    }

    fn room(bucket_id: i64, account_id: i64, bytes_free: i64) -> LiveRoom {
        LiveRoom {
            bucket_id,
            account_id,
            bytes_free,
        }
    }

    #[test]
    fn pairs_move_largest_first_into_the_newest_room_and_the_rest_is_stranded() {
        let plan = plan(
            &[due(1, 7, "me@example.org")],
            &[pair("small", 1, 10), pair("big", 1, 60), pair("mid", 1, 40)],
            &[room(2, 7, 50), room(3, 7, 60)],
            &POLICY,
        );
        let moves: Vec<(&str, i64)> = plan.moves.iter().map(|m| (m.key.as_str(), m.to)).collect();
        // big → 3 (newest); mid fits only in 2; small fits in 2's remaining 10.
        assert_eq!(moves, [("big", 3), ("mid", 2), ("small", 2)]);
        assert_eq!(plan.expired[0].moved, 3);
        assert_eq!(plan.expired[0].stranded, 0);
        assert!(plan.notices.is_empty(), "nothing stranded, nothing to tell");
    }

    #[test]
    fn what_fits_nowhere_is_stranded_and_the_owner_told_once() {
        let plan = plan(
            &[due(1, 7, " me@example.org ")],
            &[pair("a", 1, 30), pair("b", 1, 30)],
            &[room(2, 7, 40), room(9, 8, 1_000)],
            &POLICY,
        );
        assert_eq!(plan.moves.len(), 1, "another owner's room is never used");
        assert_eq!(plan.expired[0].stranded, 1);
        let (bucket, mail) = &plan.notices[0];
        assert_eq!(*bucket, 1);
        assert_eq!(mail.recipient, "me@example.org");
        assert_eq!(mail.subject, "Causeway: bucket 1 expired");
        assert!(mail.body.contains("Bucket 1"));
        assert!(mail.body.contains("1 key(s) in it could not be moved"));
        assert!(mail.body.contains("after 30 days"));
    }

    #[test]
    fn room_used_by_one_bucket_is_gone_for_the_next() {
        let plan = plan(
            &[due(1, 7, ""), due(2, 7, "")],
            &[pair("x", 1, 50), pair("y", 2, 50)],
            &[room(5, 7, 60)],
            &POLICY,
        );
        assert_eq!(plan.expired[0].moved, 1);
        assert_eq!(plan.expired[1].stranded, 1);
        assert!(plan.notices.is_empty(), "no mailable contact, no notice");
    }

    #[test]
    fn contacts_that_are_not_email_get_no_mail() {
        let plan = plan(&[due(1, 7, "irc:nick")], &[pair("a", 1, 5)], &[], &POLICY);
        assert_eq!(plan.expired[0].stranded, 1);
        assert!(plan.notices.is_empty());
    }

    #[test]
    fn retention_counts_back_from_the_pass() {
        let now = time::macros::datetime!(2026-06-01 0:00 UTC);
        assert_eq!(purge_before(now, &POLICY), now - Duration::days(30));
        assert_eq!(unpaid_before(now, &POLICY), now - Duration::days(7));
    }
}
