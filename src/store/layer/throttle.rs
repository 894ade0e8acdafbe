//! `--bwlimit` as a layer: one token bucket shared by every transfer of a run, paid by the
//! file data written to the run's destination (once per call, however often it is retried).
//!
//! Hand-written because the bucket counts bytes in chunk-sized draws (up to hundreds of MiB),
//! which the rate-limiter crates' cell-based APIs do not take in one call.

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::{Hook, Op};
use crate::Result;

/// Limits the bytes per second that pass through [`Throttle::take`].
#[derive(Debug)]
pub struct Throttle {
    rate: f64,
    /// `(tokens available, last refill)`; tokens may go negative: a large draw is paid later.
    state: Mutex<(f64, Instant)>,
}

impl Throttle {
    pub fn new(bytes_per_second: u64) -> Self {
        Throttle {
            rate: bytes_per_second.max(1) as f64,
            state: Mutex::new((bytes_per_second as f64, Instant::now())),
        }
    }

    /// Waits until `bytes` may pass. Burst: one second's worth.
    pub async fn take(&self, bytes: u64) {
        let wait = {
            let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let refill = now.duration_since(s.1).as_secs_f64() * self.rate;
            s.0 = (s.0 + refill).min(self.rate);
            s.1 = now;
            s.0 -= bytes as f64;
            if s.0 < 0.0 { -s.0 / self.rate } else { 0.0 }
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
    async fn limits_rate() {
        let t = Throttle::new(1000);
        let start = tokio::time::Instant::now();
        for _ in 0..5 {
            t.take(1000).await;
        }
        // One second of burst, then four seconds for the rest.
        assert!(start.elapsed() >= Duration::from_secs(4));
    }
}
