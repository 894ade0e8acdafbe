//! `--bwlimit` as a layer: one token bucket shared by every transfer of a run, paid by the
//! file data written to the run's destination (once per call, however often it is retried).
//!
//! The bucket starts empty and holds at most [`MAX_BURST`] (rclone's `maxBurstSize`, and
//! its bucket starts empty too). A request pays for its bytes before it is sent and may
//! drive the bucket into debt, which the next request waits out: so by any moment at most
//! `rate × elapsed` plus the requests in flight have gone, and a run ends no sooner than
//! `bytes / rate` after it began. It used to start full with one second's worth, which a
//! two-second run spent on top of its two seconds (20M moved 57 MiB in 2 s).
//!
//! The rate is asked of the [`BwTimetable`] at each request, so a timetable's change of
//! rate applies to the run in progress.
//!
//! Hand-written because the bucket counts bytes in chunk-sized draws (up to hundreds of MiB),
//! which the rate-limiter crates' cell-based APIs do not take in one call.

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::bwtimetable::{BwTimetable, Rate};
use super::{Hook, Op};
use crate::Result;

/// The most the bucket saves up while idle: 4 MiB, as rclone.
pub const MAX_BURST: f64 = (4 << 20) as f64;

/// Limits the bytes per second that pass through [`Throttle::take`].
#[derive(Debug)]
pub struct Throttle {
    table: BwTimetable,
    /// Which of a pair's rates applies: the run reads from a remote, writes to one.
    src_remote: bool,
    dst_remote: bool,
    /// `(tokens available, last refill)`; tokens may go negative: a large draw is paid later.
    state: Mutex<(f64, Instant)>,
}

impl Throttle {
    /// A constant limit of `bytes_per_second`.
    pub fn new(bytes_per_second: u64) -> Self {
        let r = Some(bytes_per_second.max(1));
        Throttle::scheduled(BwTimetable::constant(Rate { up: r, down: r }), false, false)
    }

    /// The limit `table` sets at each moment, for a run from a remote source or not to a
    /// remote destination or not (see [`Rate::limit`]).
    pub fn scheduled(table: BwTimetable, src_remote: bool, dst_remote: bool) -> Self {
        Throttle {
            table,
            src_remote,
            dst_remote,
            state: Mutex::new((0.0, Instant::now())),
        }
    }

    /// Waits until `bytes` may pass.
    pub async fn take(&self, bytes: u64) {
        let limit = self.table.now().limit(self.src_remote, self.dst_remote);
        let wait = {
            let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let Some(rate) = limit.map(|r| r.max(1) as f64) else {
                // No limit now: nothing saved up for when there is one again.
                *s = (0.0, now);
                return;
            };
            let refill = now.duration_since(s.1).as_secs_f64() * rate;
            s.0 = (s.0 + refill).min(MAX_BURST.min(rate));
            s.1 = now;
            s.0 -= bytes as f64;
            if s.0 < 0.0 { -s.0 / rate } else { 0.0 }
        };
        if wait > 0.0 {
            tokio::time::sleep(Duration::from_secs_f64(wait)).await;
        }
    }
}

impl Hook for Throttle {
    async fn call<T, F, Fut>(&self, op: Op, mut send: F) -> Result<T>
    where
        T: Send,
        F: FnMut() -> Fut + Send,
        Fut: Future<Output = Result<T>> + Send,
    {
        if let Some(bytes) = op.written() {
            self.take(bytes).await;
        }
        send().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn no_burst_at_the_start() {
        let t = Throttle::new(1000);
        let start = tokio::time::Instant::now();
        for _ in 0..5 {
            t.take(1000).await;
        }
        // Each draw waits for its own second: the last may go at 5 s, not at 4.
        assert_eq!(start.elapsed(), Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn idle_time_saves_at_most_the_burst() {
        let t = Throttle::new(100 << 20);
        tokio::time::sleep(Duration::from_secs(10)).await;
        let start = tokio::time::Instant::now();
        t.take(4 << 20).await;
        assert_eq!(start.elapsed(), Duration::ZERO, "4 MiB saved up");
        t.take(10 << 20).await;
        assert_eq!(
            start.elapsed(),
            Duration::from_millis(100),
            "not ten seconds' worth"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn off_does_not_wait() {
        let t = Throttle::scheduled("off".parse().expect("parses"), false, true);
        let start = tokio::time::Instant::now();
        t.take(1 << 30).await;
        assert_eq!(start.elapsed(), Duration::ZERO);
    }
}
