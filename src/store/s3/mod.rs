//! S3 and S3-compatible stores: `object_store`'s S3 client for objects and multipart
//! uploads; [`uploads`] for listing pending uploads and [`lock`] for Object Lock retention,
//! which `object_store` cannot, both sent through [`request`].

mod builder;
mod lock;
mod options;
mod request;
mod uploads;

use std::ops::Range;

use async_trait::async_trait;
use bytes::Bytes;

pub(super) use builder::build;
pub use lock::{LockPolicy, S3Locks};
pub use request::{BucketRequests, Call, bucket_url};
pub use uploads::S3UploadLister;

use super::object::Objects;
use super::{Backend, Capabilities, ObjectInfo, PendingUpload, Retention, Stat};
use crate::Result;

/// One bucket of an S3 store.
#[derive(Debug)]
pub struct S3Backend {
    objects: Objects,
    uploads: S3UploadLister,
    /// Every object written is locked when the section says so (`object_lock_retention`).
    locks: S3Locks,
}

const CAPABILITIES: Capabilities = Capabilities {
    parallel_parts: true,
    min_part_size: 5 << 20,
    max_parts: 10_000,
    part_alignment: 1,
    server_side_copy: true,
    stores_sha256: true,
    local: false,
};

#[async_trait]
impl Backend for S3Backend {
    fn capabilities(&self) -> Capabilities {
        CAPABILITIES
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>> {
        self.objects.list(prefix).await
    }

    async fn stat(&self, key: &str) -> Result<Option<Stat>> {
        self.objects.stat(key).await
    }

    async fn get_range(&self, key: &str, range: Range<u64>, etag: Option<&str>) -> Result<Bytes> {
        self.objects.get_range(key, range, etag).await
    }

    async fn put(&self, key: &str, data: Bytes, sha256: &str) -> Result<()> {
        self.objects.put(key, data, sha256).await?;
        self.locks.after_write(key).await
    }

    async fn create_upload(&self, key: &str, _size: u64, sha256: &str) -> Result<String> {
        self.objects.create_upload(key, sha256).await
    }

    async fn put_part(
        &self,
        key: &str,
        upload: &str,
        index: u64,
        _offset: u64,
        data: Bytes,
    ) -> Result<String> {
        self.objects.put_part(key, upload, index, data).await
    }

    async fn complete_upload(&self, key: &str, upload: &str, parts: Vec<String>) -> Result<()> {
        self.objects.complete_upload(key, upload, parts).await?;
        self.locks.after_write(key).await
    }

    async fn abort_upload(&self, key: &str, upload: &str) -> Result<()> {
        self.objects.abort_upload(key, upload).await
    }

    async fn pending_uploads(&self, prefix: &str) -> Result<Option<Vec<PendingUpload>>> {
        self.uploads.list(prefix).await
    }

    async fn copy(&self, from: &str, to: &str) -> Result<()> {
        self.objects.copy(from, to).await?;
        self.locks.after_write(to).await
    }

    async fn delete(&self, key: &str) -> Result<()> {
        self.objects.delete(key).await
    }

    async fn retention(&self, key: &str) -> Result<Option<Retention>> {
        self.locks.get(key).await
    }
}
