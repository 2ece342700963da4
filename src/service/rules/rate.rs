//! Rate limits as token buckets, computed as GCRA: the classes of request counted apart, and
//! a bucket as one number, the theoretical arrival time (TAT) of the next request.

use crate::service::ports::{RateLimit, Taken};

/// The classes of request counted apart (API.md, "Rate limits per client").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RateClass {
    /// Unsigned requests: `/get`, `/query`, `/bitcoin`, `/status`, …
    Reads,
    /// `/nonce`.
    Nonces,
    /// Signed requests.
    Writes,
    /// Requests that create an account.
    NewAccounts,
}

impl RateClass {
    pub const ALL: [RateClass; 4] = [
        RateClass::Reads,
        RateClass::Nonces,
        RateClass::Writes,
        RateClass::NewAccounts,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RateClass::Reads => "reads",
            RateClass::Nonces => "nonces",
            RateClass::Writes => "writes",
            RateClass::NewAccounts => "new_accounts",
        }
    }
}

/// How long a stored TAT is kept past the moment its bucket is full again. The decision is
/// the TAT against the caller's clock (a TAT in the past reads as a full bucket), so the
/// expiry only collects garbage; the grace keeps Redis's clock, which runs the expiry, from
/// deciding instead when a replica's clock runs behind it.
pub const KEEP_GRACE_MICROS: u64 = 2_000_000;

/// `count` requests per `window_micros`, in bursts of `count`; `None` when the limit is off
/// (a count of 0).
pub fn limit(count: u32, window_micros: u64) -> Option<RateLimit> {
    if count == 0 {
        return None;
    }
    let interval_micros = (window_micros / u64::from(count)).max(1);
    Some(RateLimit {
        interval_micros,
        burst_micros: interval_micros * (u64::from(count) - 1),
    })
}

/// The limiter's answer to one request, and the bucket's new state when it is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Judgement {
    pub taken: Taken,
    /// The TAT to store, and how long it matters (after that the bucket is full again and
    /// can be forgotten). `None` when refused: a refusal changes nothing.
    pub store: Option<(u64, u64)>,
}

/// Judges a request at `now` against a bucket whose stored TAT is `tat` (`None`: full).
/// The Redis adapter runs this same arithmetic in Lua, one script per request; the
/// conformance suite holds both to the same answers.
pub fn judge(tat: Option<u64>, now: u64, limit: RateLimit) -> Judgement {
    let tat = tat.unwrap_or(now).max(now);
    let ahead = tat - now;
    if ahead > limit.burst_micros {
        return Judgement {
            taken: Taken::Refused {
                retry_after_micros: ahead - limit.burst_micros,
            },
            store: None,
        };
    }
    let next = tat + limit.interval_micros;
    Judgement {
        taken: Taken::Allowed,
        store: Some((next, next - now + KEEP_GRACE_MICROS)),
    }
}

/// `Retry-After` in whole seconds, rounded up and at least 1 (0 would invite a retry now).
pub fn retry_after_secs(retry_after_micros: u64) -> u64 {
    retry_after_micros.div_ceil(1_000_000).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: u64 = 1_000_000;

    /// Runs `requests` at the given times through one bucket; true for each allowed.
    fn run(limit: RateLimit, times: &[u64]) -> Vec<bool> {
        let mut tat = None;
        times
            .iter()
            .map(|now| {
                let judgement = judge(tat, *now, limit);
                if let Some((next, _)) = judgement.store {
                    tat = Some(next);
                }
                judgement.taken == Taken::Allowed
            })
            .collect()
    }

    #[test]
    fn a_burst_of_n_passes_and_the_next_waits_one_interval() {
        let ten = limit(10, SEC).unwrap();
        let start = 1_700_000_000 * SEC;
        let allowed = run(ten, &[start; 11]);
        assert_eq!(allowed.iter().filter(|a| **a).count(), 10);
        assert!(!allowed[10]);
        // After the burst, one token comes back every 100 ms.
        let mut times = vec![start; 10];
        times.extend([start + SEC / 10 - 1, start + SEC / 10, start + SEC / 10 + 1]);
        assert_eq!(&run(ten, &times)[10..], &[false, true, false]);
        // A full second later the bucket is full again.
        let mut times = vec![start; 10];
        times.extend(vec![start + SEC; 10]);
        assert!(run(ten, &times).iter().all(|a| *a));
    }

    #[test]
    fn a_refusal_says_when_to_come_back_and_costs_nothing() {
        let two = limit(2, SEC).unwrap();
        let mut tat = None;
        for _ in 0..2 {
            tat = judge(tat, 0, two).store.map(|(next, _)| next);
        }
        let refused = judge(tat, 0, two);
        assert_eq!(
            refused.taken,
            Taken::Refused {
                retry_after_micros: SEC / 2
            }
        );
        assert_eq!(refused.store, None);
        assert_eq!(judge(tat, SEC / 2, two).taken, Taken::Allowed);
    }

    #[test]
    fn a_steady_pace_at_the_limit_is_never_refused() {
        let fifty = limit(50, SEC).unwrap();
        let times: Vec<u64> = (0..500).map(|i| i * SEC / 50).collect();
        assert!(run(fifty, &times).iter().all(|a| *a));
    }

    #[test]
    fn per_hour_limits_and_off() {
        let hourly = limit(20, 3600 * SEC).unwrap();
        assert_eq!(hourly.interval_micros, 180 * SEC);
        assert_eq!(hourly.burst_micros, 19 * 180 * SEC);
        assert_eq!(limit(0, SEC), None);
        // The stored state lives until the bucket would be full again, and the grace.
        let judgement = judge(None, 5, limit(1, SEC).unwrap());
        assert_eq!(judgement.store, Some((5 + SEC, SEC + KEEP_GRACE_MICROS)));
    }

    #[test]
    fn retry_after_is_whole_seconds_rounded_up() {
        assert_eq!(retry_after_secs(1), 1);
        assert_eq!(retry_after_secs(SEC), 1);
        assert_eq!(retry_after_secs(SEC + 1), 2);
        assert_eq!(retry_after_secs(0), 1);
    }
}
