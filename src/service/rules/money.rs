//! Money rules: what a balance change may do, which pending buckets a balance pays, when a
//! paid bucket's term starts, and how a node's deposit report is credited.

use time::OffsetDateTime;

use crate::service::ports::DepositOutcome;

/// The balance after adding `delta` (negative for a debit), or None when it would go
/// below zero.
pub fn post(balance: i64, delta: i64) -> Option<i64> {
    balance.checked_add(delta).filter(|after| *after >= 0)
}

/// Whether a balance change should go on to pay pending buckets: only money coming in
/// does, so a debit never activates a bucket bought without paying.
pub fn pays_pending(delta: i64) -> bool {
    delta > 0
}

/// Whether a purchase is paid at once: only when the buyer signed for it and the balance
/// covers the price; otherwise the bucket waits, pending, for deposits.
pub fn pays_now(signed: bool, balance: i64, price: i64) -> bool {
    signed && balance >= price
}

/// The pending bucket an unsigned purchase answers with instead of adding one: a stranger's
/// unsigned `/buy` may leave at most one pending bucket on an account, so it can not queue
/// buckets for the owner's next deposit to pay. A signed purchase always adds its own.
pub fn pending_reused(signed: bool, pending: &[PendingBucket]) -> Option<i64> {
    if signed {
        return None;
    }
    pending.iter().map(|bucket| bucket.bucket_id).min()
}

/// A pending bucket waiting for money, as locked by the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingBucket {
    pub bucket_id: i64,
    pub price_sats: i64,
}

/// The pending buckets `balance` pays, oldest first: it stops at the first one it can not
/// pay, so a cheap newer bucket never jumps the queue.
pub fn pending_paid(balance: i64, pending: &[PendingBucket]) -> Vec<PendingBucket> {
    let mut queue = pending.to_vec();
    queue.sort_by_key(|bucket| bucket.bucket_id);
    let mut left = balance;
    queue
        .into_iter()
        .take_while(|bucket| match post(left, -bucket.price_sats) {
            Some(after) => {
                left = after;
                true
            }
            None => false,
        })
        .collect()
}

/// A paid bucket's term starts when it is paid: it keeps its length (`expires - created`
/// as bought) from `now`. Returns the new (created, expires).
pub fn activation(
    created: OffsetDateTime,
    expires: OffsetDateTime,
    now: OffsetDateTime,
) -> (OffsetDateTime, OffsetDateTime) {
    (now, now + (expires - created))
}

/// What a node's report of coins received at a deposit address means: `Ok(amount)` to credit
/// once (remembering `reported` as seen), or the outcome when there is nothing to credit. A
/// decrease (a reorg or a rescan) is reported, never debited: money already credited is
/// never taken back silently.
pub fn credit_deposit(seen: i64, reported: i64) -> Result<i64, DepositOutcome> {
    match reported.cmp(&seen) {
        std::cmp::Ordering::Greater => Ok(reported - seen),
        std::cmp::Ordering::Equal => Err(DepositOutcome::Unchanged),
        std::cmp::Ordering::Less => Err(DepositOutcome::Decreased { seen, reported }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;
    use time::Duration;

    fn pending(bucket_id: i64, price_sats: i64) -> PendingBucket {
        PendingBucket {
            bucket_id,
            price_sats,
        }
    }

    #[test]
    fn a_balance_never_goes_below_zero() {
        assert_eq!(post(10, -10), Some(0));
        assert_eq!(post(10, -11), None);
        assert_eq!(post(0, 5), Some(5));
        assert_eq!(post(i64::MAX, 1), None);
    }

    #[test]
    fn only_money_coming_in_pays_pending_buckets() {
        assert!(pays_pending(1));
        assert!(!pays_pending(0));
        assert!(!pays_pending(-5));
    }

    #[test]
    fn a_purchase_is_paid_now_only_when_signed_and_covered() {
        assert!(pays_now(true, 100, 100));
        assert!(!pays_now(true, 99, 100));
        assert!(!pays_now(false, 1_000, 100));
    }

    #[test]
    fn an_unsigned_purchase_reuses_a_pending_bucket_and_a_signed_one_never_does() {
        let queue = [pending(7, 10), pending(3, 10)];
        assert_eq!(pending_reused(false, &queue), Some(3));
        assert_eq!(pending_reused(false, &[]), None);
        assert_eq!(pending_reused(true, &queue), None);
    }

    #[test]
    fn pending_buckets_are_paid_oldest_first_and_stop_at_the_first_unpaid() {
        let queue = [
            pending(3, 10),
            pending(1, 50),
            pending(2, 100),
            pending(4, 1),
        ];
        let paid: Vec<i64> = pending_paid(160, &queue)
            .iter()
            .map(|b| b.bucket_id)
            .collect();
        // 1 (50) and 2 (100) leave 10, which pays 3 exactly; nothing is left for 4.
        assert_eq!(paid, [1, 2, 3]);
        let paid: Vec<i64> = pending_paid(149, &queue)
            .iter()
            .map(|b| b.bucket_id)
            .collect();
        // 2 costs more than the 99 left: 3 and 4 wait behind it though cheaper.
        assert_eq!(paid, [1]);
        assert!(pending_paid(0, &queue).is_empty());
    }

    #[test]
    fn activation_starts_the_whole_term_at_payment() {
        let created = datetime!(2026-01-01 0:00 UTC);
        let now = datetime!(2026-03-01 12:00 UTC);
        let (start, end) = activation(created, created + Duration::days(365), now);
        assert_eq!(start, now);
        assert_eq!(end, now + Duration::days(365));
    }

    #[test]
    fn a_deposit_is_credited_by_its_increase_only() {
        assert_eq!(credit_deposit(0, 500), Ok(500));
        assert_eq!(credit_deposit(500, 800), Ok(300));
        assert_eq!(credit_deposit(800, 800), Err(DepositOutcome::Unchanged));
        assert_eq!(
            credit_deposit(800, 700),
            Err(DepositOutcome::Decreased {
                seen: 800,
                reported: 700
            })
        );
    }
}
