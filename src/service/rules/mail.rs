//! Mail delivery rules: how long a claimed mail is leased, and what one attempt's outcome
//! means for the next (retry with backoff, or give up).

use time::{Duration, OffsetDateTime};

use crate::service::ports::{Delivery, MailAttempt};

/// Mails claimed per drain.
pub const BATCH: i64 = 20;

/// How long a claimed mail is reserved for the replica that claimed it: longer than a whole
/// batch of sends at the SMTP timeout (20 × 30 s), so a slow server never gets a mail sent
/// twice by two replicas, short enough that a crashed replica's mails go out soon after.
pub const LEASE: Duration = Duration::minutes(15);

/// Judges one attempt of a mail that had `before` attempts: a transient failure is
/// retried after the backoff until `max_attempts` attempts were made.
pub fn after_attempt(
    before: i32,
    delivery: Delivery,
    max_attempts: i32,
    now: OffsetDateTime,
) -> MailAttempt {
    let attempts = before + 1;
    match delivery {
        Delivery::Sent => MailAttempt::Sent { attempts },
        Delivery::Retry(why) if attempts < max_attempts => MailAttempt::Retry {
            attempts,
            at: now + backoff(before),
            why,
        },
        Delivery::Retry(why) | Delivery::Failed(why) => MailAttempt::Failed { attempts, why },
    }
}

/// Backoff before attempt `attempts + 1`: 30 s doubling, capped at 6 h.
pub fn backoff(attempts: i32) -> Duration {
    let exponent = attempts.clamp(0, 10) as u32;
    Duration::seconds((30_i64 << exponent).min(6 * 3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: OffsetDateTime = time::macros::datetime!(2026-06-01 0:00 UTC);

    #[test]
    fn backoff_doubles_from_thirty_seconds_up_to_six_hours() {
        assert_eq!(backoff(0), Duration::seconds(30));
        assert_eq!(backoff(1), Duration::seconds(60));
        assert_eq!(backoff(3), Duration::seconds(240));
        assert_eq!(backoff(20), Duration::hours(6));
        assert_eq!(backoff(-1), Duration::seconds(30));
    }

    #[test]
    fn a_transient_failure_is_retried_after_the_backoff() {
        assert_eq!(
            after_attempt(1, Delivery::Retry("busy".into()), 5, NOW),
            MailAttempt::Retry {
                attempts: 2,
                at: NOW + Duration::seconds(60),
                why: "busy".into(),
            }
        );
    }

    #[test]
    fn the_last_allowed_attempt_and_permanent_failures_give_up() {
        assert_eq!(
            after_attempt(4, Delivery::Retry("busy".into()), 5, NOW),
            MailAttempt::Failed {
                attempts: 5,
                why: "busy".into()
            }
        );
        assert_eq!(
            after_attempt(0, Delivery::Failed("no such user".into()), 5, NOW),
            MailAttempt::Failed {
                attempts: 1,
                why: "no such user".into()
            }
        );
        assert_eq!(
            after_attempt(2, Delivery::Sent, 5, NOW),
            MailAttempt::Sent { attempts: 3 }
        );
    }
}
