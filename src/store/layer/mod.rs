//! Cross-cutting concerns as wrappers that implement [`Backend`] around any backend, like
//! OpenDAL's layers: [`Retry`] (the one level at which Ferry retries a request),
//! [`Throttle`] (`--bwlimit`) and [`Metered`] (the process's byte counter).
//!
//! A concern is a [`Hook`]: it is handed every call as an [`Op`] and a closure that sends it
//! (again, if the hook wants), and [`Layered`] turns a hook into a backend. Where each is
//! stacked:
//! - retries once, when a store is resolved ([`resolved`]): every caller (engine, jobs,
//!   `cleanup`) gets them, and nothing else retries. `object_store`'s own retries are off
//!   ([`crate::retry::RetryPolicy::object_store_config`]) and the requests Ferry sends itself
//!   (GCS sessions, Azure commits, S3 upload listings) go out once, so `--retries N` is at
//!   most N+1 requests per operation;
//! - the bandwidth limit and the byte counter by the engine, around the destination of one
//!   run ([`for_run`]): a limit belongs to a run, and a resolved store may serve several.

mod bwtimetable;
mod metered;
mod retry;
mod strays;
mod throttle;

use std::fmt;
use std::future::Future;
use std::ops::Range;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;

pub use bwtimetable::{BwTimetable, Rate};
pub use metered::Metered;
pub use retry::Retry;
pub use strays::{CLOCK_SKEW, abort_strays};
pub use throttle::Throttle;

use super::{Backend, Capabilities, ObjectInfo, PendingUpload, Retention, SharedBackend, Stat};
use crate::Result;
use crate::retry::RetryPolicy;

/// One call of the [`Backend`] contract, as a hook sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    List,
    Stat,
    Get,
    /// A whole object of this many bytes.
    Put(u64),
    CreateUpload,
    /// A part of this many bytes.
    PutPart(u64),
    CompleteUpload,
    ReadStaged,
    AbortUpload,
    PendingUploads,
    Copy,
    Delete,
    Retention,
}

impl Op {
    /// What to call it in logs.
    pub fn name(self) -> &'static str {
        match self {
            Op::List => "list",
            Op::Stat => "stat",
            Op::Get => "get",
            Op::Put(_) => "put",
            Op::CreateUpload => "create upload",
            Op::PutPart(_) => "put part",
            Op::CompleteUpload => "complete upload",
            Op::ReadStaged => "read staged",
            Op::AbortUpload => "abort upload",
            Op::PendingUploads => "list pending uploads",
            Op::Copy => "copy",
            Op::Delete => "delete",
            Op::Retention => "get retention",
        }
    }

    /// Bytes of file data the call writes to the store.
    pub fn written(self) -> Option<u64> {
        match self {
            Op::Put(n) | Op::PutPart(n) => Some(n),
            _ => None,
        }
    }
}

/// A concern around every call of a backend.
pub trait Hook: Send + Sync + fmt::Debug {
    /// Runs the call `send` makes: once, again, later, or counting its outcome.
    fn call<T, F, Fut>(&self, op: Op, send: F) -> impl Future<Output = Result<T>> + Send
    where
        T: Send,
        F: FnMut() -> Fut + Send,
        Fut: Future<Output = Result<T>> + Send;

    /// Creates a chunked upload. A hook that sends the create more than once must make up
    /// for the uploads that earlier attempts may have created (see [`Retry`]).
    fn create_upload<'a>(
        &'a self,
        inner: &'a SharedBackend,
        key: &'a str,
        size: u64,
        sha256: &'a str,
    ) -> impl Future<Output = Result<String>> + Send + 'a {
        self.call(Op::CreateUpload, move || {
            inner.create_upload(key, size, sha256)
        })
    }
}

/// A backend with a hook around every call.
#[derive(Debug)]
pub struct Layered<H> {
    inner: SharedBackend,
    hook: H,
}

impl<H: Hook> Layered<H> {
    pub fn new(inner: SharedBackend, hook: H) -> Self {
        Layered { inner, hook }
    }
}

/// The layers of a resolved store: retries with `policy`.
pub fn resolved(backend: SharedBackend, policy: &RetryPolicy) -> SharedBackend {
    Arc::new(Layered::new(backend, Retry::new(*policy)))
}

/// The layers of one run's destination: its byte counter and, with `bwlimit`, one limit
/// over all its transfers (which of a pair's rates: by whether the run reads from a remote
/// source, `src_remote`, and writes to a remote destination).
pub fn for_run(
    backend: SharedBackend,
    bwlimit: Option<&BwTimetable>,
    src_remote: bool,
) -> SharedBackend {
    let dst_remote = !backend.capabilities().local;
    let metered: SharedBackend = Arc::new(Layered::new(backend, Metered));
    match bwlimit {
        Some(table) => Arc::new(Layered::new(
            metered,
            Throttle::scheduled(table.clone(), src_remote, dst_remote),
        )),
        None => metered,
    }
}

#[async_trait]
impl<H: Hook> Backend for Layered<H> {
    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>> {
        let inner = &self.inner;
        self.hook.call(Op::List, || inner.list(prefix)).await
    }

    async fn stat(&self, key: &str) -> Result<Option<Stat>> {
        let inner = &self.inner;
        self.hook.call(Op::Stat, || inner.stat(key)).await
    }

    async fn get_range(&self, key: &str, range: Range<u64>, etag: Option<&str>) -> Result<Bytes> {
        let inner = &self.inner;
        let range = &range;
        self.hook
            .call(Op::Get, || inner.get_range(key, range.clone(), etag))
            .await
    }

    async fn put(&self, key: &str, data: Bytes, sha256: &str) -> Result<()> {
        let (inner, data) = (&self.inner, &data);
        self.hook
            .call(Op::Put(data.len() as u64), || {
                inner.put(key, data.clone(), sha256)
            })
            .await
    }

    async fn create_upload(&self, key: &str, size: u64, sha256: &str) -> Result<String> {
        self.hook
            .create_upload(&self.inner, key, size, sha256)
            .await
    }

    async fn put_part(
        &self,
        key: &str,
        upload: &str,
        index: u64,
        offset: u64,
        data: Bytes,
    ) -> Result<String> {
        let (inner, data) = (&self.inner, &data);
        self.hook
            .call(Op::PutPart(data.len() as u64), || {
                inner.put_part(key, upload, index, offset, data.clone())
            })
            .await
    }

    async fn complete_upload(&self, key: &str, upload: &str, parts: Vec<String>) -> Result<()> {
        let (inner, parts) = (&self.inner, &parts);
        self.hook
            .call(Op::CompleteUpload, || {
                inner.complete_upload(key, upload, parts.clone())
            })
            .await
    }

    async fn read_staged(
        &self,
        key: &str,
        upload: &str,
        range: Range<u64>,
    ) -> Result<Option<Bytes>> {
        let (inner, range) = (&self.inner, &range);
        self.hook
            .call(Op::ReadStaged, || {
                inner.read_staged(key, upload, range.clone())
            })
            .await
    }

    async fn abort_upload(&self, key: &str, upload: &str) -> Result<()> {
        let inner = &self.inner;
        self.hook
            .call(Op::AbortUpload, || inner.abort_upload(key, upload))
            .await
    }

    async fn pending_uploads(&self, prefix: &str) -> Result<Option<Vec<PendingUpload>>> {
        let inner = &self.inner;
        self.hook
            .call(Op::PendingUploads, || inner.pending_uploads(prefix))
            .await
    }

    async fn copy(&self, from: &str, to: &str) -> Result<()> {
        let inner = &self.inner;
        self.hook.call(Op::Copy, || inner.copy(from, to)).await
    }

    async fn delete(&self, key: &str) -> Result<()> {
        let inner = &self.inner;
        self.hook.call(Op::Delete, || inner.delete(key)).await
    }

    async fn retention(&self, key: &str) -> Result<Option<Retention>> {
        let inner = &self.inner;
        self.hook.call(Op::Retention, || inner.retention(key)).await
    }
}
