//! What the engine tests share: small in-memory stores, options, one way to run a transfer.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use ferry::engine::journal::Journal;
use ferry::engine::{FileSpec, Stats, Summary, Transfer};
use ferry::store::memory::MemoryBackend;
use ferry::store::{Backend, Capabilities, Location, PendingUpload};
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

use super::common::Opts;
use super::intercept::Intercept;

/// Chunk size of these tests: files of a few chunks stay small.
pub const CHUNK: u64 = 64 << 10;

/// Name of the journal every run of these tests keeps.
pub const JOURNAL: &str = "run";

pub fn sha(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// An empty in-memory store whose parts may be as small as [`CHUNK`].
pub fn store() -> Arc<MemoryBackend> {
    Arc::new(MemoryBackend::with_capabilities(Capabilities {
        min_part_size: CHUNK,
        ..MemoryBackend::new().capabilities()
    }))
}

/// Options for a run with its journal in `state`, files above one chunk sent in chunks.
pub fn options(state: &Path) -> Opts {
    let mut opts = Opts::new(state, ferry::retry::RetryPolicy::quick());
    opts.chunk_size = Some(CHUNK);
    opts.journal_name = Some(JOURNAL.into());
    opts
}

/// `location` with its requests going through `intercept`, which is returned for inspection.
pub fn through(location: &Location, intercept: Intercept) -> (Location, Arc<Intercept>) {
    let intercept = Arc::new(intercept);
    let wrapped = Location {
        backend: intercept.clone(),
        ..location.clone()
    };
    (wrapped, intercept)
}

/// One run of the engine and what it did.
pub struct Outcome {
    pub result: ferry::Result<Summary>,
    /// Bytes written to the destination by this run.
    pub sent: u64,
}

/// What a run is given besides its two locations.
#[derive(Default)]
pub struct Run {
    pub cancel: CancellationToken,
    /// SHA-256 → full key of content the destination already holds.
    pub known: HashMap<String, String>,
    /// The files to copy (with the SHA-256 a manifest gives); `None`: the source's listing.
    pub files: Option<Vec<FileSpec>>,
}

impl Run {
    pub async fn copy(self, src: &Location, dst: &Location, options: &Opts) -> Outcome {
        let stats = Arc::new(Stats::default());
        let context = options.context(&stats).with_cancel(self.cancel);
        let t = Transfer::new(src, dst, options, context).with_known(self.known);
        let result = match self.files {
            Some(files) => t.copy_files(files).await,
            None => t.copy_tree().await,
        };
        Outcome {
            result,
            sent: stats.snapshot().bytes_transferred,
        }
    }
}

/// Copies the tree with nothing else given.
pub async fn copy(src: &Location, dst: &Location, options: &Opts) -> Outcome {
    Run::default().copy(src, dst, options).await
}

/// The whole object at `key` below `location`, if there is one.
pub async fn read(location: &Location, key: &str) -> Option<Vec<u8>> {
    let abs = location.key(key);
    let stat = location.backend.stat(&abs).await.expect("stat")?;
    let data = location
        .backend
        .get_range(&abs, 0..stat.size, None)
        .await
        .expect("get");
    Some(data.to_vec())
}

/// Every pending upload of a store.
pub async fn pending(store: &MemoryBackend) -> Vec<PendingUpload> {
    store
        .pending_uploads("")
        .await
        .expect("list uploads")
        .expect("the memory store lists uploads")
}

/// Indexes of the parts of `key` the journal in `state` holds as stored.
pub fn journalled_parts(state: &Path, key: &str) -> Vec<u64> {
    let journal = Journal::open(&state.join(format!("journals/{JOURNAL}.jsonl"))).expect("journal");
    journal
        .open_uploads()
        .get(key)
        .map(|u| u.parts.keys().copied().collect())
        .unwrap_or_default()
}

/// Whether the state directory holds no journal (the run finished or was aborted).
pub fn no_journal(state: &Path) -> bool {
    !state.join(format!("journals/{JOURNAL}.jsonl")).exists()
}

/// Bytes of part `index` of a file of `size` bytes.
pub fn part_len(size: u64, index: u64) -> u64 {
    ((index + 1) * CHUNK).min(size) - index * CHUNK
}
