//! Retries as a layer: the one place Ferry sends a request again.
//!
//! Every call is retried with the store's [`RetryPolicy`] while it fails with a retryable
//! error (5xx, 408, 429, a reset or timeout, a truncated body), at most
//! `max_retries` times, with backoff and full jitter between attempts. What callers built on
//! retries stays true here:
//! - a completion whose answer was lost is sent again and finds no such upload; the engine
//!   then checks whether the object is there, whole;
//! - a create whose answer was lost may have created an upload nobody knows the id of: when
//!   a create was sent more than once, the uploads of that key begun since the first attempt,
//!   but the one returned, are aborted ([`super::abort_strays`]);
//! - a read whose body came short fails as retryable in the backend and is read again.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{Hook, Layered, Op, abort_strays};
use crate::Result;
use crate::retry::RetryPolicy;
use crate::store::SharedBackend;

/// Retries every call with one policy.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    policy: RetryPolicy,
}

impl Retry {
    pub fn new(policy: RetryPolicy) -> Self {
        Retry { policy }
    }
}

impl Hook for Retry {
    fn call<T, F, Fut>(&self, op: Op, send: F) -> impl Future<Output = Result<T>> + Send
    where
        T: Send,
        F: FnMut() -> Fut + Send,
        Fut: Future<Output = Result<T>> + Send,
    {
        self.policy.run(op.name(), send)
    }

    async fn create_upload(
        &self,
        inner: &SharedBackend,
        key: &str,
        size: u64,
        sha256: &str,
    ) -> Result<String> {
        let since = chrono::Utc::now().timestamp_millis();
        let attempts = AtomicUsize::new(0);
        let created = self
            .policy
            .run(Op::CreateUpload.name(), || {
                attempts.fetch_add(1, Ordering::Relaxed);
                inner.create_upload(key, size, sha256)
            })
            .await;
        if attempts.into_inner() > 1 {
            // The sweep's own calls are retried too.
            let retrying = Layered::new(inner.clone(), *self);
            abort_strays(&retrying, key, since, created.as_deref().ok()).await;
        }
        created
    }
}
