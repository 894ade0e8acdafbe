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
pub mod digest;
mod file;
pub mod journal;
mod orphans;
pub mod progress;
mod ramp;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use sha2::Digest;
use tokio_util::sync::CancellationToken;

pub use check::{CheckReport, Difference, check};
pub use orphans::{CLOCK_SKEW, CleanupReport, cleanup};
pub use progress::{FileAction, Progress, Snapshot, Stats};

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

/// How a transfer runs. `Default` suits a small machine and a large one alike.
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
    /// Bytes of file data held in memory at once, over all transfers.
    pub max_in_flight: u64,
    /// A budget shared with other runs (the server's jobs), so that memory stays bounded
    /// however many run at once; `None`: this run's own budget of `max_in_flight`.
    pub shared_budget: Option<Arc<Budget>>,
    /// Bytes per second over all transfers.
    pub bwlimit: Option<u64>,
    /// How the stores of a run retry (they are resolved with it, see
    /// [`crate::store::layer`]); the engine itself sends nothing twice.
    pub retry: RetryPolicy,
    /// Where the resume journal lives.
    pub state_dir: PathBuf,
    /// Journal name; `None` derives it from source and destination.
    pub journal_name: Option<String>,
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
            shared_budget: None,
            bwlimit: None,
            retry: RetryPolicy::default(),
            state_dir: journal::default_state_dir(),
            journal_name: None,
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
}

/// A copy between two locations.
pub struct Transfer<'a> {
    pub src: &'a Location,
    pub dst: &'a Location,
    pub options: &'a Options,
    pub progress: &'a dyn Progress,
    /// Byte counter for data that really moved (may be the same object as `progress`).
    pub stats: Option<&'a Stats>,
    pub cancel: CancellationToken,
    /// Content already in the destination's store: SHA-256 → full key in `dst.backend` (it may
    /// lie outside `dst`, e.g. in another backup). A file with such a SHA-256 is copied
    /// server-side instead of sent.
    pub known: HashMap<String, String>,
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
    /// A transfer with no manifest and no known content.
    pub fn new(
        src: &'a Location,
        dst: &'a Location,
        options: &'a Options,
        progress: &'a dyn Progress,
    ) -> Self {
        Transfer {
            src,
            dst,
            options,
            progress,
            stats: None,
            cancel: CancellationToken::new(),
            known: HashMap::new(),
        }
    }

    fn journal_path(&self) -> PathBuf {
        let name = self.options.journal_name.clone().unwrap_or_else(|| {
            let id = sha2::Sha256::digest(format!("{}\n{}", self.src.display, self.dst.display));
            hex::encode(&id[..12])
        });
        self.options
            .state_dir
            .join("journals")
            .join(format!("{name}.jsonl"))
    }

    /// Copies every file of the source tree.
    pub async fn copy_tree(&self) -> Result<Summary> {
        let listing = self.src.backend.list(&self.src.root).await?;
        let files = listing
            .into_iter()
            .map(|o| FileSpec {
                key: o.key,
                size: o.size,
                sha256: None,
            })
            .collect();
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
            stop: self.cancel.child_token(),
            t: self,
            existing,
            journal: Journal::open(&self.journal_path())?,
            budget: self
                .options
                .shared_budget
                .clone()
                .unwrap_or_else(|| Arc::new(Budget::new(self.options.max_in_flight))),
            dst: Location {
                backend: crate::store::layer::for_run(
                    self.dst.backend.clone(),
                    self.options.bwlimit,
                ),
                ..self.dst.clone()
            },
            active: Mutex::new(HashMap::new()),
            settled: Mutex::new(Default::default()),
            summary: Mutex::new(Summary::default()),
        };
        let total: u64 = files.iter().map(|f| f.size).sum();
        self.progress.planned(files.len() as u64, total);
        let run_ref = &run;
        // On the first failure the other transfers are told to stop, and the run waits until
        // every one has ended: no write of this run may land after it returned (a caller
        // cleans up staged data then).
        let ramp = &ramp::Ramp::new(self.options.transfers);
        let work = async {
            let mut transfers = futures::stream::iter(files)
                .map(move |f| async move {
                    let _slot = ramp.admit().await?;
                    let outcome = run_ref.transfer(&f).await;
                    ramp.widen();
                    outcome
                })
                .buffer_unordered(self.options.transfers.max(1));
            let mut first: Option<Error> = None;
            while let Some(outcome) = transfers.next().await {
                if let Err(e) = outcome
                    && first.is_none()
                {
                    run_ref.stop.cancel();
                    first = Some(e);
                }
            }
            first.map_or(Ok(()), Err)
        };
        // Cancellation wins when both are ready (a job resumed after it was aborted).
        let outcome = tokio::select! {
            biased;
            () = self.cancel.cancelled() => Err(Error::Cancelled),
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
                run.journal.remove()?;
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

impl Run<'_> {
    /// Uploads an earlier run left open that this run did not take over.
    fn leftovers(&self) -> HashMap<String, String> {
        let settled = self.settled.lock().unwrap_or_else(|p| p.into_inner());
        self.journal
            .open_uploads()
            .iter()
            .filter(|(k, _)| !settled.contains(*k))
            .map(|(k, o)| (k.clone(), o.upload.clone()))
            .collect()
    }

    /// Aborts uploads an earlier run left open that this run did not continue, and those it
    /// may have created without journalling their ids.
    async fn abort_leftovers(&self) {
        for (key, upload) in self.leftovers() {
            let abs = self.dst.key(&key);
            if let Err(e) = self.dst.backend.abort_upload(&abs, &upload).await {
                tracing::warn!(key = %abs, error = %e, "could not abort a stale upload");
            }
        }
        let intents: Vec<(String, i64)> = {
            let settled = self.settled.lock().unwrap_or_else(|p| p.into_inner());
            self.journal
                .earlier_intents()
                .iter()
                .filter(|(k, _)| !settled.contains(*k))
                .map(|(k, at)| (k.clone(), *at))
                .collect()
        };
        for (key, at) in intents {
            self.abort_strays(&key, at, None).await;
        }
    }

    /// Aborts every upload that is not finished, this run's and earlier ones'.
    async fn abort_everything(&self) {
        let mut uploads = self.leftovers();
        uploads.extend(
            self.active
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .drain(),
        );
        for (key, upload) in uploads {
            let abs = self.dst.key(&key);
            if let Err(e) = self.dst.backend.abort_upload(&abs, &upload).await {
                tracing::warn!(key = %abs, error = %e, "could not abort an upload");
            }
        }
        // Creates cut off by the cancel, and earlier runs' that never reached the journal.
        for (key, at) in self.journal.intents() {
            self.abort_strays(&key, at, None).await;
        }
    }
}
