//! The retry policy: one value, used for every request Ferry makes.
//!
//! Requests are retried at exactly one level: the retry layer every resolved store carries
//! ([`crate::store::layer::Retry`]) runs each backend call again on a transient failure (5xx,
//! 408, 429, connection reset, timeout, a truncated body) with exponential backoff and full
//! jitter, at most [`RetryPolicy::max_retries`] times. The HTTP clients below it send each
//! request once. Permanent failures (4xx, not found, integrity) are never retried and reach
//! the user with the server's message.

use std::future::Future;
use std::time::Duration;

use rand::Rng;

use crate::Error;

/// How often and how patiently to retry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: usize,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// Growth of the backoff ceiling per attempt.
    pub base: f64,
    /// A single request slower than this fails (and may be retried).
    pub request_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 10,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(15),
            base: 2.0,
            request_timeout: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// A policy for tests against local servers: quick to give up.
    pub fn quick() -> Self {
        RetryPolicy {
            max_retries: 3,
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(200),
            base: 2.0,
            request_timeout: Duration::from_secs(30),
        }
    }

    /// `object_store`'s clients send each request once: the retry layer above them retries
    /// (were both to, `--retries 2` against a failing server sent 9 requests, 3 × 3).
    pub fn object_store_config(&self) -> object_store::RetryConfig {
        object_store::RetryConfig {
            backoff: object_store::BackoffConfig {
                init_backoff: self.initial_backoff,
                max_backoff: self.max_backoff,
                base: self.base,
            },
            max_retries: 0,
            retry_timeout: std::time::Duration::ZERO,
        }
    }

    /// The delay before retry number `attempt` (1-based): full jitter below an exponential ceiling.
    pub fn backoff(&self, attempt: usize) -> Duration {
        let ceiling = self.initial_backoff.as_secs_f64() * self.base.powi(attempt as i32 - 1);
        let ceiling = ceiling.min(self.max_backoff.as_secs_f64());
        Duration::from_secs_f64(rand::rng().random_range(0.0..=ceiling))
    }

    /// Runs `op` until it succeeds, fails permanently, or the budget is spent.
    pub async fn run<T, F, Fut>(&self, what: &str, mut op: F) -> Result<T, Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let mut attempt = 0;
        loop {
            match op().await {
                Err(e) if e.is_retryable() && attempt < self.max_retries => {
                    attempt += 1;
                    let delay = self.backoff(attempt);
                    tracing::debug!(what, attempt, ?delay, error = %e, "retrying");
                    crate::metrics::RETRIES.inc();
                    tokio::time::sleep(delay).await;
                }
                other => return other,
            }
        }
    }
}
