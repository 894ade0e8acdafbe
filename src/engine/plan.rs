//! The planning step of one file: what it must be (its SHA-256, from a manifest, the
//! source's metadata or a first read), whether it needs sending at all (already present,
//! or copied server-side from identical content), and in what pieces (one request, or chunks
//! fitted to the destination's limits). The steps it hands over to are [`super::download`]
//! (reading the source), [`super::upload`] (writing the destination) and [`super::verify`].

use std::ops::Range;

use super::digest::sha256_hex;
use super::download::hash_object;
use super::progress::FileAction;
use super::{DEFAULT_CHUNK_SIZE, DEFAULT_UPLOAD_CUTOFF, FileSpec, Run};
use crate::store::{Capabilities, Location, Stat, mtime};
use crate::{Error, Result};

/// What makes a file at the destination "already there" (rclone's quick check and its
/// flags). Whatever is chosen, what is sent is verified by its SHA-256.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compare {
    /// The same size and SHA-256 (stored, or read from local files): rclone's
    /// `--checksum`. The engine's default: a backup trusts no time.
    #[default]
    Checksum,
    /// rclone's default: the same size and modification time, without reading anything;
    /// where the times differ (or one is unknown), as [`Compare::Checksum`].
    ModTime,
    /// The same size (`--size-only`).
    SizeOnly,
    /// Nothing is already there: every file is sent (`--ignore-times`).
    Always,
}

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
    pub(super) fn src(&self) -> &Location {
        self.t.src
    }

    pub(super) fn dst(&self) -> &Location {
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

    pub(super) fn wanted_chunk(&self) -> u64 {
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

    /// Server-side copies `from`, an object said to hold `sha256`, to `key`; false when it
    /// turned out not to (gone, or of other content: someone changed the repository after its
    /// `SHA256SUMS` was written), so the caller sends the file itself, overwriting what the
    /// copy left. A known object is a shortcut, never a source of truth.
    async fn copy_known(&self, from: &str, key: &str, size: u64, sha256: &str) -> Result<bool> {
        let to = self.dst().key(key);
        match self.dst().backend.copy(from, &to).await {
            Err(e) if e.is_not_found() => {
                tracing::warn!(from, to, "known object is gone: sending the file instead");
                return Ok(false);
            }
            other => other?,
        }
        match self.verify_published(key, size, sha256).await {
            Err(Error::Integrity { actual, .. }) => {
                tracing::warn!(
                    from,
                    to,
                    actual,
                    "known object has other content: sending the file instead"
                );
                Ok(false)
            }
            other => other.map(|()| true),
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
        if self.quick_check(&f.key, &src_stat).await? {
            self.done(
                f,
                size,
                FileAction::Skipped,
                f.sha256.clone().or(src_stat.sha256),
            );
            return Ok(());
        }
        let modified = src_stat.modified;
        // The SHA-256 the data must have: from the manifest, the source's metadata, or read.
        let expected = f.sha256.clone().or(src_stat.sha256);
        // A SHA-256 read from this very version needs no second pass while sending; one
        // from a manifest or metadata is checked against the bytes sent.
        let verify_in_order = expected.is_some();
        let small = size <= self.cutoff();
        // Whether `present` may have to read the destination to hash it: that takes budget,
        // so no budget may be held across it (two files each holding half the budget while
        // waiting for more would wait forever).
        let compare = self.t.options.compare;
        let maybe_present = compare != Compare::Always && self.existing.get(&f.key) == Some(&size);
        let (sha256, small_data) = match expected {
            Some(sha) => (sha, None),
            // A file sent in one request is read once, under the budget, and the buffer
            // hashed is the buffer sent.
            None if small && !maybe_present => {
                let permit = self.budget.take(size).await?;
                let data = self.read(&f.key, 0..size, etag.as_deref()).await?;
                (sha256_hex(data.clone()).await?, Some((data, permit)))
            }
            // Nothing to compare with at the destination: hashed while it is written there.
            None if !small
                && !maybe_present
                && let Some(version) = self.hashes_while_writing(&etag) =>
            {
                let put = self.put_hashing(f, size, version);
                let sha256 = mtime::writing(modified, put).await?;
                self.done(f, size, FileAction::Copied, Some(sha256));
                return Ok(());
            }
            None => (
                hash_object(self.src(), &f.key, size, etag.as_deref(), &self.budget).await?,
                None,
            ),
        };

        let known = self
            .t
            .known
            .get(&sha256)
            .filter(|k| **k != self.dst().key(&f.key));
        let action = if maybe_present && self.present(&f.key, size, &sha256).await? {
            FileAction::Skipped
        } else if let Some(from) = known
            && self.copy_known(from, &f.key, size, &sha256).await?
        {
            FileAction::ServerSideCopied
        } else if small {
            // The source's time goes with the data (see `mtime`), as rclone keeps it.
            mtime::writing(
                modified,
                self.put_small(f, size, &sha256, small_data, etag.as_deref()),
            )
            .await?;
            FileAction::Copied
        } else {
            mtime::writing(
                modified,
                self.put_chunked(f, size, &sha256, etag.as_deref(), verify_in_order),
            )
            .await?;
            FileAction::Copied
        };
        self.done(f, size, action, Some(sha256));
        Ok(())
    }

    /// rclone's quick check: whether the destination's file counts as there without
    /// reading either side ([`Compare::ModTime`]: the same size and modification time;
    /// [`Compare::SizeOnly`]: the same size).
    async fn quick_check(&self, key: &str, src: &Stat) -> Result<bool> {
        let compare = self.t.options.compare;
        let quick = matches!(compare, Compare::ModTime | Compare::SizeOnly);
        if !quick || self.existing.get(key) != Some(&src.size) {
            return Ok(false);
        }
        if compare == Compare::SizeOnly {
            return Ok(true);
        }
        let Some(dst) = self.stat(self.dst(), key).await? else {
            return Ok(false);
        };
        Ok(dst.size == src.size && src.modified.is_some() && dst.modified == src.modified)
    }

    /// Counts a finished file: its progress and its line in the summary (with its SHA-256
    /// where known; a quick check knows none unless one is stored).
    fn done(&self, f: &FileSpec, size: u64, action: FileAction, sha256: Option<String>) {
        if action != FileAction::Copied {
            self.t.progress().advanced(size);
        }
        self.t.progress().file_done(&f.key, size, action);
        let mut summary = self.summary.lock().unwrap_or_else(|p| p.into_inner());
        summary.files += 1;
        summary.bytes += size;
        match action {
            FileAction::Copied => summary.copied += 1,
            FileAction::ServerSideCopied => summary.server_side_copied += 1,
            FileAction::Skipped => summary.skipped += 1,
        }
        if let Some(sha256) = sha256 {
            summary.sha256.insert(f.key.clone(), sha256);
        }
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
