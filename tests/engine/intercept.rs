//! A backend wrapper that lets a test act at a chosen request (fail the k-th part, cancel
//! the run, replace the source) and records what was asked of the backend underneath.

use std::ops::Range;
use std::sync::Mutex;

use async_trait::async_trait;
use bytes::Bytes;
use ferry::store::{Backend, Capabilities, ObjectInfo, PendingUpload, SharedBackend, Stat};
use ferry::{Error, Result};

/// A request as the wrapper saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    Get(String),
    Put(String),
    Create(String),
    /// Key and part index.
    Part(String, u64),
    Complete(String),
    Abort(String),
    Copy(String, String),
}

/// Run before a request reaches the backend; an error fails the request instead.
pub type Hook = Box<dyn Fn(&Call) -> Result<()> + Send + Sync>;

/// Wraps a backend: each request is recorded, then offered to the hook, then passed on.
pub struct Intercept {
    inner: SharedBackend,
    hook: Hook,
    calls: Mutex<Vec<Call>>,
}

impl std::fmt::Debug for Intercept {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Intercept")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl Intercept {
    pub fn new(inner: SharedBackend, hook: Hook) -> Self {
        Intercept {
            inner,
            hook,
            calls: Mutex::new(Vec::new()),
        }
    }

    /// Passes every request on.
    pub fn recording(inner: SharedBackend) -> Self {
        Self::new(inner, Box::new(|_| Ok(())))
    }

    /// The requests seen so far (those the hook failed included).
    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().expect("calls").clone()
    }

    /// Indexes of the parts sent, sorted.
    pub fn parts_sent(&self) -> Vec<u64> {
        let mut parts: Vec<u64> = self
            .calls()
            .into_iter()
            .filter_map(|c| match c {
                Call::Part(_, i) => Some(i),
                _ => None,
            })
            .collect();
        parts.sort_unstable();
        parts
    }

    /// Requests that wrote data: puts, creates and parts.
    pub fn writes(&self) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| matches!(c, Call::Put(_) | Call::Create(_) | Call::Part(..)))
            .collect()
    }

    fn offer(&self, call: Call) -> Result<()> {
        self.calls.lock().expect("calls").push(call.clone());
        (self.hook)(&call)
    }
}

/// `location`'s backend with the `n`-th part it is sent (0-based) refused for good: the run
/// fails there, its journal and its upload kept for a resume.
pub fn refusing_part(n: usize, location: &ferry::store::Location) -> Intercept {
    let parts = std::sync::atomic::AtomicUsize::new(0);
    Intercept::new(
        location.backend.clone(),
        Box::new(move |call| match call {
            Call::Part(..) if parts.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == n => {
                Err(cut(call))
            }
            _ => Ok(()),
        }),
    )
}

/// The failure a hook returns to cut a run: one that no retry repeats.
pub fn cut(call: &Call) -> Error {
    Error::Storage {
        context: format!("test cut at {call:?}"),
        message: "refused (injected)".into(),
        retryable: false,
    }
}

#[async_trait]
impl Backend for Intercept {
    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>> {
        self.inner.list(prefix).await
    }

    async fn stat(&self, key: &str) -> Result<Option<Stat>> {
        self.inner.stat(key).await
    }

    async fn get_range(&self, key: &str, range: Range<u64>, etag: Option<&str>) -> Result<Bytes> {
        self.offer(Call::Get(key.to_owned()))?;
        self.inner.get_range(key, range, etag).await
    }

    async fn put(&self, key: &str, data: Bytes, sha256: &str) -> Result<()> {
        self.offer(Call::Put(key.to_owned()))?;
        self.inner.put(key, data, sha256).await
    }

    async fn create_upload(&self, key: &str, size: u64, sha256: &str) -> Result<String> {
        self.offer(Call::Create(key.to_owned()))?;
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
        self.offer(Call::Part(key.to_owned(), index))?;
        self.inner.put_part(key, upload, index, offset, data).await
    }

    async fn complete_upload(&self, key: &str, upload: &str, parts: Vec<String>) -> Result<()> {
        self.offer(Call::Complete(key.to_owned()))?;
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
        self.offer(Call::Abort(key.to_owned()))?;
        self.inner.abort_upload(key, upload).await
    }

    async fn pending_uploads(&self, prefix: &str) -> Result<Option<Vec<PendingUpload>>> {
        self.inner.pending_uploads(prefix).await
    }

    async fn copy(&self, from: &str, to: &str) -> Result<()> {
        self.offer(Call::Copy(from.to_owned(), to.to_owned()))?;
        self.inner.copy(from, to).await
    }

    async fn delete(&self, key: &str) -> Result<()> {
        self.inner.delete(key).await
    }
}
