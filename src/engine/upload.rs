//! The upload step: writing a file to the destination, in one request or as a chunked
//! upload that is journalled part by part (so a killed run resumes it), hashing the bytes
//! that went so that what is published is what was verified.
//!
//! A large file whose SHA-256 nobody knows yet is read once, not twice, where the
//! destination allows it: a local destination stages the file and publishes it only when
//! told to, so the bytes are hashed on their way into the staged file and the file is
//! renamed into place after the last one ([`Run::put_hashing`]). A remote store must be told
//! the SHA-256 when the upload is created (it is the object's metadata), so there the file is
//! hashed first ([`super::download::hash_object`]). On a W2-shaped local copy the first read
//! was a third of the CPU.

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};

use super::digest::{Hasher, sha256_hex};
use super::journal::OpenUpload;
use super::plan::{chunk_size, ranges};
use super::{FileSpec, Run};
use crate::{Error, Result};

/// What a chunked upload knows of its content when it begins.
#[derive(Clone, Copy)]
enum Content<'a> {
    /// The SHA-256 of this very version of the source, read just now: nothing to check.
    Hashed(&'a str),
    /// The SHA-256 a manifest or metadata says: the bytes sent are hashed and must match.
    Expected(&'a str),
    /// Unknown (a local destination only): the bytes are hashed on the way, and the upload
    /// is known by the source's version tag, so that a resume continues it only while the
    /// source is unchanged.
    Unhashed(&'a str),
}

impl Content<'_> {
    /// What the journal and the staged upload are keyed by: the SHA-256, or for content not
    /// hashed yet a digest of the source's version (never a SHA-256's 64 hex digits alone,
    /// and naming a local staged file apart from another version's).
    fn id(&self) -> String {
        match self {
            Content::Hashed(sha) | Content::Expected(sha) => (*sha).to_owned(),
            Content::Unhashed(version) => {
                use sha2::Digest;
                format!("v{}", &hex::encode(sha2::Sha256::digest(version))[..32])
            }
        }
    }

    /// Whether every byte goes through the hasher (resumed parts read back).
    fn hashes(&self) -> bool {
        !matches!(self, Content::Hashed(_))
    }
}

impl Run<'_> {
    /// Whether a large file whose SHA-256 is unknown can be hashed on its way to the
    /// destination instead of before, and if so the source version it is pinned to: a local
    /// destination, a source with version tags (a resume must know the staged bytes are of
    /// the same version), and no known content to copy from (that lookup needs the SHA-256).
    pub(super) fn hashes_while_writing<'e>(&self, etag: &'e Option<String>) -> Option<&'e str> {
        let allowed = self.dst().capabilities().local && self.t.known.is_empty();
        etag.as_deref().filter(|_| allowed)
    }

    /// Writes a file the destination does not hold, hashing it on the way (see the module's
    /// doc); returns its SHA-256. Every read insists on `version`, so the hash is of one
    /// version.
    pub(super) async fn put_hashing(
        &self,
        f: &FileSpec,
        size: u64,
        version: &str,
    ) -> Result<String> {
        self.put_chunked_content(f, size, Content::Unhashed(version), Some(version))
            .await
    }

    /// Counts bytes written to the destination by this run (resumed parts, skipped files and
    /// server-side copies are not).
    fn moved(&self, bytes: u64) {
        self.t.progress().transferred(bytes);
    }

    pub(super) async fn put_small(
        &self,
        f: &FileSpec,
        size: u64,
        sha256: &str,
        held: Option<(Bytes, tokio::sync::SemaphorePermit<'_>)>,
        etag: Option<&str>,
    ) -> Result<()> {
        let (data, _permit) = match held {
            Some(held) => held,
            None => {
                let permit = self.budget.take(size).await?;
                let d = self.read(&f.key, 0..size, etag).await?;
                let actual = sha256_hex(d.clone()).await?;
                if actual != sha256 {
                    return Err(self.integrity(&f.key, sha256, actual));
                }
                (d, permit)
            }
        };
        let abs = self.dst().key(&f.key);
        self.dst().backend.put(&abs, data, sha256).await?;
        // No read-back: the store checked the request's checksum (x-amz-checksum-crc64nvme,
        // Content-MD5), and the data was hashed on its way in.
        self.moved(size);
        self.t.progress().advanced(size);
        Ok(())
    }

    /// Opens the chunked upload, or takes over the one an earlier run left for the same content
    /// (when `resume`).
    async fn open_upload(
        &self,
        key: &str,
        size: u64,
        sha256: &str,
        chunk: u64,
        resume: bool,
    ) -> Result<OpenUpload> {
        let abs = self.dst().key(key);
        let first_take = self
            .settled
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key.to_owned());
        let earlier = self.journal.open_uploads().get(key).filter(|_| first_take);
        // An earlier run meant to create an upload of this key: one it created and could not
        // journal may be pending (see `super::orphans`).
        let earlier_intent = self
            .journal
            .earlier_intents()
            .get(key)
            .copied()
            .filter(|_| first_take);
        if let Some(earlier) = earlier {
            if resume && earlier.size == size && earlier.sha256 == sha256 && earlier.chunk == chunk
            {
                tracing::info!(key = %abs, parts = earlier.parts.len(), "resuming upload");
                if let Some(at) = earlier_intent {
                    self.abort_strays(key, at, Some(&earlier.upload)).await;
                }
                return Ok(earlier.clone());
            }
            self.abort_all([(key.to_owned(), earlier.upload.clone())])
                .await;
        }
        if let Some(at) = earlier_intent {
            self.abort_strays(key, at, None).await;
        }
        // The intent lets a later run find an upload a kill kept from the journal. A local
        // staged file is found by its path: no intent needed (nor its fsync). A create the
        // retry layer sent again aborts what an attempt whose answer was lost created itself
        // (see `crate::store::layer::Retry`).
        if !self.dst().capabilities().local {
            self.journal.intent(key)?;
        }
        let upload = self.dst().backend.create_upload(&abs, size, sha256).await?;
        let open = OpenUpload {
            size,
            sha256: sha256.to_owned(),
            chunk,
            upload,
            parts: Default::default(),
        };
        self.journal.begin(key, &open)?;
        Ok(open)
    }

    pub(super) async fn put_chunked(
        &self,
        f: &FileSpec,
        size: u64,
        sha256: &str,
        etag: Option<&str>,
        verify: bool,
    ) -> Result<()> {
        let content = if verify {
            Content::Expected(sha256)
        } else {
            Content::Hashed(sha256)
        };
        self.put_chunked_content(f, size, content, etag)
            .await
            .map(drop)
    }

    /// [`Self::put_chunked`] of `content`; the SHA-256 of what was stored.
    async fn put_chunked_content(
        &self,
        f: &FileSpec,
        size: u64,
        content: Content<'_>,
        etag: Option<&str>,
    ) -> Result<String> {
        let resumable = self.journal.open_uploads().contains_key(&f.key);
        match self.put_chunked_once(f, size, content, etag, true).await {
            // The upload an earlier run left is gone or no longer taken: expired, cleaned up,
            // or dropped by a complete request that a kill cut off half-way (s3s-fs then
            // answers 403, not 404): start the file afresh. A store that really refuses this
            // write refuses the fresh upload too, and that error is reported.
            Err(e) if resumable && (e.is_not_found() || e.is_refused()) => {
                tracing::info!(key = %f.key, error = %e, "earlier upload is gone; starting the file again");
                let earlier = self.journal.open_uploads().get(&f.key);
                self.forget(&f.key, earlier.map(|o| o.upload.as_str()))
                    .await?;
                self.put_chunked_once(f, size, content, etag, false).await
            }
            other => other,
        }
    }

    async fn put_chunked_once(
        &self,
        f: &FileSpec,
        size: u64,
        content: Content<'_>,
        etag: Option<&str>,
        resume: bool,
    ) -> Result<String> {
        let caps = self.dst().capabilities();
        let chunk = chunk_size(self.wanted_chunk(), size, &caps);
        let verify = content.hashes();
        let open = self
            .open_upload(&f.key, size, &content.id(), chunk, resume)
            .await?;
        let abs = self.dst().key(&f.key);
        self.active
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(f.key.clone(), open.upload.clone());
        let concurrency = if caps.parallel_parts {
            self.dst()
                .hints
                .upload_concurrency
                .unwrap_or(self.t.options.chunk_concurrency)
                .max(1)
        } else {
            1
        };
        let done_bytes: u64 = ranges(size, chunk)
            .filter(|(i, _)| open.parts.contains_key(i))
            .map(|(_, r)| r.end - r.start)
            .sum();
        self.t.progress().advanced(done_bytes);

        // Parts run `concurrency` at a time and come out in order, so the SHA-256 of exactly
        // the bytes that were stored is computed on the way; a part finished by an earlier run
        // is read back from the staged data where the store can, else from the source.
        let parts = futures::stream::iter(ranges(size, chunk))
            .map(|(index, range)| {
                let open = &open;
                let abs = abs.as_str();
                async move {
                    if self.stop.is_cancelled() {
                        return Err(Error::Cancelled);
                    }
                    let len = range.end - range.start;
                    let permit = self.budget.take(len).await?;
                    if let Some(part) = open.parts.get(&index) {
                        if !verify {
                            return Ok::<_, Error>((part.clone(), Bytes::new(), permit));
                        }
                        let staged = self
                            .dst()
                            .backend
                            .read_staged(abs, &open.upload, range.clone())
                            .await?;
                        let data = match staged {
                            Some(d) => d,
                            None => self.read(&f.key, range, etag).await?,
                        };
                        return Ok::<_, Error>((part.clone(), data, permit));
                    }
                    let data = self.read(&f.key, range.clone(), etag).await?;
                    let part = self
                        .dst()
                        .backend
                        .put_part(abs, &open.upload, index, range.start, data.clone())
                        .await?;
                    self.journal.part(&f.key, index, &part)?;
                    self.moved(len);
                    self.t.progress().advanced(len);
                    Ok((part, data, permit))
                }
            })
            .buffered(concurrency);
        let (hasher, part_ids) = parts
            .try_fold(
                (Hasher::new(), Vec::new()),
                |(h, mut ids), (part, data, permit)| async move {
                    ids.push(part);
                    let h = if verify { h.update(data).await? } else { h };
                    drop(permit);
                    Ok((h, ids))
                },
            )
            .await?;
        let sha256 = match content {
            Content::Hashed(sha) => sha.to_owned(),
            Content::Unhashed(_) => hasher.finish(),
            Content::Expected(sha) => {
                let actual = hasher.finish();
                if actual != sha {
                    // Never publish: drop the upload, forget it, and report.
                    self.forget(&f.key, Some(&open.upload)).await?;
                    return Err(self.integrity(&f.key, sha, actual));
                }
                actual
            }
        };
        let sha256 = sha256.as_str();
        let completed = self
            .dst()
            .backend
            .complete_upload(&abs, &open.upload, part_ids)
            .await;
        if let Err(e) = completed {
            // The answer to a completion can be lost after the server completed the upload;
            // the retry then finds no such upload (S3: 404, s3s-fs: 403). The object is
            // there, whole, when it has this size and SHA-256.
            let done = !caps.local
                && self
                    .stat(self.dst(), &f.key)
                    .await
                    .ok()
                    .flatten()
                    .is_some_and(|s| s.size == size && s.sha256.as_deref() == Some(sha256));
            if !done {
                return Err(e);
            }
            tracing::info!(key = %abs, error = %e, "upload completed although the answer was lost");
        }
        self.forget(&f.key, None).await?;
        if !caps.local {
            self.verify_published(&f.key, size, sha256).await?;
        }
        Ok(sha256.to_owned())
    }
}
