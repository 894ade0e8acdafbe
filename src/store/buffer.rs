//! Reused buffers for reads of whole local files larger than glibc's heap limit.
//!
//! A local file up to the upload cutoff (64 MiB) is read in one piece, hashed and sent or
//! written in one request. glibc serves every allocation above 32 MiB (its largest
//! `M_MMAP_THRESHOLD`) with a fresh mapping: a page fault and a zeroed page per 4 KiB, then
//! an unmap, for every such file. On W1 local → local that was about a sixth of Ferry's CPU
//! (perf: `exc_page_fault`, `do_anonymous_page`, `clear_page_erms`, `unmap_page_range`).
//! Buffers taken here go back to a small pool when the last [`Bytes`] pointing into them is
//! dropped, and the next large read reuses them, already faulted in. Smaller buffers come
//! from glibc's heap, which reuses memory by itself.
//!
//! Memory stays bounded: lent buffers are bounded by the engine's in-flight budget, idle ones
//! by [`MAX_IDLE`], and a buffer is reused only for a read at least half its size.

use std::sync::Mutex;

use bytes::Bytes;

/// Below this, buffers come from the heap (see `tune_allocator` in `main.rs`).
const MIN_POOLED: usize = (32 << 20) + 1;

/// Idle bytes kept for reuse; a buffer given back beyond that is freed.
const MAX_IDLE: usize = 128 << 20;

#[derive(Debug)]
struct Pool {
    idle: Vec<Vec<u8>>,
    idle_bytes: usize,
}

static POOL: Mutex<Pool> = Mutex::new(Pool {
    idle: Vec::new(),
    idle_bytes: 0,
});

fn pool() -> std::sync::MutexGuard<'static, Pool> {
    POOL.lock().unwrap_or_else(|p| p.into_inner())
}

/// An empty vector with room for at least `len` bytes, reused when one fits.
pub fn take(len: usize) -> Vec<u8> {
    if len < MIN_POOLED {
        return Vec::with_capacity(len);
    }
    let mut pool = pool();
    let fitting = pool
        .idle
        .iter()
        .enumerate()
        .filter(|(_, b)| b.capacity() >= len && b.capacity() / 2 <= len)
        .min_by_key(|(_, b)| b.capacity())
        .map(|(i, _)| i);
    match fitting {
        Some(i) => {
            let buf = pool.idle.swap_remove(i);
            pool.idle_bytes -= buf.capacity();
            buf
        }
        None => Vec::with_capacity(len),
    }
}

/// The filled buffer as [`Bytes`]; a pooled-size buffer returns to the pool once the last
/// `Bytes` referring to it is dropped.
pub fn freeze(buf: Vec<u8>) -> Bytes {
    if buf.capacity() < MIN_POOLED {
        return Bytes::from(buf);
    }
    Bytes::from_owner(Lent(buf))
}

/// A pooled buffer while [`Bytes`] refer to it.
#[derive(Debug)]
struct Lent(Vec<u8>);

impl AsRef<[u8]> for Lent {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Drop for Lent {
    fn drop(&mut self) {
        let mut buf = std::mem::take(&mut self.0);
        buf.clear();
        let mut pool = pool();
        if pool.idle_bytes + buf.capacity() <= MAX_IDLE {
            pool.idle_bytes += buf.capacity();
            pool.idle.push(buf);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_buffers_come_back_and_are_reused() {
        let len = MIN_POOLED + 4096;
        let mut buf = take(len);
        buf.resize(len, 7);
        let ptr = buf.as_ptr();
        let bytes = freeze(buf);
        let copy = bytes.clone();
        drop(bytes);
        assert_eq!(copy.len(), len);
        assert!(copy.iter().all(|b| *b == 7));
        drop(copy);
        // Other tests may take it first; then a fresh one is as good.
        let again = take(len);
        assert!(again.is_empty());
        assert!(again.capacity() >= len);
        if again.as_ptr() == ptr {
            assert_eq!(again.capacity(), len);
        }
    }

    #[test]
    fn a_big_buffer_is_not_spent_on_a_small_read() {
        let big = MIN_POOLED * 3;
        let mut buf = take(big);
        buf.resize(big, 0);
        let ptr = buf.as_ptr();
        drop(freeze(buf));
        let small = take(MIN_POOLED);
        assert_ne!(small.as_ptr(), ptr);
    }

    #[test]
    fn small_buffers_are_plain() {
        let buf = take(4096);
        assert!(buf.capacity() >= 4096);
        let bytes = freeze(buf);
        assert!(bytes.is_empty());
    }
}
