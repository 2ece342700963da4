//! The load driver: concurrent HTTP clients for a fixed time, flat out or paced, and what
//! they measured.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const CLIENTS: usize = 8;

pub struct Run {
    pub per_second: f64,
    pub p50: Duration,
    pub p99: Duration,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(index).copied().unwrap_or_default()
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Sends one request; a refused one fails the benchmark, not the count.
pub async fn send(request: reqwest::RequestBuilder) -> Vec<u8> {
    let response = request.send().await.expect("request");
    let status = response.status();
    let body = response.bytes().await.expect("body");
    assert!(
        status.is_success(),
        "{status}: {}",
        String::from_utf8_lossy(&body)
    );
    body.to_vec()
}

/// `CLIENTS` concurrent clients sending `request(i)` for `seconds`; i counts up from 0
/// across all clients.
pub async fn load<F>(seconds: u64, request: F) -> Run
where
    F: Fn(usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let next = Arc::new(AtomicUsize::new(0));
    let request = Arc::new(request);
    drive(CLIENTS, seconds, None, move |_, _| {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let request = request.clone();
        async move {
            send(request(i)).await;
        }
    })
    .await
}

/// `clients` concurrent clients each running `operation(client, nth)` for `seconds`, where
/// `nth` counts that client's operations from 0. Flat out when `per_second` is None;
/// otherwise the clients together start `per_second` operations a second on a fixed
/// schedule, and each latency counts from the operation's scheduled start, so a stall is
/// charged to every operation it delayed (no coordinated omission).
pub async fn drive<F, Fut>(
    clients: usize,
    seconds: u64,
    per_second: Option<f64>,
    operation: F,
) -> Run
where
    F: Fn(usize, usize) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
{
    let operation = Arc::new(operation);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    // Each client's own period; clients start staggered over one period.
    let period = per_second.map(|rate| Duration::from_secs_f64(clients as f64 / rate));
    let mut tasks = Vec::new();
    for client in 0..clients {
        let operation = operation.clone();
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            // (first send, period) when paced.
            let schedule = period.map(|p| (started + p.mul_f64(client as f64 / clients as f64), p));
            for nth in 0.. {
                let due = schedule.map_or_else(Instant::now, |(first, p)| first + p * nth as u32);
                if due >= deadline {
                    break;
                }
                // Flat out, never through the timer: its 1 ms ticks would pace every call.
                // Early, the latency counts from the send (the timer's own lateness is not
                // the server's); late, behind a slow answer, from the schedule.
                let start = if due > Instant::now() {
                    tokio::time::sleep_until(due.into()).await;
                    Instant::now()
                } else {
                    due
                };
                let _ = operation(client, nth).await;
                times.push(start.elapsed());
            }
            times
        }));
    }
    let mut times = Vec::new();
    for task in tasks {
        times.extend(task.await.expect("client"));
    }
    let elapsed = started.elapsed().max(Duration::from_secs(seconds));
    times.sort();
    Run {
        per_second: times.len() as f64 / elapsed.as_secs_f64(),
        p50: percentile(&times, 0.5),
        p99: percentile(&times, 0.99),
    }
}
