//! The `object_store` half every cloud provider shares: one bucket or container reached
//! through `object_store`, with Ferry's conventions and no knowledge of which provider it is.
//!
//! Keys are handed to `object_store` with [`Path::parse`], which keeps them byte for byte: a
//! file `a#b` is stored as `a#b`, not percent-encoded, so rclone, `aws s3`, `az` and `gsutil`
//! see the same names Ferry wrote. Each provider's `impl Backend` (in [`super::s3`],
//! [`super::gcs`], [`super::azure`]) calls what it can use from here and sends the rest itself.

use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::multipart::{MultipartStore, PartId};
use object_store::path::Path;
use object_store::{
    Attribute, AttributeValue, Attributes, GetOptions, GetRange, ObjectStore, ObjectStoreExt,
    PutMultipartOptions, PutOptions, PutPayload,
};

use super::{ObjectInfo, SHA256_METADATA, Stat};
use crate::{Error, Result};

/// A bucket or container through `object_store`.
pub struct Objects {
    /// What to call the store in messages (`section:bucket`); never holds a secret.
    name: String,
    store: Arc<dyn ObjectStore>,
    multipart: Arc<dyn MultipartStore>,
    /// Attributes every write carries besides the checksum (storage class, access tier).
    write_attributes: Attributes,
    /// The server answered a ranged GET with the whole object (rclone's `serve s3` does):
    /// reads stream from the start instead.
    ranges_ignored: AtomicBool,
    /// `mtime` metadata as RFC 3339 (rclone's Azure Blob and GCS backends), not as Unix
    /// seconds (its S3 backend).
    rfc3339_mtimes: bool,
}

impl std::fmt::Debug for Objects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The store's own Debug would show its configuration, credentials included.
        f.debug_struct("Objects")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Objects {
    pub fn new<S: ObjectStore + MultipartStore>(
        name: String,
        store: Arc<S>,
        write_attributes: Attributes,
    ) -> Self {
        Objects {
            name,
            store: store.clone(),
            multipart: store,
            write_attributes,
            ranges_ignored: AtomicBool::new(false),
            rfc3339_mtimes: false,
        }
    }

    /// Writes `mtime` metadata as rclone's Azure Blob and GCS backends do.
    pub fn with_rfc3339_mtimes(mut self) -> Self {
        self.rfc3339_mtimes = true;
        self
    }

    /// `section:bucket`, for messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The attributes every write carries besides the checksum.
    pub fn write_attributes(&self) -> &Attributes {
        &self.write_attributes
    }

    fn path(&self, key: &str) -> Result<Path> {
        Path::parse(key).map_err(|e| {
            Error::BadParameter(format!("{}: invalid object key {key:?}: {e}", self.name))
        })
    }

    /// What a write keeps besides the data: the section's attributes, the SHA-256 and the
    /// file's modification time where the write has one ([`super::mtime`]).
    fn attributes(&self, sha256: &str) -> Attributes {
        let mut attributes = self.write_attributes.clone();
        attributes.insert(
            Attribute::Metadata(SHA256_METADATA.into()),
            AttributeValue::from(sha256.to_owned()),
        );
        if let Some(t) = super::mtime::being_written() {
            attributes.insert(
                Attribute::Metadata(super::mtime::MTIME_METADATA.into()),
                AttributeValue::from(if self.rfc3339_mtimes {
                    super::mtime::format_rfc3339(t)
                } else {
                    super::mtime::format(t)
                }),
            );
        }
        attributes
    }

    fn err(&self, op: &str, key: &str, e: &object_store::Error) -> Error {
        super::object_error::storage(format!("{} {op} {key:?}", self.name), e)
    }

    fn truncated(&self, key: &str, got: usize, want: u64) -> Error {
        Error::Storage {
            context: format!("{} get {key:?}", self.name),
            message: format!("body truncated: {got} of {want} bytes"),
            retryable: true,
        }
    }

    pub async fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>> {
        let root = if prefix.is_empty() {
            None
        } else {
            Some(self.path(prefix)?)
        };
        let strip = if prefix.is_empty() {
            String::new()
        } else {
            format!("{prefix}/")
        };
        let objects: Vec<_> = self
            .store
            .list(root.as_ref())
            .try_collect()
            .await
            .map_err(|e| self.err("list", prefix, &e))?;
        let mut files: Vec<ObjectInfo> = objects
            .into_iter()
            .filter_map(|meta| {
                let key = meta
                    .location
                    .as_ref()
                    .strip_prefix(strip.as_str())?
                    .to_owned();
                Some(ObjectInfo {
                    key,
                    size: meta.size,
                })
            })
            .collect();
        let markers = self.folder_markers(&strip, &files).await?;
        if !markers.is_empty() {
            files.retain(|f| !markers.contains(&f.key));
        }
        Ok(files)
    }

    /// The keys of `files` (listed below `strip`, `root/` or ``) that are folder markers
    /// (see [`super::folder_marker`]), not files.
    async fn folder_markers(
        &self,
        strip: &str,
        files: &[ObjectInfo],
    ) -> Result<std::collections::BTreeSet<String>> {
        let sorted = super::folder_marker::sort(files);
        let mut markers = sorted.markers;
        for (parent, keys) in sorted.unsure {
            let full = format!("{strip}{parent}");
            let at = if full.is_empty() {
                None
            } else {
                Some(self.path(&full)?)
            };
            let listing = self
                .store
                .list_with_delimiter(at.as_ref())
                .await
                .map_err(|e| self.err("list", &full, &e))?;
            let objects: std::collections::HashSet<&str> = listing
                .objects
                .iter()
                .map(|m| m.location.as_ref())
                .collect();
            markers.extend(
                keys.into_iter()
                    .filter(|k| !objects.contains(format!("{strip}{k}").as_str())),
            );
        }
        Ok(markers)
    }

    pub async fn stat(&self, key: &str) -> Result<Option<Stat>> {
        let options = GetOptions {
            head: true,
            ..Default::default()
        };
        match self.store.get_opts(&self.path(key)?, options).await {
            Ok(result) => {
                let sha256 = result
                    .attributes
                    .get(&Attribute::Metadata(SHA256_METADATA.into()))
                    .map(|v| v.to_string())
                    .filter(|v| v.len() == 64);
                let modified = result
                    .attributes
                    .get(&Attribute::Metadata(super::mtime::MTIME_METADATA.into()))
                    .and_then(|v| super::mtime::parse(v))
                    .or(Some(result.meta.last_modified));
                Ok(Some(Stat {
                    size: result.meta.size,
                    etag: result.meta.e_tag,
                    sha256,
                    modified,
                }))
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.err("stat", key, &e)),
        }
    }

    pub async fn get_range(
        &self,
        key: &str,
        range: Range<u64>,
        etag: Option<&str>,
    ) -> Result<Bytes> {
        if self.ranges_ignored.load(Ordering::Relaxed) {
            return self.get_range_streaming(key, range, etag).await;
        }
        let want = range.end - range.start;
        let options = GetOptions {
            range: Some(GetRange::Bounded(range.clone())),
            if_match: etag.map(str::to_owned),
            ..Default::default()
        };
        let result = match self.store.get_opts(&self.path(key)?, options).await {
            Ok(r) => r,
            // object_store refuses a 200 to a ranged request; its error type is private.
            Err(e) if e.to_string().contains("non-partial response") => {
                if !self.ranges_ignored.swap(true, Ordering::Relaxed) {
                    tracing::warn!(store = %self.name, "the server ignores Range headers: reading objects from their start (slow for large files)");
                }
                return self.get_range_streaming(key, range, etag).await;
            }
            Err(e) => return Err(self.err("get", key, &e)),
        };
        if result.range != range {
            return Err(Error::Storage {
                context: format!("{} get {key:?}", self.name),
                message: format!(
                    "server answered bytes {:?} when {range:?} were asked for",
                    result.range
                ),
                retryable: false,
            });
        }
        let bytes = result.bytes().await.map_err(|e| self.err("get", key, &e))?;
        if bytes.len() as u64 != want {
            return Err(self.truncated(key, bytes.len(), want));
        }
        Ok(bytes)
    }

    /// Reads `range` from a server that ignores `Range`: one GET of the object, streamed,
    /// skipping to the range. Correct, but each chunk costs the bytes before it too.
    async fn get_range_streaming(
        &self,
        key: &str,
        range: Range<u64>,
        etag: Option<&str>,
    ) -> Result<Bytes> {
        use futures::StreamExt;
        let options = GetOptions {
            if_match: etag.map(str::to_owned),
            ..Default::default()
        };
        let result = self
            .store
            .get_opts(&self.path(key)?, options)
            .await
            .map_err(|e| self.err("get", key, &e))?;
        let mut stream = result.into_stream();
        let mut out = bytes::BytesMut::with_capacity((range.end - range.start) as usize);
        let mut pos = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| self.err("get", key, &e))?;
            let (start, end) = (pos, pos + chunk.len() as u64);
            pos = end;
            if end <= range.start {
                continue;
            }
            let from = range.start.saturating_sub(start) as usize;
            let to = (range.end.min(end) - start) as usize;
            out.extend_from_slice(&chunk[from..to]);
            if pos >= range.end {
                break;
            }
        }
        if out.len() as u64 != range.end - range.start {
            return Err(self.truncated(key, out.len(), range.end - range.start));
        }
        Ok(out.freeze())
    }

    /// Writes a whole object with its SHA-256 as metadata.
    pub async fn put(&self, key: &str, data: Bytes, sha256: &str) -> Result<()> {
        let options = PutOptions {
            attributes: self.attributes(sha256),
            ..Default::default()
        };
        self.store
            .put_opts(&self.path(key)?, PutPayload::from_bytes(data), options)
            .await
            .map_err(|e| self.err("put", key, &e))?;
        Ok(())
    }

    /// Begins a multipart upload whose object will carry its SHA-256 as metadata.
    pub async fn create_upload(&self, key: &str, sha256: &str) -> Result<String> {
        let options = PutMultipartOptions {
            attributes: self.attributes(sha256),
            ..Default::default()
        };
        self.multipart
            .create_multipart_opts(&self.path(key)?, options)
            .await
            .map_err(|e| self.err("create upload", key, &e))
    }

    pub async fn put_part(
        &self,
        key: &str,
        upload: &str,
        index: u64,
        data: Bytes,
    ) -> Result<String> {
        let part = self
            .multipart
            .put_part(
                &self.path(key)?,
                &upload.to_owned(),
                index as usize,
                PutPayload::from_bytes(data),
            )
            .await
            .map_err(|e| self.err(&format!("put part {index}"), key, &e))?;
        Ok(part.content_id)
    }

    pub async fn complete_upload(&self, key: &str, upload: &str, parts: Vec<String>) -> Result<()> {
        let parts = parts
            .into_iter()
            .map(|content_id| PartId { content_id })
            .collect();
        self.multipart
            .complete_multipart(&self.path(key)?, &upload.to_owned(), parts)
            .await
            .map_err(|e| self.err("complete upload", key, &e))?;
        Ok(())
    }

    /// Aborts a multipart upload; one already gone is not an error.
    pub async fn abort_upload(&self, key: &str, upload: &str) -> Result<()> {
        match self
            .multipart
            .abort_multipart(&self.path(key)?, &upload.to_owned())
            .await
        {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.err("abort upload", key, &e)),
        }
    }

    pub async fn copy(&self, from: &str, to: &str) -> Result<()> {
        self.store
            .copy(&self.path(from)?, &self.path(to)?)
            .await
            .map_err(|e| self.err("copy", &format!("{from} -> {to}"), &e))
    }

    pub async fn delete(&self, key: &str) -> Result<()> {
        match self.store.delete(&self.path(key)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.err("delete", key, &e)),
        }
    }
}
