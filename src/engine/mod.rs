//! The transfer engine: copy a tree between two [`Location`]s, chunked, parallel,
//! checksummed, resumable and abortable; and check that two trees hold the same data.
//!
//! Per file the steps are rclone's: find the source's SHA-256 → skip if the destination
//! already has it → server-side copy if the destination store has it elsewhere → transfer in
//! chunks to a staged upload → verify the data that went through against the SHA-256 →
//! publish. Nothing unverified is published; a chunked upload is journalled (see
//! [`journal`]) so that a killed run resumes where it stopped.

pub mod budget;
mod check;
mod context;
pub mod digest;
mod download;
pub mod journal;
mod orphans;
mod plan;
pub mod progress;
mod ramp;
mod upload;
mod verify;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use tokio_util::sync::CancellationToken;

pub use check::{CheckReport, Difference, check};
pub use context::Context;
pub use download::hash_object;
pub use orphans::{CLOCK_SKEW, CleanupReport, cleanup};
pub use plan::Compare;
pub use progress::{FileAction, Progress, Silent, Snapshot, Stats};

use crate::retry::RetryPolicy;
use crate::store::Location;
use crate::{Error, Result};
pub use budget::Budget;
use journal::Journal;

/// Default chunk size: large enough that per-request overhead is small, small enough that a
/// resume re-sends little and memory stays flat.
pub const DEFAULT_CHUNK_SIZE: u64 = 16 << 20;

/// Files up to this size go in one request. Measured (benches/README.md): a backup's 64 MiB
/// files sent in one request each instead of four parts cost the S3 server half the CPU (no
/// reassembly of parts) and Ferry a third less, and many files in flight keep the link busy
/// without parts. Larger files keep chunks, so a resume re-sends at most a chunk per file.
pub const DEFAULT_UPLOAD_CUTOFF: u64 = 64 << 20;

/// How a transfer runs: the tunables. `Default` suits a small machine and a large one alike.
/// What a run is wired to (journal, budget, progress, cancellation) is its [`Context`].
#[derive(Debug, Clone)]
pub struct Options {
    /// Files in flight at once.
    pub transfers: usize,
    /// Chunks in flight per file (where the destination takes parts in parallel).
    pub chunk_concurrency: usize,
    /// Chunk size; `None` takes the destination section's `chunk_size`, else the default.
    pub chunk_size: Option<u64>,
    /// Files up to this size go in one request; `None`: the destination section's
    /// `upload_cutoff`, else a chosen chunk size, else [`DEFAULT_UPLOAD_CUTOFF`].
    pub upload_cutoff: Option<u64>,
    /// Bytes of file data held in memory at once, over all transfers (of all runs that
    /// share a [`Context::with_budget`]).
    pub max_in_flight: u64,
    /// Bytes per second over all transfers: a rate, an upload:download pair or a timetable
    /// (`--bwlimit`, see [`crate::store::layer::BwTimetable`]).
    pub bwlimit: Option<crate::store::layer::BwTimetable>,
    /// How the stores of a run retry (they are resolved with it, see
    /// [`crate::store::layer`]); the engine itself sends nothing twice.
    pub retry: RetryPolicy,
    /// What makes a file at the destination "already there".
    pub compare: Compare,
}

impl Default for Options {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Options {
            // Many small files are bound by request latency, not CPU: keep many in flight
            // (s5cmd keeps 256). W3's download (10,000 x 4 KiB from s3s-fs) took half the
            // time with 256 as with 64 (benches/README.md). Memory is bounded by
            // `max_in_flight`, not by this count.
            transfers: (cores * 128).clamp(256, 1024),
            // Enough for one large file alone to fill the in-flight budget.
            chunk_concurrency: 8,
            chunk_size: None,
            upload_cutoff: None,
            max_in_flight: 128 << 20,
            bwlimit: None,
            retry: RetryPolicy::default(),
            compare: Compare::default(),
        }
    }
}

/// One file to transfer; `sha256` when a manifest already says what it must be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSpec {
    pub key: String,
    pub size: u64,
    pub sha256: Option<String>,
}

/// A listed object, to be copied with nothing known of its content yet.
impl From<crate::store::ObjectInfo> for FileSpec {
    fn from(o: crate::store::ObjectInfo) -> Self {
        FileSpec {
            key: o.key,
            size: o.size,
            sha256: None,
        }
    }
}

/// What a finished transfer did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub files: u64,
    pub copied: u64,
    pub server_side_copied: u64,
    pub skipped: u64,
    pub bytes: u64,
    /// SHA-256 of every file, by key: what a manifest (SHA256SUMS) is written from.
    pub sha256: std::collections::BTreeMap<String, String>,
    /// The files a [`Transfer::keep_going`] run could not copy, in the order they failed;
    /// always empty otherwise (the first failure ends the run).
    pub failed: Vec<FailedFile>,
}

/// A file a [`Transfer::keep_going`] run gave up on, and why (the error's text: the run
/// went on, so there is no one error to return).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedFile {
    pub key: String,
    pub error: String,
}

/// A copy between two locations: [`Transfer::new`], then [`Transfer::with_known`] where the
/// destination's store holds content already.
pub struct Transfer<'a> {
    src: &'a Location,
    dst: &'a Location,
    options: &'a Options,
    context: Context,
    /// Content already in the destination's store: SHA-256 → full key in `dst.backend` (it may
    /// lie outside `dst`, e.g. in another backup). A file with such a SHA-256 is copied
    /// server-side instead of sent.
    known: HashMap<String, String>,
    /// A failed file does not stop the others (see [`Transfer::keep_going`]).
    keep_going: bool,
}

impl std::fmt::Debug for Transfer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transfer")
            .field("src", self.src)
            .field("dst", self.dst)
            .finish_non_exhaustive()
    }
}

/// Shared state of one running transfer.
struct Run<'a> {
    t: &'a Transfer<'a>,
    journal: Journal,
    budget: Arc<Budget>,
    /// The destination with this run's layers: its bandwidth limit and byte counter.
    dst: Location,
    /// Uploads begun and not yet finished, to abort on cancel.
    active: Mutex<HashMap<String, String>>,
    /// Fired on cancel or on the first failure: transfers stop at the next chunk.
    stop: CancellationToken,
    /// Sizes of what the destination held when the run started (one listing instead of a
    /// request per file).
    existing: HashMap<String, u64>,
    /// Keys whose upload from an earlier run this run took over (continued or replaced).
    settled: Mutex<std::collections::HashSet<String>>,
    summary: Mutex<Summary>,
}

impl<'a> Transfer<'a> {
    /// A copy from `src` to `dst` run with `options`, wired by `context`.
    pub fn new(
        src: &'a Location,
        dst: &'a Location,
        options: &'a Options,
        context: Context,
    ) -> Self {
        Transfer {
            src,
            dst,
            options,
            context,
            known: HashMap::new(),
            keep_going: false,
        }
    }

    /// A file that fails does not stop the others, as in rclone: the run copies all it can
    /// and lists the failures in [`Summary::failed`] (what the CLI wants; a backup, where
    /// one missing file spoils the whole, stops at the first). Cancellation still stops
    /// everything. The journal of a run with failures stays, so a rerun resumes them.
    pub fn keep_going(mut self) -> Self {
        self.keep_going = true;
        self
    }

    /// Content the destination's store already holds (SHA-256 → full key), copied
    /// server-side instead of sent.
    pub fn with_known(mut self, known: HashMap<String, String>) -> Self {
        self.known = known;
        self
    }

    fn progress(&self) -> &dyn Progress {
        self.context.progress()
    }

    /// Copies every file of the source tree.
    pub async fn copy_tree(&self) -> Result<Summary> {
        let listing = self.src.backend.list(&self.src.root).await?;
        let files = listing.into_iter().map(FileSpec::from).collect();
        self.copy_files(files).await
    }

    /// Copies the given files. On cancel: stops within a moment, aborts every unfinished
    /// upload on the server, removes staged data and the journal, and returns
    /// [`Error::Cancelled`]. On any other failure the journal stays for a resume.
    pub async fn copy_files(&self, files: Vec<FileSpec>) -> Result<Summary> {
        let existing = self
            .dst
            .backend
            .list(&self.dst.root)
            .await?
            .into_iter()
            .map(|o| (o.key, o.size))
            .collect();
        let run = Run {
            stop: self.context.cancel().child_token(),
            t: self,
            existing,
            journal: Journal::open(&self.context.journal_path(self.src, self.dst))?,
            budget: self.context.budget(self.options.max_in_flight),
            dst: Location {
                backend: crate::store::layer::for_run(
                    self.dst.backend.clone(),
                    self.options.bwlimit.as_ref(),
                    !self.src.capabilities().local,
                ),
                ..self.dst.clone()
            },
            active: Mutex::new(HashMap::new()),
            settled: Mutex::new(Default::default()),
            summary: Mutex::new(Summary::default()),
        };
        let total: u64 = files.iter().map(|f| f.size).sum();
        self.progress().planned(files.len() as u64, total);
        let run_ref = &run;
        // On the first failure the other transfers are told to stop, and the run waits until
        // every one has ended: no write of this run may land after it returned (a caller
        // cleans up staged data then).
        let ramp = &ramp::Ramp::new(self.options.transfers);
        let work = async {
            let mut transfers = futures::stream::iter(files)
                .map(move |f| async move {
                    let outcome = async {
                        let _slot = ramp.admit().await?;
                        let outcome = run_ref.transfer(&f).await;
                        ramp.widen();
                        outcome
                    };
                    (outcome.await, f.key)
                })
                .buffer_unordered(self.options.transfers.max(1));
            let mut first: Option<Error> = None;
            while let Some((outcome, key)) = transfers.next().await {
                match outcome {
                    Ok(()) => {}
                    Err(e) if self.keep_going && !matches!(e, Error::Cancelled) => {
                        tracing::error!(key = %key, error = %e, "failed to copy");
                        let error = e.to_string();
                        let mut summary = run_ref.summary.lock().unwrap_or_else(|p| p.into_inner());
                        summary.failed.push(FailedFile { key, error });
                    }
                    Err(e) if first.is_none() => {
                        run_ref.stop.cancel();
                        first = Some(e);
                    }
                    Err(_) => {}
                }
            }
            first.map_or(Ok(()), Err)
        };
        // Cancellation wins when both are ready (a job resumed after it was aborted).
        let outcome = tokio::select! {
            biased;
            () = self.context.cancel().cancelled() => Err(Error::Cancelled),
            r = work => r,
        };
        match outcome {
            Ok(_) => {
                run.abort_leftovers().await;
                let summary = run
                    .summary
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .clone();
                if summary.failed.is_empty() {
                    run.journal.remove()?;
                } else {
                    crate::metrics::TRANSFER_ERRORS.inc();
                }
                Ok(summary)
            }
            Err(Error::Cancelled) => {
                run.abort_everything().await;
                run.journal.remove()?;
                Err(Error::Cancelled)
            }
            Err(e) => {
                crate::metrics::TRANSFER_ERRORS.inc();
                Err(e)
            }
        }
    }
}
