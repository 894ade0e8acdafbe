//! Process-wide counters, exported by the server at `GET /_admin/metrics`.

use std::sync::atomic::{AtomicU64, Ordering};

/// A monotonically increasing count.
#[derive(Debug)]
pub struct Counter(AtomicU64);

impl Counter {
    pub const fn new() -> Self {
        Counter(AtomicU64::new(0))
    }

    pub fn inc(&self) {
        self.add(1);
    }

    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

impl Default for Counter {
    fn default() -> Self {
        Self::new()
    }
}

/// Requests retried after a transient failure.
pub static RETRIES: Counter = Counter::new();
/// Bytes sent to or received from storage by transfers.
pub static BYTES_TRANSFERRED: Counter = Counter::new();
/// Files transferred (not skipped).
pub static FILES_TRANSFERRED: Counter = Counter::new();
/// Transfers that ended in an error.
pub static TRANSFER_ERRORS: Counter = Counter::new();
