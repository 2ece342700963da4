//! Background work of a replica: folding the bandwidth meter into the store.

use std::time::Duration;

use tokio::task::JoinHandle;

use crate::service::Service;

/// Folds metered transfer every `every`; safe in every replica at once, since each fold
/// drains disjoint amounts atomically.
pub fn spawn_metering_fold(service: Service, every: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every.max(Duration::from_millis(100)));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if let Err(err) = service.fold_metering().await {
                tracing::warn!(error = %err, "metering fold failed; charges kept for the next one");
            }
        }
    })
}
