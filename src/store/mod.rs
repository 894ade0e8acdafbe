//! Storage: the thin contract every backend fulfils, and where a tree lives in one.
//!
//! A [`Backend`] gives the primitives the transfer engine needs (list, stat, ranged get, put,
//! chunked upload create/part/complete/abort, server-side copy, delete) and nothing more: chunk
//! planning, concurrency, hashing, retries, progress and cleanup are written once, in
//! [`crate::engine`]. Backends differ only through their declared [`Capabilities`].
//!
//! One module per provider, each with its builder and its one `impl Backend`: [`s3`],
//! [`gcs`] and [`azure`] over the shared `object_store` helper [`object::Objects`], and
//! [`local`] on `std::fs`. [`resolve_location`] picks the provider a section's type names.

pub mod azure;
mod buffer;
mod builder;
pub mod endpoint_policy;
pub mod fault;
mod folder_marker;
pub mod gcs;
mod http;
pub mod layer;
pub mod local;
mod location;
pub mod memory;
pub mod mtime;
pub mod object;
mod object_error;
mod resolve;
mod retention;
pub mod s3;
mod trust;

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;

pub use location::{Location, SectionHints};
pub use resolve::{resolve_location, resolve_trusted};
pub use retention::{LockMode, Retention};
pub use trust::Trust;

use crate::Result;

/// One object of a listing. `key` is relative to the listed root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    pub key: String,
    pub size: u64,
}

/// What a backend knows about one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stat {
    pub size: u64,
    /// Version tag; ranged reads of one transfer insist on it so that a replaced object is
    /// noticed instead of mixed.
    pub etag: Option<String>,
    /// SHA-256 stored with the object by Ferry (object metadata), if any.
    pub sha256: Option<String>,
    /// When the file was last changed, as rclone tells it: the `mtime` metadata an upload
    /// kept (see [`mtime`]), else the store's own time of the upload; a local file's mtime.
    pub modified: Option<chrono::DateTime<chrono::Utc>>,
}

/// A chunked upload begun on the server and neither completed nor aborted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingUpload {
    /// Full key in the backend (not relative to a listed root).
    pub key: String,
    /// The upload id, as [`Backend::create_upload`] returned it.
    pub upload: String,
    /// When the server says the upload began; `None` when it does not say.
    pub initiated: Option<chrono::DateTime<chrono::Utc>>,
}

/// What distinguishes one backend from another, for the engine's planning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// Parts of one upload may be sent concurrently (false for GCS resumable sessions).
    pub parallel_parts: bool,
    /// Smallest part but the last (S3: 5 MiB).
    pub min_part_size: u64,
    /// Most parts in one upload.
    pub max_parts: u64,
    /// Parts but the last must be a multiple of this (GCS sessions: 256 KiB).
    pub part_alignment: u64,
    /// `copy` happens inside the store, without sending the data through Ferry.
    pub server_side_copy: bool,
    /// `stat` returns the SHA-256 written with the object.
    pub stores_sha256: bool,
    /// The data is on this machine: reading it back is cheap.
    pub local: bool,
}

/// Metadata key under which Ferry stores a file's SHA-256 (`x-amz-meta-sha256` and alike).
pub const SHA256_METADATA: &str = "sha256";

/// The primitives of one bucket, container or local directory. Keys are `/`-separated and
/// relative to the backend's root; they are never empty.
#[async_trait]
pub trait Backend: Send + Sync + fmt::Debug {
    fn capabilities(&self) -> Capabilities;

    /// Every object under `prefix` (`""` for all), recursively, keys relative to the root.
    async fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>>;

    /// The object's size, version and stored SHA-256; `None` when it does not exist.
    async fn stat(&self, key: &str) -> Result<Option<Stat>>;

    /// Bytes `range` of the object; with `etag`, fails unless the object still has it.
    async fn get_range(&self, key: &str, range: Range<u64>, etag: Option<&str>) -> Result<Bytes>;

    /// Writes a whole object in one request, recording its SHA-256.
    async fn put(&self, key: &str, data: Bytes, sha256: &str) -> Result<()>;

    /// Starts a chunked upload of `size` bytes; returns an id that survives a restart of Ferry.
    async fn create_upload(&self, key: &str, size: u64, sha256: &str) -> Result<String>;

    /// Sends part `index` (0-based), which starts at byte `offset`; returns the part's id.
    async fn put_part(
        &self,
        key: &str,
        upload: &str,
        index: u64,
        offset: u64,
        data: Bytes,
    ) -> Result<String>;

    /// Publishes the upload from its parts, in order.
    async fn complete_upload(&self, key: &str, upload: &str, parts: Vec<String>) -> Result<()>;

    /// Bytes `range` of an unfinished upload, where the backend can read them back (local
    /// staged files); `None` elsewhere. Lets a resumed transfer verify what is already stored
    /// without fetching it from the source again.
    async fn read_staged(
        &self,
        _key: &str,
        _upload: &str,
        _range: Range<u64>,
    ) -> Result<Option<Bytes>> {
        Ok(None)
    }

    /// Drops an unfinished upload and every part of it stored so far.
    async fn abort_upload(&self, key: &str, upload: &str) -> Result<()>;

    /// Chunked uploads begun on the server under `prefix` (full keys starting with it, `""`
    /// for all) and neither completed nor aborted, including ones nobody knows the id of any
    /// more: a process killed between [`Backend::create_upload`] and journalling the id leaves
    /// such an upload, and it keeps its parts (and costs storage) until it is aborted.
    ///
    /// `None`: this store cannot list them, and need not:
    /// - local directories: a staged file is found by its path, which the key determines;
    /// - Azure Blob: uncommitted blocks are dropped by the service after 7 days;
    /// - GCS: a resumable upload session expires a week after it began;
    /// - an S3 server that does not implement ListMultipartUploads (s3s-fs): the backend
    ///   logs that once; a bucket lifecycle rule aborting incomplete multipart uploads is
    ///   then the only backstop.
    async fn pending_uploads(&self, _prefix: &str) -> Result<Option<Vec<PendingUpload>>> {
        Ok(None)
    }

    /// Copies `from` to `to` within this backend.
    async fn copy(&self, from: &str, to: &str) -> Result<()>;

    /// Removes an object; removing a missing one is not an error.
    async fn delete(&self, key: &str) -> Result<()>;

    /// The object's retention lock, if it has one (still holding or not); `None` also where
    /// the store cannot lock objects. Asked before deleting a backup ([`Retention`]).
    async fn retention(&self, _key: &str) -> Result<Option<Retention>> {
        Ok(None)
    }
}

/// A backend shared between tasks.
pub type SharedBackend = Arc<dyn Backend>;

/// Joins a root and a relative key with one `/`.
pub fn join_key(root: &str, key: &str) -> String {
    match (root.is_empty(), key.is_empty()) {
        (true, _) => key.to_owned(),
        (false, true) => root.to_owned(),
        (false, false) => format!("{root}/{key}"),
    }
}
