//! One file's way through the engine: hash, skip, server-side copy, or chunked transfer.

use std::ops::Range;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};

use super::digest::{Hasher, hash_object, sha256_hex};
use super::journal::OpenUpload;
use super::progress::FileAction;
use super::{DEFAULT_CHUNK_SIZE, DEFAULT_UPLOAD_CUTOFF, FileSpec, Run};
use crate::store::{Capabilities, Location};
use crate::{Error, Result};

/// Chunk size for a file of `size` bytes going to a destination with `caps`: the wanted size,
/// raised to the store's minimum part size and until the parts fit its part-count limit,
/// rounded up to its alignment.
pub fn chunk_size(wanted: u64, size: u64, caps: &Capabilities) -> u64 {
    let mut chunk = wanted.max(caps.min_part_size).max(1);
    if caps.max_parts != u64::MAX {
        chunk = chunk.max(size.div_ceil(caps.max_parts));
    }
    chunk.div_ceil(caps.part_alignment) * caps.part_alignment
}

pub(super) fn ranges(size: u64, chunk: u64) -> impl Iterator<Item = (u64, Range<u64>)> {
    (0..size.div_ceil(chunk)).map(move |i| (i, i * chunk..((i + 1) * chunk).min(size)))
}

impl Run<'_> {
    fn src(&self) -> &Location {
        self.t.src
    }

    fn dst(&self) -> &Location {
        &self.dst
    }

    /// The chunk size asked for: the options', else the destination's or source's section's.
    fn chosen_chunk(&self) -> Option<u64> {
        self.t
            .options
            .chunk_size
            .or(self.dst().hints.chunk_size)
            .or(self.src().hints.chunk_size)
    }

    fn wanted_chunk(&self) -> u64 {
        self.chosen_chunk().unwrap_or(DEFAULT_CHUNK_SIZE)
    }

    /// Files up to this size go in one request. A chunk size chosen by the user also sets
    /// it, so that any file larger than one chunk goes in chunks. From a remote source the
    /// default is one chunk: ranged reads of a file run in parallel, where one request per
    /// file left W1's download with two 64 MiB streams at a time (9.7 s, against 8.0 s).
    fn cutoff(&self) -> u64 {
        self.t
            .options
            .upload_cutoff
            .or(self.dst().hints.upload_cutoff)
            .or(self.chosen_chunk())
            .unwrap_or(if self.src().capabilities().local {
                DEFAULT_UPLOAD_CUTOFF
            } else {
                DEFAULT_CHUNK_SIZE
            })
    }

    /// Reads a range of the source, insisting on the version first seen.
    async fn read(&self, key: &str, range: Range<u64>, etag: Option<&str>) -> Result<Bytes> {
        if range.is_empty() {
            return Ok(Bytes::new());
        }
        let abs = self.src().key(key);
        self.src().backend.get_range(&abs, range, etag).await
    }

    /// Counts bytes written to the destination by this run (resumed parts, skipped files and
    /// server-side copies are not).
    fn moved(&self, bytes: u64) {
        if let Some(stats) = self.t.stats {
            stats.transferred(bytes);
        }
    }

    /// Transfers one file, or finds it needs no transfer.
    pub(super) async fn transfer(&self, f: &FileSpec) -> Result<()> {
        if self.stop.is_cancelled() {
            return Err(Error::Cancelled);
        }
        // The version seen now (ETag; mtime and size for local files): every read of this
        // file insists on it, so a file changed mid-transfer fails instead of mixing.
        let src_stat = self
            .stat(self.src(), &f.key)
            .await?
            .ok_or_else(|| Error::NotFound(self.src().key(&f.key)))?;
        let etag = src_stat.etag.clone();
        let size = src_stat.size;
        if size != f.size {
            return Err(Error::Other(format!(
                "{}: size changed from {} to {size} bytes while transferring",
                self.src().key(&f.key),
                f.size
            )));
        }
        // The SHA-256 the data must have: from the manifest, the source's metadata, or read.
        let expected = f.sha256.clone().or(src_stat.sha256);
        // A SHA-256 read from this very version needs no second pass while sending; one
        // from a manifest or metadata is checked against the bytes sent.
        let verify_in_order = expected.is_some();
        let small = size <= self.cutoff();
        // Whether `present` may have to read the destination to hash it: that takes budget,
        // so no budget may be held across it (two files each holding half the budget while
        // waiting for more would wait forever).
        let maybe_present = self.existing.get(&f.key) == Some(&size);
        let (sha256, small_data) = match expected {
            Some(sha) => (sha, None),
            // A file sent in one request is read once, under the budget, and the buffer
            // hashed is the buffer sent.
            None if small && !maybe_present => {
                let permit = self.budget.take(size).await?;
                let data = self.read(&f.key, 0..size, etag.as_deref()).await?;
                (sha256_hex(data.clone()).await?, Some((data, permit)))
            }
            None => (
                hash_object(self.src(), &f.key, size, etag.as_deref(), &self.budget).await?,
                None,
            ),
        };

        let action = if self.present(&f.key, size, &sha256).await? {
            FileAction::Skipped
        } else if let Some(from) = self
            .t
            .known
            .get(&sha256)
            .filter(|k| **k != self.dst().key(&f.key))
        {
            let to = self.dst().key(&f.key);
            self.dst().backend.copy(from, &to).await?;
            self.verify_published(&f.key, size, &sha256).await?;
            FileAction::ServerSideCopied
        } else if small {
            self.put_small(f, size, &sha256, small_data, etag.as_deref())
                .await?;
            FileAction::Copied
        } else {
            self.put_chunked(f, size, &sha256, etag.as_deref(), verify_in_order)
                .await?;
            FileAction::Copied
        };
        if action != FileAction::Copied {
            self.t.progress.advanced(size);
        }
        self.t.progress.file_done(&f.key, size, action);
        let mut summary = self.summary.lock().unwrap_or_else(|p| p.into_inner());
        summary.files += 1;
        summary.bytes += size;
        match action {
            FileAction::Copied => summary.copied += 1,
            FileAction::ServerSideCopied => summary.server_side_copied += 1,
            FileAction::Skipped => summary.skipped += 1,
        }
        summary.sha256.insert(f.key.clone(), sha256);
        Ok(())
    }

    async fn stat(&self, location: &Location, key: &str) -> Result<Option<crate::store::Stat>> {
        location.backend.stat(&location.key(key)).await
    }

    /// Whether the destination already holds this exact content: same size and SHA-256
    /// (read from its metadata, or by reading a local file).
    async fn present(&self, key: &str, size: u64, sha256: &str) -> Result<bool> {
        if self.existing.get(key) != Some(&size) {
            return Ok(false);
        }
        let Some(stat) = self.stat(self.dst(), key).await? else {
            return Ok(false);
        };
        if stat.size != size {
            return Ok(false);
        }
        let dst_sha = match stat.sha256 {
            Some(s) => s,
            None if self.dst().capabilities().local => {
                hash_object(self.dst(), key, size, None, &self.budget).await?
            }
            None => return Ok(false),
        };
        Ok(dst_sha == sha256)
    }

    /// After a write that did not pass through Ferry's hashing (server-side copy) or to a
    /// remote store: the published object must have the right size and SHA-256 metadata.
    async fn verify_published(&self, key: &str, size: u64, sha256: &str) -> Result<()> {
        let abs = self.dst().key(key);
        let stat = self
            .stat(self.dst(), key)
            .await?
            .ok_or_else(|| Error::Other(format!("{abs}: missing right after it was written")))?;
        let sha_ok = stat.sha256.as_deref().is_none_or(|s| s == sha256);
        if stat.size != size || !sha_ok {
            return Err(Error::Integrity {
                path: abs,
                expected: format!("{sha256} ({size} bytes)"),
                actual: format!(
                    "{} ({} bytes)",
                    stat.sha256.as_deref().unwrap_or("?"),
                    stat.size
                ),
            });
        }
        Ok(())
    }

    fn integrity(&self, key: &str, expected: &str, actual: String) -> Error {
        Error::Integrity {
            path: self.src().key(key),
            expected: expected.to_owned(),
            actual,
        }
    }

    async fn put_small(
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
        self.t.progress.advanced(size);
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
            self.dst()
                .backend
                .abort_upload(&abs, &earlier.upload)
                .await
                .ok();
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

    async fn put_chunked(
        &self,
        f: &FileSpec,
        size: u64,
        sha256: &str,
        etag: Option<&str>,
        verify: bool,
    ) -> Result<()> {
        let resumable = self.journal.open_uploads().contains_key(&f.key);
        match self
            .put_chunked_once(f, size, sha256, etag, verify, true)
            .await
        {
            // The upload an earlier run left is gone or no longer taken: expired, cleaned up,
            // or dropped by a complete request that a kill cut off half-way (s3s-fs then
            // answers 403, not 404): start the file afresh. A store that really refuses this
            // write refuses the fresh upload too, and that error is reported.
            Err(e) if resumable && (e.is_not_found() || e.is_refused()) => {
                tracing::info!(key = %f.key, error = %e, "earlier upload is gone; starting the file again");
                if let Some(earlier) = self.journal.open_uploads().get(&f.key) {
                    let abs = self.dst().key(&f.key);
                    self.dst()
                        .backend
                        .abort_upload(&abs, &earlier.upload)
                        .await
                        .ok();
                }
                self.journal.end(&f.key)?;
                self.put_chunked_once(f, size, sha256, etag, verify, false)
                    .await
            }
            other => other,
        }
    }

    async fn put_chunked_once(
        &self,
        f: &FileSpec,
        size: u64,
        sha256: &str,
        etag: Option<&str>,
        verify: bool,
        resume: bool,
    ) -> Result<()> {
        let caps = self.dst().capabilities();
        let chunk = chunk_size(self.wanted_chunk(), size, &caps);
        let open = self
            .open_upload(&f.key, size, sha256, chunk, resume)
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
        self.t.progress.advanced(done_bytes);

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
                    self.t.progress.advanced(len);
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
        let actual = hasher.finish();
        if verify && actual != sha256 {
            // Never publish: drop the upload, forget it, and report.
            self.dst()
                .backend
                .abort_upload(&abs, &open.upload)
                .await
                .ok();
            self.journal.end(&f.key)?;
            self.active
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&f.key);
            return Err(self.integrity(&f.key, sha256, actual));
        }
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
        self.journal.end(&f.key)?;
        self.active
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&f.key);
        if !caps.local {
            self.verify_published(&f.key, size, sha256).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps(min: u64, max_parts: u64, align: u64) -> Capabilities {
        Capabilities {
            parallel_parts: true,
            min_part_size: min,
            max_parts,
            part_alignment: align,
            server_side_copy: true,
            stores_sha256: true,
            local: false,
        }
    }

    #[test]
    fn chunk_sizes_respect_store_limits() {
        let s3 = caps(5 << 20, 10_000, 1);
        assert_eq!(chunk_size(1 << 20, 100 << 20, &s3), 5 << 20);
        assert_eq!(chunk_size(16 << 20, 100 << 20, &s3), 16 << 20);
        // 1 TiB in at most 10,000 parts.
        let big = 1u64 << 40;
        assert!(big.div_ceil(chunk_size(16 << 20, big, &s3)) <= 10_000);
        let gcs = caps(256 << 10, u64::MAX, 256 << 10);
        assert_eq!(chunk_size(1_000_000, 10 << 20, &gcs) % (256 << 10), 0);
    }

    #[test]
    fn ranges_cover_the_file() {
        let r: Vec<_> = ranges(10, 4).collect();
        assert_eq!(r, vec![(0, 0..4), (1, 4..8), (2, 8..10)]);
        assert_eq!(ranges(0, 4).count(), 0);
    }
}
