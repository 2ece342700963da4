//! The rate-limit refusals one replica remembers, so it can treat a refused client warily.

use std::collections::HashMap;
use std::sync::Mutex;

/// Refusals remembered before the expired ones are swept.
const SWEEP_AT: usize = 4096;

/// The buckets this replica refused lately, with when each refusal ends (Unix µs): reads of
/// those clients are checked before they reach PostgreSQL instead of alongside.
#[derive(Default)]
pub struct Refusals(Mutex<HashMap<String, u64>>);

impl Refusals {
    pub fn note(&self, bucket: String, until: u64, now: u64) {
        let mut refused = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if refused.len() >= SWEEP_AT {
            refused.retain(|_, end| *end > now);
        }
        refused.insert(bucket, until);
    }

    pub fn holds(&self, bucket: &str, now: u64) -> bool {
        let refused = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        refused.get(bucket).is_some_and(|end| *end > now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_holds_until_it_ends_and_ended_ones_are_swept() {
        let refusals = Refusals::default();
        refusals.note("reads:198.51.100.1".into(), 10, 0);
        assert!(refusals.holds("reads:198.51.100.1", 9));
        assert!(!refusals.holds("reads:198.51.100.1", 10));
        assert!(!refusals.holds("reads:198.51.100.2", 0));
        for i in 0..SWEEP_AT {
            refusals.note(format!("c{i}"), 20, 0);
        }
        // Past every end, the next refusal sweeps the rest.
        refusals.note("late".into(), 40, 30);
        assert_eq!(refusals.0.lock().unwrap().len(), 1);
        assert!(refusals.holds("late", 39));
    }
}
