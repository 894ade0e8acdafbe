//! A job as stored on disk, and the status object the API shows for it
//! (docs/hot-backup-api.md §5).

use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Direction;
use crate::engine::Snapshot;
use crate::{Error, Result};

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobState {
    Ack,
    Started,
    Completed,
    Failed,
    Cancelled,
}

impl JobState {
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            JobState::Completed | JobState::Failed | JobState::Cancelled
        )
    }

    pub fn label(self) -> &'static str {
        match self {
            JobState::Ack => "ACK",
            JobState::Started => "STARTED",
            JobState::Completed => "COMPLETED",
            JobState::Failed => "FAILED",
            JobState::Cancelled => "CANCELLED",
        }
    }
}

/// Progress as last recorded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Recorded {
    pub files_total: u64,
    pub files_done: u64,
    pub bytes_total: u64,
    pub bytes_done: u64,
    pub bytes_per_second: f64,
}

impl From<Snapshot> for Recorded {
    fn from(s: Snapshot) -> Self {
        Recorded {
            files_total: s.files_total,
            files_done: s.files_done,
            bytes_total: s.bytes_total,
            bytes_done: s.bytes_done,
            bytes_per_second: s.bytes_per_second,
        }
    }
}

/// Everything needed to show a job and to run it again after a restart. It holds the
/// repository config, credentials included: the file is created mode 0600 and the config
/// never appears in `Debug` or in a status object.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobRecord {
    pub id: String,
    pub direction: Direction,
    pub backup_id: String,
    pub repository: String,
    /// A DB server's piece of a cluster backup: its subtree `<repository>/<id>/<piece>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub piece: Option<String>,
    pub config: Value,
    /// Creation time, `2026-08-04T15:27:52Z`.
    pub created: String,
    pub state: JobState,
    pub cancelled: bool,
    /// Time of the last progress or state change.
    pub updated: String,
    #[serde(default)]
    pub progress: Recorded,
    pub error_num: Option<i64>,
    pub error_message: Option<String>,
}

impl fmt::Debug for JobRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JobRecord")
            .field("id", &self.id)
            .field("direction", &self.direction)
            .field("backup_id", &self.backup_id)
            .field("repository", &self.repository)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

/// Now, as ArangoDB writes times: UTC, seconds, `Z`.
pub fn now_string() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl JobRecord {
    /// The status object of docs/hot-backup-api.md §5, with Ferry's byte counts added.
    pub fn status(&self, live: Option<Snapshot>) -> Value {
        let p = live.map(Recorded::from).unwrap_or(self.progress);
        let id_key = match self.direction {
            Direction::Upload => "UploadId",
            Direction::Download => "DownloadId",
        };
        let time = if live.is_some() {
            now_string()
        } else {
            self.updated.clone()
        };
        // ArangoDB's tools read `Progress.Time`, both Go drivers `Progress.Timestamp`.
        let mut server = json!({
            "Status": self.state.label(),
            "Progress": {
                "Total": p.files_total, "Done": p.files_done,
                "Time": time, "Timestamp": time,
                "TotalBytes": p.bytes_total, "DoneBytes": p.bytes_done,
                "BytesPerSecond": p.bytes_per_second.round() as u64,
            },
        });
        if let (Some(num), Some(message)) = (self.error_num, &self.error_message) {
            server["Error"] = json!(num);
            server["ErrorMessage"] = json!(message);
        }
        // Keys stay in this order: serde_json keeps insertion order (feature preserve_order).
        json!({
            "Timestamp": self.created,
            id_key: self.id,
            "Cancelled": self.cancelled,
            "BackupId": self.backup_id,
            "DBServers": { "SNGL": server },
        })
    }

    /// Writes the record atomically (temp file, fsync, rename), readable by the owner only.
    pub fn save(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let data = serde_json::to_vec_pretty(self).map_err(|e| Error::Other(e.to_string()))?;
        crate::durable::write_private(dir, &format!("{}.json", self.id), &data)
    }
}
