//! A coordinator's upload and download jobs on disk: `<state-dir>/cluster-jobs/<id>.json`.
//!
//! A record is written before its job id is answered and again when the job finishes, so
//! that a restarted coordinator answers for its jobs as before and drives the unfinished
//! ones to their end ([`super::transfer`]). It holds which job of which DB server moves
//! which piece, never a repository config or a credential: the DB servers' own job records
//! hold what they need to run and to resume.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::jobs::{Direction, JobState, now_string};
use crate::{Error, Result};

/// First job id of a fresh coordinator.
const FIRST_ID: u64 = 10_000;

/// One DB server's part of a cluster job.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PieceJob {
    /// The DB server's place in the coordinator's `--dbserver` list.
    pub server: usize,
    /// Its `PRMR-…` id, the `DBServers` key.
    pub db_server: String,
    /// The piece it moves (its own id, or another's when ids differ: sorted order).
    pub piece: String,
    /// The job id on that DB server.
    pub job: String,
}

/// A coordinator's job.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterJob {
    pub id: String,
    pub direction: Direction,
    pub backup_id: String,
    pub created: String,
    pub cancelled: bool,
    pub pieces: Vec<PieceJob>,
    /// `STARTED` until every piece has finished (and, for an upload, the backup's own
    /// `META` is written); then `COMPLETED`, `FAILED` or `CANCELLED`.
    pub state: JobState,
    /// An upload's `META` of the whole backup, written beside the pieces once all are in.
    pub overview: Option<Value>,
    /// Once finished: each DB server's entry as it was last seen, the `DBServers` map.
    pub entries: Option<Map<String, Value>>,
}

/// The jobs of one coordinator.
#[derive(Debug)]
pub struct ClusterJobs {
    dir: PathBuf,
    jobs: Mutex<(HashMap<String, ClusterJob>, u64)>,
}

impl ClusterJobs {
    /// Reads the records under `<state_dir>/cluster-jobs`.
    pub fn open(state_dir: &Path) -> Result<Self> {
        let dir = state_dir.join("cluster-jobs");
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let (mut jobs, mut next) = (HashMap::new(), FIRST_ID);
        for entry in std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))? {
            let path = entry.map_err(|e| Error::io(&dir, e))?.path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            match std::fs::read(&path).map(|b| serde_json::from_slice::<ClusterJob>(&b)) {
                Ok(Ok(job)) => {
                    next = next.max(job.id.parse::<u64>().unwrap_or(0) + 1);
                    jobs.insert(job.id.clone(), job);
                }
                _ => {
                    tracing::warn!(path = %path.display(), "unreadable cluster job record skipped")
                }
            }
        }
        Ok(ClusterJobs {
            dir,
            jobs: Mutex::new((jobs, next)),
        })
    }

    fn table(&self) -> std::sync::MutexGuard<'_, (HashMap<String, ClusterJob>, u64)> {
        self.jobs.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn save(&self, job: &ClusterJob) -> Result<()> {
        let data = serde_json::to_vec_pretty(job).map_err(|e| Error::Other(e.to_string()))?;
        crate::durable::write_private(&self.dir, &format!("{}.json", job.id), &data)
    }

    /// Records a new job of `pieces` (an upload's with the `META` of the whole backup); its
    /// id.
    pub fn record(
        &self,
        direction: Direction,
        backup_id: &str,
        pieces: Vec<PieceJob>,
        overview: Option<Value>,
    ) -> Result<String> {
        let mut table = self.table();
        let id = table.1.to_string();
        table.1 += 1;
        let job = ClusterJob {
            id: id.clone(),
            direction,
            backup_id: backup_id.to_owned(),
            created: now_string(),
            cancelled: false,
            pieces,
            state: JobState::Started,
            overview,
            entries: None,
        };
        self.save(&job)?;
        table.0.insert(id.clone(), job);
        Ok(id)
    }

    pub fn get(&self, id: &str) -> Option<ClusterJob> {
        self.table().0.get(id).cloned()
    }

    /// The ids of the jobs not finished yet.
    pub fn unfinished(&self) -> Vec<String> {
        let table = self.table();
        let mut ids: Vec<String> = (table.0.values())
            .filter(|j| !j.state.is_finished())
            .map(|j| j.id.clone())
            .collect();
        ids.sort();
        ids
    }

    /// Changes job `id`'s record and saves it (a failed save is logged: the job goes on,
    /// and a restart drives it again from the last record that was saved).
    pub fn update(&self, id: &str, change: impl FnOnce(&mut ClusterJob)) {
        let mut table = self.table();
        let Some(job) = table.0.get_mut(id) else {
            return;
        };
        change(job);
        let job = job.clone();
        if let Err(e) = self.save(&job) {
            tracing::error!(job = %id, error = %e, "could not save the cluster job record");
        }
    }
}
