//! Progress as a library trait: the engine reports, the CLI draws it and the API reads it.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// What happened to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileAction {
    /// Sent through Ferry.
    Copied,
    /// Copied inside the destination store from an identical object.
    ServerSideCopied,
    /// Already present and identical at the destination.
    Skipped,
}

/// Receives the engine's progress reports. Calls come from many tasks at once.
pub trait Progress: Send + Sync {
    /// The work planned: files and bytes in total (skipped files included).
    fn planned(&self, files: u64, bytes: u64);
    /// Bytes of data moved (or found already present).
    fn advanced(&self, bytes: u64);
    /// One file is finished and verified.
    fn file_done(&self, key: &str, size: u64, action: FileAction);
    /// Bytes written to the destination by this run (resumed parts, skipped files and
    /// server-side copies are not).
    fn transferred(&self, _bytes: u64) {}
}

/// Progress nobody hears.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {
    fn planned(&self, _files: u64, _bytes: u64) {}
    fn advanced(&self, _bytes: u64) {}
    fn file_done(&self, _key: &str, _size: u64, _action: FileAction) {}
}

/// A point-in-time view of [`Stats`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Snapshot {
    pub files_total: u64,
    pub files_done: u64,
    pub files_copied: u64,
    pub files_skipped: u64,
    pub bytes_total: u64,
    pub bytes_done: u64,
    /// Bytes written to the destination by this run (excludes skipped files, parts stored by
    /// an earlier run and server-side copies).
    pub bytes_transferred: u64,
    pub bytes_per_second: f64,
    pub eta: Option<Duration>,
    pub elapsed: Duration,
}

/// Counters behind a [`Progress`], readable at any time.
#[derive(Debug)]
pub struct Stats {
    files_total: AtomicU64,
    files_done: AtomicU64,
    files_copied: AtomicU64,
    files_skipped: AtomicU64,
    bytes_total: AtomicU64,
    bytes_done: AtomicU64,
    bytes_transferred: AtomicU64,
    started: Instant,
    /// `(time, bytes_done)` at the last rate sample, for a rate over recent seconds.
    window: Mutex<(Instant, u64, f64)>,
}

impl Default for Stats {
    fn default() -> Self {
        let now = Instant::now();
        Stats {
            files_total: AtomicU64::new(0),
            files_done: AtomicU64::new(0),
            files_copied: AtomicU64::new(0),
            files_skipped: AtomicU64::new(0),
            bytes_total: AtomicU64::new(0),
            bytes_done: AtomicU64::new(0),
            bytes_transferred: AtomicU64::new(0),
            started: now,
            window: Mutex::new((now, 0, 0.0)),
        }
    }
}

impl Stats {
    pub fn snapshot(&self) -> Snapshot {
        let bytes_done = self.bytes_done.load(Ordering::Relaxed);
        let bytes_total = self.bytes_total.load(Ordering::Relaxed);
        let now = Instant::now();
        let rate = {
            let mut w = self.window.lock().unwrap_or_else(|p| p.into_inner());
            let dt = now.duration_since(w.0).as_secs_f64();
            if dt >= 1.0 {
                let current = (bytes_done.saturating_sub(w.1)) as f64 / dt;
                // Smooth so that the figure does not jump with every chunk.
                w.2 = if w.2 == 0.0 {
                    current
                } else {
                    0.5 * w.2 + 0.5 * current
                };
                *w = (now, bytes_done, w.2);
            }
            if w.2 > 0.0 {
                w.2
            } else {
                let elapsed = now.duration_since(self.started).as_secs_f64();
                if elapsed > 0.0 {
                    bytes_done as f64 / elapsed
                } else {
                    0.0
                }
            }
        };
        let eta = (rate > 0.0 && bytes_total >= bytes_done)
            .then(|| Duration::from_secs_f64((bytes_total - bytes_done) as f64 / rate));
        Snapshot {
            files_total: self.files_total.load(Ordering::Relaxed),
            files_done: self.files_done.load(Ordering::Relaxed),
            files_copied: self.files_copied.load(Ordering::Relaxed),
            files_skipped: self.files_skipped.load(Ordering::Relaxed),
            bytes_total,
            bytes_done,
            bytes_transferred: self.bytes_transferred.load(Ordering::Relaxed),
            bytes_per_second: rate,
            eta,
            elapsed: now.duration_since(self.started),
        }
    }
}

impl Progress for Stats {
    fn planned(&self, files: u64, bytes: u64) {
        self.files_total.store(files, Ordering::Relaxed);
        self.bytes_total.store(bytes, Ordering::Relaxed);
    }

    fn advanced(&self, bytes: u64) {
        self.bytes_done.fetch_add(bytes, Ordering::Relaxed);
    }

    /// The process's own count is the destination's [`crate::store::layer::Metered`].
    fn transferred(&self, bytes: u64) {
        self.bytes_transferred.fetch_add(bytes, Ordering::Relaxed);
    }

    fn file_done(&self, _key: &str, _size: u64, action: FileAction) {
        self.files_done.fetch_add(1, Ordering::Relaxed);
        match action {
            FileAction::Skipped => self.files_skipped.fetch_add(1, Ordering::Relaxed),
            FileAction::Copied | FileAction::ServerSideCopied => {
                crate::metrics::FILES_TRANSFERRED.inc();
                self.files_copied.fetch_add(1, Ordering::Relaxed)
            }
        };
    }
}
