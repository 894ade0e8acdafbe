//! A backend wrapper that misbehaves on purpose: random 503s, connection resets, truncated
//! bodies and slow answers, so tests can prove that transfers still end with verified data.
//!
//! Faults are drawn from a seeded generator: a failing run can be replayed with its seed.

use std::ops::Range;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::{Backend, Capabilities, ObjectInfo, PendingUpload, Retention, SharedBackend, Stat};
use crate::{Error, Result};

/// How often each fault happens, per request (0.0–1.0).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaultPlan {
    /// Answer 503 before doing anything.
    pub unavailable: f64,
    /// Do the work, then lose the answer (connection reset after the server acted).
    pub reset_after: f64,
    /// Ranged reads return fewer bytes than asked for.
    pub truncated: f64,
    /// Delay the answer by up to `max_delay`.
    pub slow: f64,
    pub max_delay: Duration,
    pub seed: u64,
}

impl Default for FaultPlan {
    fn default() -> Self {
        FaultPlan {
            unavailable: 0.1,
            reset_after: 0.05,
            truncated: 0.1,
            slow: 0.1,
            max_delay: Duration::from_millis(50),
            seed: 1,
        }
    }
}

/// Wraps a backend with the faults of a [`FaultPlan`].
#[derive(Debug)]
pub struct FaultyBackend {
    inner: SharedBackend,
    plan: FaultPlan,
    rng: Mutex<StdRng>,
    injected: AtomicU64,
}

impl FaultyBackend {
    pub fn new(inner: SharedBackend, plan: FaultPlan) -> Self {
        FaultyBackend {
            inner,
            rng: Mutex::new(StdRng::seed_from_u64(plan.seed)),
            plan,
            injected: AtomicU64::new(0),
        }
    }

    /// Faults injected so far.
    pub fn injected(&self) -> u64 {
        self.injected.load(Ordering::Relaxed)
    }

    fn roll(&self, p: f64) -> bool {
        let hit = self
            .rng
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .random_bool(p.clamp(0.0, 1.0));
        if hit {
            self.injected.fetch_add(1, Ordering::Relaxed);
        }
        hit
    }

    /// Delays or fails a request before it is sent; `Ok(true)`: lose its answer afterwards.
    async fn before(&self, op: &str) -> Result<bool> {
        if self.roll(self.plan.slow) {
            let ms = self.plan.max_delay.as_millis() as u64;
            let delay = self
                .rng
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .random_range(0..=ms);
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        if self.roll(self.plan.unavailable) {
            return Err(injected(op, "HTTP 503 Service Unavailable (injected)"));
        }
        Ok(self.roll(self.plan.reset_after))
    }

    /// Runs `work`, then applies a reset-after fault, if one was drawn.
    async fn around<T>(&self, op: &str, work: impl Future<Output = Result<T>>) -> Result<T> {
        let reset_after = self.before(op).await?;
        let out = work.await?;
        if reset_after {
            return Err(injected(op, "connection reset by peer (injected)"));
        }
        Ok(out)
    }
}

fn injected(op: &str, message: &str) -> Error {
    Error::Storage {
        context: format!("fault injection {op}"),
        message: message.to_owned(),
        retryable: true,
    }
}

#[async_trait]
impl Backend for FaultyBackend {
    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>> {
        self.around("list", self.inner.list(prefix)).await
    }

    async fn stat(&self, key: &str) -> Result<Option<Stat>> {
        self.around("stat", self.inner.stat(key)).await
    }

    async fn get_range(&self, key: &str, range: Range<u64>, etag: Option<&str>) -> Result<Bytes> {
        let data = self
            .around("get", self.inner.get_range(key, range, etag))
            .await?;
        if data.len() > 1 && self.roll(self.plan.truncated) {
            // What a body cut short looks like to the engine: the read fails as truncated.
            return Err(Error::Storage {
                context: "fault injection get".into(),
                message: format!(
                    "body truncated: {} of {} bytes (injected)",
                    data.len() / 2,
                    data.len()
                ),
                retryable: true,
            });
        }
        Ok(data)
    }

    async fn put(&self, key: &str, data: Bytes, sha256: &str) -> Result<()> {
        self.around("put", self.inner.put(key, data, sha256)).await
    }

    async fn create_upload(&self, key: &str, size: u64, sha256: &str) -> Result<String> {
        // A lost answer here would orphan an upload the engine never heard of; real servers
        // can do that too, and lifecycle rules clean up after them. Not injected: the test
        // asserts that no upload is left behind.
        let _ = self.before("create upload").await?;
        self.inner.create_upload(key, size, sha256).await
    }

    async fn put_part(
        &self,
        key: &str,
        upload: &str,
        index: u64,
        offset: u64,
        data: Bytes,
    ) -> Result<String> {
        self.around(
            "put part",
            self.inner.put_part(key, upload, index, offset, data),
        )
        .await
    }

    async fn complete_upload(&self, key: &str, upload: &str, parts: Vec<String>) -> Result<()> {
        // Completing twice is not idempotent on S3: only faults before the request.
        let _ = self.before("complete upload").await?;
        self.inner.complete_upload(key, upload, parts).await
    }

    async fn read_staged(
        &self,
        key: &str,
        upload: &str,
        range: Range<u64>,
    ) -> Result<Option<Bytes>> {
        self.inner.read_staged(key, upload, range).await
    }

    async fn abort_upload(&self, key: &str, upload: &str) -> Result<()> {
        self.inner.abort_upload(key, upload).await
    }

    async fn pending_uploads(&self, prefix: &str) -> Result<Option<Vec<PendingUpload>>> {
        self.around("list uploads", self.inner.pending_uploads(prefix))
            .await
    }

    async fn copy(&self, from: &str, to: &str) -> Result<()> {
        self.around("copy", self.inner.copy(from, to)).await
    }

    async fn delete(&self, key: &str) -> Result<()> {
        self.around("delete", self.inner.delete(key)).await
    }

    async fn retention(&self, key: &str) -> Result<Option<Retention>> {
        self.around("get retention", self.inner.retention(key))
            .await
    }
}
