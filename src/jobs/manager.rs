//! Starting, watching, aborting and resuming transfer jobs.
//!
//! Each job is a record in `<state-dir>/jobs/<id>.json`, written at every state change. At
//! startup every record is read back: finished jobs stay queryable for the retention of
//! [`Limits`] (pruned then and by [`JobManager::prune`] while the server runs); a job that
//! was `ACK` or `STARTED` when the server stopped (crash, restart) runs again and, through
//! its engine journal (named after the job), continues where it stopped.
//!
//! At most `max_jobs` jobs run at once ([`Slots`]); the others wait as `ACK`, in the order
//! they were accepted, and an abort ends a waiting job at once.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::Repositories;
use super::limits::Limits;
use super::record::{JobRecord, JobState, now_string};
use super::slots::{Slots, Ticket};
use super::{BackupTransfer, Direction, JobError};
use crate::backup::{BackupDir, BackupId};
use crate::engine::{Budget, Context, Options, Stats};
use crate::secret::{MAX_SHOWN, shorten};
use crate::store::Location;
use crate::{Error, ErrorKind, Result};

/// First job id of a fresh server; ids grow from the highest ever issued.
const FIRST_ID: u64 = 10_000;

/// A job in memory: its record, and while it runs, its live counters and cancel switch.
#[derive(Debug)]
struct Job {
    record: JobRecord,
    stats: Arc<Stats>,
    cancel: CancellationToken,
}

impl Job {
    fn new(record: JobRecord) -> Self {
        Job {
            record,
            stats: Arc::new(Stats::default()),
            cancel: CancellationToken::new(),
        }
    }
}

#[derive(Debug)]
struct Inner {
    dir: PathBuf,
    backups: BackupDir,
    local_prefix: String,
    options: Options,
    /// Every job's wiring: the server's state directory and the budget all jobs share.
    context: Context,
    repositories: Repositories,
    limits: Limits,
    slots: Slots,
    jobs: Mutex<HashMap<String, Job>>,
    next_id: Mutex<u64>,
    tracker: TaskTracker,
    /// Server shutdown: jobs stop where they are, as in a crash, and resume at the next start.
    stopping: CancellationToken,
}

/// The jobs of one server. Cheap to clone.
#[derive(Debug, Clone)]
pub struct JobManager {
    inner: Arc<Inner>,
}

/// Why a job could not be started (answered to the request, not recorded as a job).
pub type StartError = JobError;

impl JobManager {
    /// Reads the job records under `state_dir`, prunes old finished ones, and resumes the
    /// unfinished. Must run inside a tokio runtime.
    pub fn open(
        state_dir: PathBuf,
        backups: BackupDir,
        local_prefix: String,
        options: Options,
        repositories: Repositories,
        limits: Limits,
    ) -> Result<Self> {
        let dir = state_dir.join("jobs");
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        // One in-flight budget for all jobs: eight concurrent uploads hold what one would.
        let context = Context::new()
            .with_state_dir(state_dir)
            .with_budget(Arc::new(Budget::new(options.max_in_flight)));
        let mut records = Vec::new();
        let mut max_id = FIRST_ID - 1;
        for entry in std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))? {
            let path = entry.map_err(|e| Error::io(&dir, e))?.path();
            if path.extension().is_none_or(|e| e != "json")
                || path
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            {
                continue;
            }
            let record: JobRecord = match std::fs::read(&path).map(|b| serde_json::from_slice(&b)) {
                Ok(Ok(r)) => r,
                _ => {
                    tracing::warn!(path = %path.display(), "unreadable job record skipped");
                    continue;
                }
            };
            max_id = max_id.max(record.id.parse().unwrap_or(0));
            records.push((path, record));
        }
        // Resumed jobs queue for their slots in the order they were accepted.
        records.sort_by_key(|(_, r)| r.id.parse::<u64>().unwrap_or(0));
        let manager = JobManager {
            inner: Arc::new(Inner {
                dir,
                backups,
                local_prefix,
                options,
                context,
                repositories,
                limits,
                slots: Slots::new(limits.max_jobs),
                jobs: Mutex::new(HashMap::new()),
                next_id: Mutex::new(max_id + 1),
                tracker: TaskTracker::new(),
                stopping: CancellationToken::new(),
            }),
        };
        for (path, record) in records {
            if limits.expired(&record) {
                let _ = std::fs::remove_file(&path);
                continue;
            }
            let resume = !record.state.is_finished();
            let id = record.id.clone();
            manager.insert(record);
            if resume {
                tracing::info!(job = %id, "resuming a job interrupted by a restart");
                manager.spawn(&id, manager.inner.slots.ask());
            }
        }
        Ok(manager)
    }

    /// Forgets finished jobs older than the retention, in memory and on disk; the server
    /// calls it every [`Limits::prune_interval`].
    pub fn prune(&self) {
        let mut jobs = self.jobs();
        let expired: Vec<String> = (jobs.values())
            .filter(|j| self.inner.limits.expired(&j.record))
            .map(|j| j.record.id.clone())
            .collect();
        for id in expired {
            jobs.remove(&id);
            let path = self.inner.dir.join(format!("{id}.json"));
            if let Err(e) = std::fs::remove_file(&path)
                && e.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!(job = %id, error = %e, "could not remove an expired job record");
            }
        }
    }

    fn insert(&self, record: JobRecord) {
        self.jobs().insert(record.id.clone(), Job::new(record));
    }

    fn jobs(&self) -> std::sync::MutexGuard<'_, HashMap<String, Job>> {
        self.inner.jobs.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The repository a request names (`remoteRepository`, `config`), resolved as for a job:
    /// the operator's sections and the hardening policy (`Repositories`), under the server's
    /// local path prefix; every failure is a bad config.
    pub fn repository(&self, repository: &str, config: &Value) -> Result<Location, JobError> {
        (self.inner.repositories)
            .resolve(
                config,
                repository,
                &self.inner.local_prefix,
                &self.inner.options.retry,
            )
            .map_err(|e: Error| JobError::new(ErrorKind::BadConfig, e.to_string()))
    }

    /// Builds what a job runs from its record; every failure is the client's: an id that
    /// cannot be one, or a repository or config that cannot be used (whatever the reason).
    fn prepare(
        &self,
        record: &JobRecord,
        stats: Arc<Stats>,
        cancel: CancellationToken,
    ) -> Result<BackupTransfer, StartError> {
        let id = BackupId::parse(&record.backup_id).map_err(JobError::from)?;
        let repository = self.repository(&record.repository, &record.config)?;
        Ok(BackupTransfer {
            backups: self.inner.backups.clone(),
            repository,
            id,
            piece: record.piece.clone(),
            options: self.inner.options.clone(),
            context: (self.inner.context.clone())
                .with_journal_name(format!("job-{}", record.id))
                .with_progress(stats)
                .with_cancel(cancel),
        })
    }

    /// Job `id`'s record and the repository it moves its backup to or from, resolved as
    /// when it runs (a cluster's DB server writes the `META` of the whole backup there).
    pub fn repository_of(&self, id: &str) -> Option<Result<(JobRecord, Location), JobError>> {
        let record = self.jobs().get(id)?.record.clone();
        let location = self.repository(&record.repository, &record.config);
        Some(location.map(|l| (record, l)))
    }

    /// Whether the operator gave sections that requests may name (`ferry serve --config`).
    pub fn has_named_sections(&self) -> bool {
        self.inner.repositories.sections.sections().next().is_some()
    }

    /// Validates and starts a job; returns its id.
    pub fn start(
        &self,
        direction: Direction,
        backup_id: &str,
        repository: &str,
        config: &Value,
    ) -> Result<String, StartError> {
        self.start_piece(direction, backup_id, repository, config, None)
    }

    /// [`Self::start`] for a DB server's piece of a cluster backup, which lives at
    /// `<repository>/<id>/<piece>` (`piece` being a DB server id, `PRMR-<uuid>`).
    pub fn start_piece(
        &self,
        direction: Direction,
        backup_id: &str,
        repository: &str,
        config: &Value,
        piece: Option<&str>,
    ) -> Result<String, StartError> {
        if let Some(p) = piece.filter(|p| !super::transfer::is_piece_name(p)) {
            return Err(JobError::new(
                ErrorKind::BadParameter,
                format!("{p:?} cannot name a piece of a cluster backup"),
            ));
        }
        let mut record = JobRecord {
            id: String::new(),
            direction,
            backup_id: backup_id.to_owned(),
            repository: repository.to_owned(),
            piece: piece.map(str::to_owned),
            config: config.clone(),
            created: now_string(),
            state: JobState::Ack,
            cancelled: false,
            updated: now_string(),
            progress: Default::default(),
            error_num: None,
            error_message: None,
        };
        // Validation only: the job runs with its own counters and switch (see `run`).
        let transfer = self.prepare(&record, Arc::default(), CancellationToken::new())?;
        let exists = self.inner.backups.get(&transfer.id).is_ok();
        match direction {
            Direction::Upload if !exists => {
                return Err(JobError::new(
                    ErrorKind::NoSuchBackup,
                    format!("no such hot backup: {backup_id}"),
                ));
            }
            Direction::Download if exists => {
                return Err(JobError::new(
                    ErrorKind::Conflict,
                    format!(
                        "backup {backup_id} exists locally already: delete it first to download it again"
                    ),
                ));
            }
            _ => {}
        }
        // Checked and registered under one lock: two requests at once cannot both pass.
        let (id, ticket) = {
            let mut jobs = self.jobs();
            let downloading = jobs.values().any(|j| {
                j.record.direction == Direction::Download
                    && j.record.backup_id == backup_id
                    && !j.record.state.is_finished()
            });
            if direction == Direction::Download && downloading {
                return Err(JobError::new(
                    ErrorKind::Conflict,
                    format!("backup {backup_id} is being downloaded already"),
                ));
            }
            record.id = {
                let mut next = self.inner.next_id.lock().unwrap_or_else(|p| p.into_inner());
                let id = *next;
                *next += 1;
                id.to_string()
            };
            record.save(&self.inner.dir)?;
            let id = record.id.clone();
            jobs.insert(id.clone(), Job::new(record));
            // Under the lock: the queue's order is the order of the ids.
            (id, self.inner.slots.ask())
        };
        self.spawn(&id, ticket);
        Ok(id)
    }

    /// Runs job `id` in the background once `ticket` gives it a slot.
    fn spawn(&self, id: &str, ticket: Ticket) {
        let this = self.clone();
        let id = id.to_owned();
        self.inner
            .tracker
            .spawn(async move { this.run(&id, ticket).await });
    }

    async fn run(&self, id: &str, ticket: Ticket) {
        let (record, stats, cancel) = {
            let jobs = self.jobs();
            let Some(job) = jobs.get(id) else { return };
            (job.record.clone(), job.stats.clone(), job.cancel.clone())
        };
        // Aborted before a crash or restart: run the abort (server-side cleanup) to its end.
        if record.cancelled {
            cancel.cancel();
        }
        // A job that never started has nothing to clean up: aborted while it waits, it ends.
        let never_started = record.state == JobState::Ack;
        let work = async {
            let _slot = tokio::select! {
                slot = ticket.wait() => slot,
                () = cancel.cancelled(), if never_started => return Err(Error::Cancelled.into()),
            };
            match self.prepare(&record, stats.clone(), cancel) {
                Ok(transfer) => {
                    self.update(id, |r| r.state = JobState::Started);
                    transfer.run(record.direction).await
                }
                Err(e) => Err(e),
            }
        };
        let outcome = tokio::select! {
            outcome = super::panic::contain_panic(work) => outcome,
            () = self.inner.stopping.cancelled() => {
                tracing::info!(job = %id, "server stopping: the job resumes at the next start");
                return;
            }
        };
        let snapshot = stats.snapshot();
        self.update(id, |r| {
            r.progress = snapshot.into();
            match &outcome {
                Ok(_) => r.state = JobState::Completed,
                Err(e) if e.is_cancelled() => {
                    r.state = JobState::Cancelled;
                    r.cancelled = true;
                }
                Err(e) => {
                    r.state = JobState::Failed;
                    r.error_num = Some(e.num(record.direction).code());
                    // Whatever the message's source, a record holds a short one.
                    r.error_message = Some(shorten(&e.message, MAX_SHOWN));
                }
            }
        });
        match &outcome {
            Ok(summary) => tracing::info!(job = %id, files = summary.files, "job completed"),
            Err(e) => {
                // The log has the chain of causes; the status, the message.
                let e: &(dyn std::error::Error + 'static) = e;
                tracing::warn!(job = %id, error = e, "job ended without completing");
            }
        }
    }

    /// Changes a record and saves it.
    fn update(&self, id: &str, change: impl FnOnce(&mut JobRecord)) {
        let mut jobs = self.jobs();
        let Some(job) = jobs.get_mut(id) else { return };
        change(&mut job.record);
        job.record.updated = now_string();
        if let Err(e) = job.record.save(&self.inner.dir) {
            tracing::error!(job = %id, error = %e, "could not save the job record");
        }
    }

    /// The status object of job `id`, upload or download (one id space, as ArangoDB's
    /// clients assume); `None` if there is none.
    pub fn status(&self, id: &str) -> Option<Value> {
        let jobs = self.jobs();
        let job = jobs.get(id)?;
        let live = (!job.record.state.is_finished()).then(|| job.stats.snapshot());
        Some(job.record.status(live))
    }

    /// Aborts job `id`: marks it cancelled at once and stops its work; its status object.
    pub fn abort(&self, id: &str) -> Option<Value> {
        {
            let jobs = self.jobs();
            let job = jobs.get(id)?;
            if job.record.state.is_finished() {
                return Some(job.record.status(None));
            }
            job.cancel.cancel();
        }
        self.update(id, |r| r.cancelled = true);
        self.status(id)
    }

    /// Counts of jobs by state, for metrics.
    pub fn counts(&self) -> HashMap<&'static str, u64> {
        let mut out = HashMap::new();
        for job in self.jobs().values() {
            *out.entry(job.record.state.label()).or_default() += 1;
        }
        out
    }

    /// Stops taking work and waits until running jobs have stopped (they resume at the next
    /// start). Used at shutdown.
    pub async fn shutdown(&self) {
        self.inner.stopping.cancel();
        self.inner.tracker.close();
        self.inner.tracker.wait().await;
    }
}
