//! Cloud object stores (S3 and compatibles, Azure Blob, GCS) through the `object_store` crate.
//!
//! Keys are handed to `object_store` with [`Path::parse`], which keeps them byte for byte: a
//! file `a#b` is stored as `a#b`, not percent-encoded, so rclone, `aws s3`, `az` and `gsutil`
//! see the same names Ferry wrote.

use std::ops::Range;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures::TryStreamExt;
use object_store::multipart::{MultipartStore, PartId};
use object_store::path::Path;
use object_store::{
    Attribute, AttributeValue, Attributes, GetOptions, GetRange, ObjectStore, ObjectStoreExt,
    PutMultipartOptions, PutOptions, PutPayload,
};

use super::azure::AzureCommitter;
use super::gcs::GcsWriter;
use super::s3_uploads::S3UploadLister;
use super::{Capabilities, ObjectInfo, PendingUpload, SHA256_METADATA, Stat};
use crate::{Error, Result};

/// A bucket or container, optionally below a key prefix.
pub struct ObjectBackend {
    name: String,
    store: Arc<dyn ObjectStore>,
    multipart: Arc<dyn MultipartStore>,
    capabilities: Capabilities,
    /// Attributes every write carries besides the checksum (storage class, access tier).
    write_attributes: Attributes,
    /// GCS only: writes go through the JSON API (see [`super::gcs`]).
    gcs_writer: Option<GcsWriter>,
    /// Azure only: chunked uploads are committed with their metadata (see [`super::azure`]).
    azure_committer: Option<AzureCommitter>,
    /// S3 only: lists pending multipart uploads (see [`super::s3_uploads`]).
    s3_uploads: Option<S3UploadLister>,
    /// The server answered a ranged GET with the whole object (rclone's `serve s3` does):
    /// reads stream from the start instead.
    ranges_ignored: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for ObjectBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The store's own Debug would show its configuration, credentials included.
        f.debug_struct("ObjectBackend")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl ObjectBackend {
    pub fn new<S: ObjectStore + MultipartStore>(
        name: String,
        store: Arc<S>,
        capabilities: Capabilities,
        write_attributes: Attributes,
        gcs_writer: Option<GcsWriter>,
    ) -> Self {
        ObjectBackend {
            name,
            store: store.clone(),
            multipart: store,
            capabilities,
            write_attributes,
            gcs_writer,
            azure_committer: None,
            s3_uploads: None,
            ranges_ignored: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Commits Azure uploads through `committer`, so they carry their SHA-256.
    pub fn with_azure_committer(mut self, committer: AzureCommitter) -> Self {
        self.azure_committer = Some(committer);
        self
    }

    /// Lists pending multipart uploads through `lister` (S3).
    pub fn with_s3_uploads(mut self, lister: S3UploadLister) -> Self {
        self.s3_uploads = Some(lister);
        self
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
            return Err(Error::Storage {
                context: format!("{} get {key:?}", self.name),
                message: format!(
                    "body truncated: {} of {} bytes",
                    out.len(),
                    range.end - range.start
                ),
                retryable: true,
            });
        }
        Ok(out.freeze())
    }

    fn path(&self, key: &str) -> Result<Path> {
        Path::parse(key).map_err(|e| {
            Error::BadParameter(format!("{}: invalid object key {key:?}: {e}", self.name))
        })
    }

    fn attributes(&self, sha256: &str) -> Attributes {
        let mut attributes = self.write_attributes.clone();
        attributes.insert(
            Attribute::Metadata(SHA256_METADATA.into()),
            AttributeValue::from(sha256.to_owned()),
        );
        attributes
    }

    fn err(&self, op: &str, key: &str, e: &object_store::Error) -> Error {
        Error::storage(format!("{} {op} {key:?}", self.name), e)
    }
}

#[async_trait]
impl super::Backend for ObjectBackend {
    fn capabilities(&self) -> Capabilities {
        self.capabilities
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>> {
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
        Ok(objects
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
            .collect())
    }

    async fn stat(&self, key: &str) -> Result<Option<Stat>> {
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
                Ok(Some(Stat {
                    size: result.meta.size,
                    etag: result.meta.e_tag,
                    sha256,
                }))
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.err("stat", key, &e)),
        }
    }

    async fn get_range(&self, key: &str, range: Range<u64>, etag: Option<&str>) -> Result<Bytes> {
        use std::sync::atomic::Ordering;
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
            return Err(Error::Storage {
                context: format!("{} get {key:?}", self.name),
                message: format!("body truncated: {} of {want} bytes", bytes.len()),
                retryable: true,
            });
        }
        Ok(bytes)
    }

    async fn put(&self, key: &str, data: Bytes, sha256: &str) -> Result<()> {
        if let Some(gcs) = &self.gcs_writer {
            return gcs.put(key, data, sha256, &self.write_attributes).await;
        }
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

    async fn create_upload(&self, key: &str, size: u64, sha256: &str) -> Result<String> {
        if let Some(gcs) = &self.gcs_writer {
            return gcs
                .create_session(key, size, sha256, &self.write_attributes)
                .await;
        }
        // Azure takes the metadata at the commit, and an upload id that is the SHA-256, so
        // that the commit (maybe in a later process) knows it.
        if self.azure_committer.is_some() {
            return Ok(sha256.to_owned());
        }
        let options = PutMultipartOptions {
            attributes: self.attributes(sha256),
            ..Default::default()
        };
        self.multipart
            .create_multipart_opts(&self.path(key)?, options)
            .await
            .map_err(|e| self.err("create upload", key, &e))
    }

    async fn put_part(
        &self,
        key: &str,
        upload: &str,
        index: u64,
        offset: u64,
        data: Bytes,
    ) -> Result<String> {
        if let Some(gcs) = &self.gcs_writer {
            return gcs.put_chunk(key, upload, offset, data).await;
        }
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

    async fn complete_upload(&self, key: &str, upload: &str, parts: Vec<String>) -> Result<()> {
        if let Some(gcs) = &self.gcs_writer {
            return gcs.finish_session(key, upload).await;
        }
        if let Some(azure) = &self.azure_committer {
            return azure
                .commit(key, &parts, upload, &self.write_attributes)
                .await;
        }
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

    async fn abort_upload(&self, key: &str, upload: &str) -> Result<()> {
        if let Some(gcs) = &self.gcs_writer {
            return gcs.cancel_session(upload).await;
        }
        match self
            .multipart
            .abort_multipart(&self.path(key)?, &upload.to_owned())
            .await
        {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.err("abort upload", key, &e)),
        }
    }

    /// S3 only. Azure drops uncommitted blocks after 7 days and GCS resumable sessions
    /// expire after a week, by themselves; neither can list them.
    async fn pending_uploads(&self, prefix: &str) -> Result<Option<Vec<PendingUpload>>> {
        match &self.s3_uploads {
            Some(lister) => lister.list(prefix).await,
            None => Ok(None),
        }
    }

    async fn copy(&self, from: &str, to: &str) -> Result<()> {
        if let Some(gcs) = &self.gcs_writer {
            return gcs.copy(from, to).await;
        }
        self.store
            .copy(&self.path(from)?, &self.path(to)?)
            .await
            .map_err(|e| self.err("copy", &format!("{from} -> {to}"), &e))
    }

    async fn delete(&self, key: &str) -> Result<()> {
        match self.store.delete(&self.path(key)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.err("delete", key, &e)),
        }
    }
}
