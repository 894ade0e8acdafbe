//! What one run is wired to, apart from how it runs ([`super::Options`]): where its resume
//! journal lives, the memory budget it draws from, who hears its progress and what cancels
//! it. The CLI takes the defaults but the state directory; the job manager gives every job
//! the server's state directory, a journal named after the job, the budget all jobs share,
//! the job's counters and its abort switch.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use sha2::Digest;
use tokio_util::sync::CancellationToken;

use super::budget::Budget;
use super::journal;
use super::progress::{Progress, Silent};
use crate::store::Location;

/// The wiring of one run; built with [`Context::new`] and the `with_…` methods.
#[derive(Clone)]
pub struct Context {
    state_dir: PathBuf,
    journal_name: Option<String>,
    budget: Option<Arc<Budget>>,
    progress: Arc<dyn Progress>,
    cancel: CancellationToken,
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("state_dir", &self.state_dir)
            .field("journal_name", &self.journal_name)
            .finish_non_exhaustive()
    }
}

impl Default for Context {
    fn default() -> Self {
        Self::new()
    }
}

impl Context {
    /// Journal under [`journal::default_state_dir`], named after source and destination; a
    /// budget of the run's own (`max_in_flight`); progress nobody hears; a cancel switch of
    /// its own.
    pub fn new() -> Self {
        Context {
            state_dir: journal::default_state_dir(),
            journal_name: None,
            budget: None,
            progress: Arc::new(Silent),
            cancel: CancellationToken::new(),
        }
    }

    /// Where the resume journals live.
    pub fn with_state_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.state_dir = dir.into();
        self
    }

    /// The journal's name, instead of one derived from source and destination.
    pub fn with_journal_name(mut self, name: impl Into<String>) -> Self {
        self.journal_name = Some(name.into());
        self
    }

    /// A budget shared with other runs, so that memory stays bounded however many run.
    pub fn with_budget(mut self, budget: Arc<Budget>) -> Self {
        self.budget = Some(budget);
        self
    }

    pub fn with_progress(mut self, progress: Arc<dyn Progress>) -> Self {
        self.progress = progress;
        self
    }

    /// The switch that aborts the run (a child token is taken per run).
    pub fn with_cancel(mut self, cancel: CancellationToken) -> Self {
        self.cancel = cancel;
        self
    }

    pub fn cancel(&self) -> &CancellationToken {
        &self.cancel
    }

    pub fn progress(&self) -> &dyn Progress {
        &*self.progress
    }

    /// The progress, to wrap (see [`Context::with_progress`]).
    pub fn shared_progress(&self) -> Arc<dyn Progress> {
        self.progress.clone()
    }

    pub fn state_dir(&self) -> &std::path::Path {
        &self.state_dir
    }

    /// The budget given, else a new one of `max_in_flight` bytes.
    pub(super) fn budget(&self, max_in_flight: u64) -> Arc<Budget> {
        self.budget
            .clone()
            .unwrap_or_else(|| Arc::new(Budget::new(max_in_flight)))
    }

    /// The journal file of a run from `src` to `dst`.
    pub(super) fn journal_path(&self, src: &Location, dst: &Location) -> PathBuf {
        let name = self.journal_name.clone().unwrap_or_else(|| {
            let id = sha2::Sha256::digest(format!("{}\n{}", src.display, dst.display));
            hex::encode(&id[..12])
        });
        self.state_dir
            .join("journals")
            .join(format!("{name}.jsonl"))
    }
}
