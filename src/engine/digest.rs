//! SHA-256, the one checksum of Ferry: the engine's, fed chunk by chunk off the async
//! threads ([`Hasher`]), and the backup directory's, read through a file on a blocking
//! thread ([`hash_reader`]). It depends on nothing else of Ferry.
//!
//! `sha2` uses the CPU's SHA extensions when present (detected at run time). Hashing a chunk
//! takes milliseconds, so it runs on the blocking pool, where it overlaps with I/O on the
//! other tasks instead of stalling them.

use std::io::{self, Read};

use bytes::Bytes;
use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// Read size of [`hash_reader`].
const BLOCK: usize = 1 << 20;

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

/// SHA-256 (hex) and length of everything `reader` yields, read in 1 MiB blocks, each block
/// also handed to `each` (the writer of a copy, or nothing). For blocking threads only.
/// `read_failed` makes the error of a failed read.
pub fn hash_reader<E>(
    mut reader: impl Read,
    read_failed: impl Fn(io::Error) -> E,
    mut each: impl FnMut(&[u8]) -> Result<(), E>,
) -> Result<(String, u64), E> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; BLOCK];
    let mut size = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(read_failed(e)),
        };
        each(&buf[..n])?;
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((hex::encode(hasher.finalize()), size))
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
