//! SHA-256 off the async threads.
//!
//! `sha2` uses the CPU's SHA extensions when present (detected at run time). Hashing a chunk
//! takes milliseconds, so it runs on the blocking pool, where it overlaps with I/O on the
//! other tasks instead of stalling them.

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use sha2::{Digest, Sha256};

use super::budget::Budget;
use crate::store::Location;
use crate::{Error, Result};

/// Read size when hashing a stored file: two reads of this size are in flight per file.
const HASH_READ: u64 = 8 << 20;

/// Buffers up to this size are hashed on the calling task: about 30 µs of work with SHA
/// extensions, within what an async task may run between two awaits.
const INLINE_MAX: usize = 64 << 10;

/// A running SHA-256 fed in order, chunk by chunk.
#[derive(Debug, Clone, Default)]
pub struct Hasher(Sha256);

impl Hasher {
    pub fn new() -> Self {
        Hasher(Sha256::new())
    }

    /// Adds `data`: on the blocking pool, or here when it is small enough that the hop to
    /// another thread (a wake-up and a park, tens of microseconds) would cost more than the
    /// hashing. Per small file that hop was most of Ferry's system CPU on W3's download.
    pub async fn update(self, data: Bytes) -> Result<Self> {
        let mut inner = self.0;
        if data.len() <= INLINE_MAX {
            inner.update(&data);
            return Ok(Hasher(inner));
        }
        tokio::task::spawn_blocking(move || {
            inner.update(&data);
            Hasher(inner)
        })
        .await
        .map_err(|e| Error::Other(format!("hash task failed: {e}")))
    }

    /// The digest as 64 lower-case hex digits.
    pub fn finish(self) -> String {
        hex::encode(self.0.finalize())
    }
}

/// SHA-256 of one buffer, as hex.
pub async fn sha256_hex(data: Bytes) -> Result<String> {
    Ok(Hasher::new().update(data).await?.finish())
}

/// SHA-256 of the file `key` of `location` by reading it through, insisting on `etag`.
pub async fn hash_object(
    location: &Location,
    key: &str,
    size: u64,
    etag: Option<&str>,
    budget: &Budget,
) -> Result<String> {
    let abs = location.key(key);
    let chunks = futures::stream::iter(super::file::ranges(size, HASH_READ))
        .map(|(_, range)| {
            let abs = abs.as_str();
            async move {
                let permit = budget.take(range.end - range.start).await?;
                let data = location.backend.get_range(abs, range, etag).await?;
                Ok::<_, Error>((data, permit))
            }
        })
        .buffered(2);
    // Each buffer keeps its share of the budget until it is hashed.
    let hasher = chunks
        .try_fold(Hasher::new(), |h, (data, permit)| async move {
            let h = h.update(data).await;
            drop(permit);
            h
        })
        .await?;
    Ok(hasher.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn known_vectors() {
        assert_eq!(
            sha256_hex(Bytes::new()).await.expect("hash"),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let h = Hasher::new()
            .update(Bytes::from_static(b"ab"))
            .await
            .expect("hash")
            .update(Bytes::from_static(b"c"))
            .await
            .expect("hash");
        assert_eq!(
            h.finish(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
