//! upload and download through a coordinator: one job id for the cluster, one transfer per
//! DB server (spec `hot-backup-cluster.md`, "upload / download"; docs/cluster.md).
//!
//! The coordinator starts each DB server's piece as a job of that server (the internal
//! `transfer` route) and records which ([`super::jobs`]). It moves no data itself. A status
//! asks every DB server for its piece's status, live: one `DBServers` entry per server,
//! keyed by its `PRMR-…` id; a server that cannot be reached shows `FAILED` with errorNum
//! 7012 for as long as it cannot (its job resumes from its journal when it comes back).
//!
//! A job ends when every piece has ended ([`advance`], run by each status request and by a
//! task of the coordinator's own, which also picks unfinished jobs up after a restart):
//! one piece `FAILED` (as its DB server reports it) and the others are aborted, the job is
//! `FAILED`; every piece `COMPLETED` and, for an upload, the coordinator has the `META` of
//! the whole backup written at `<repository>/<id>/META` — last, so that a repository never
//! holds a cluster backup that looks complete with a piece missing. No entry reads
//! `COMPLETED` for all servers before that `META` is there.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::INTERNAL_PREFIX;
use super::client::{Answer, Credentials, DbServers, Unreachable};
use super::coordinator::{Coordinator, SHORT, all_ok, merged_list, passed_on, unreachable};
use super::jobs::{ClusterJob, PieceJob};
use crate::ErrorNum;
use crate::backup::BackupError;
use crate::error_table::Operation;
use crate::jobs::{Direction, JobState};
use crate::server::envelope::ApiError;

/// How long a status request tries a DB server it cannot connect to.
const STATUS_REACH: Duration = Duration::from_secs(2);

/// How often the coordinator's own task looks at an unfinished job.
const POLL: Duration = Duration::from_millis(500);

fn internal(op: &str) -> String {
    format!("{INTERNAL_PREFIX}/{op}")
}

fn path(direction: Direction) -> &'static str {
    match direction {
        Direction::Upload => "/_admin/backup/upload",
        Direction::Download => "/_admin/backup/download",
    }
}

/// Every DB server's `PRMR-…` id, in server order.
async fn db_server_ids(
    servers: &DbServers,
    credentials: &Credentials,
) -> Result<Vec<String>, ApiError> {
    let answers = servers
        .post_all(&internal("id"), &json!({}), credentials, SHORT)
        .await;
    Ok(all_ok(servers, answers)?
        .iter()
        .map(|a| a.result()["id"].as_str().unwrap_or_default().to_owned())
        .collect())
}

/// Which piece each server downloads: its own when the backup has one of that id, else
/// the pieces in sorted order onto the servers in sorted order of their ids (ArangoDB's).
pub fn match_pieces(ids: &[String], mut pieces: Vec<String>) -> Result<Vec<String>, ApiError> {
    if pieces.len() != ids.len() {
        return Err(ApiError::new(
            ErrorNum::TopologyMismatch,
            format!(
                "number of db servers in the backup ({}) and in this cluster ({}) do not match",
                pieces.len(),
                ids.len()
            ),
        ));
    }
    if ids.iter().all(|id| pieces.contains(id)) {
        return Ok(ids.to_vec());
    }
    pieces.sort();
    let mut order: Vec<usize> = (0..ids.len()).collect();
    order.sort_by(|a, b| ids[*a].cmp(&ids[*b]));
    let mut matched = vec![String::new(); ids.len()];
    for (server, piece) in order.into_iter().zip(pieces) {
        matched[server] = piece;
    }
    Ok(matched)
}

/// An upload's `META` of the whole backup: the merged list entry of `id`, which must be
/// available (every piece present), with the pieces' names.
async fn overview(
    servers: &DbServers,
    id: &str,
    ids: &[String],
    credentials: &Credentials,
) -> Result<Value, ApiError> {
    let list = merged_list(servers, credentials).await?;
    let Some(entry) = list.get(id) else {
        let missing = BackupError::NotFound(id.to_owned());
        return Err(ApiError::from_backup(missing, Operation::StartTransfer));
    };
    if entry["available"] != Value::Bool(true) {
        return Err(ApiError::new(
            ErrorNum::NoSuchHotBackup,
            format!(
                "backup {id} is not available for upload: {} of its {} pieces are present",
                entry["nrPiecesPresent"], entry["nrDBServers"]
            ),
        ));
    }
    let mut meta = entry.clone();
    // Its counts are the pieces' sums, not of files beside it.
    meta["countIncludesFilesOnly"] = Value::Bool(false);
    meta["pieces"] = json!(ids);
    Ok(meta)
}

/// The pieces of cluster backup `id` in the repository, from its `META` (DB server 0 reads it).
async fn pieces_in_repository(
    servers: &DbServers,
    request: &Value,
    credentials: &Credentials,
) -> Result<Vec<String>, ApiError> {
    let answer = (servers
        .post(0, &internal("pieces"), request, credentials, SHORT)
        .await)
        .map_err(|e| unreachable(&e))?;
    if !answer.is_success() {
        return Err(passed_on(servers, 0, &answer));
    }
    Ok((answer.result()["pieces"].as_array().cloned())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|p| p.as_str().map(str::to_owned))
        .collect())
}

/// Starts an upload or download of backup `id` on every DB server; the job id.
pub async fn start(
    coordinator: &Arc<Coordinator>,
    direction: Direction,
    (id, repository, config): (&str, &str, &Value),
    credentials: &Credentials,
) -> Result<String, ApiError> {
    let servers = &coordinator.servers;
    let ids = db_server_ids(servers, credentials).await?;
    let (pieces, overview) = match direction {
        Direction::Upload => (
            ids.clone(),
            Some(overview(servers, id, &ids, credentials).await?),
        ),
        Direction::Download => {
            let request = json!({"id": id, "remoteRepository": repository, "config": config});
            let found = pieces_in_repository(servers, &request, credentials).await?;
            (match_pieces(&ids, found)?, None)
        }
    };
    let direction_name = match direction {
        Direction::Upload => "upload",
        Direction::Download => "download",
    };
    let calls = pieces.iter().enumerate().map(|(i, piece)| {
        let body = json!({"direction": direction_name, "id": id, "remoteRepository": repository,
            "config": config, "piece": piece});
        async move {
            servers
                .post(i, &internal("transfer"), &body, credentials, SHORT)
                .await
        }
    });
    let answers = futures::future::join_all(calls).await;
    let started: Vec<Option<String>> = (answers.iter())
        .map(|a| match a {
            Ok(a) if a.is_success() => a.result()["jobId"].as_str().map(str::to_owned),
            _ => None,
        })
        .collect();
    if let Err(e) = all_ok(servers, answers) {
        // Nothing half-started stays running.
        for (i, job) in started.iter().enumerate() {
            if let Some(job) = job {
                let body = json!({"uploadId": job, "abort": true});
                let _ = servers
                    .post(i, path(direction), &body, credentials, SHORT)
                    .await;
            }
        }
        return Err(e);
    }
    let pieces = (started.into_iter().zip(ids).zip(pieces).enumerate())
        .map(|(server, ((job, db_server), piece))| PieceJob {
            server,
            db_server,
            piece,
            job: job.unwrap_or_default(),
        })
        .collect();
    let job = (coordinator.jobs)
        .record(direction, id, pieces, overview)
        .map_err(|e| ApiError::new(ErrorNum::HotBackupInternal, e.to_string()))?;
    tokio::spawn(drive(coordinator.clone(), job.clone()));
    Ok(job)
}

/// One piece's status as its DB server tells it, or why it could not.
struct Seen {
    entry: Value,
    /// The DB server answered (an unreachable one's `FAILED` is not final).
    reached: bool,
}

fn failed(num: i64, message: String) -> Value {
    json!({"Status": "FAILED", "Error": num, "ErrorMessage": message})
}

fn seen(answer: Result<Answer, Unreachable>) -> Seen {
    match answer {
        Ok(a) if a.is_success() => Seen {
            entry: a.result()["DBServers"]["SNGL"].clone(),
            reached: true,
        },
        Ok(a) => Seen {
            entry: failed(a.error_num(), a.error_message()),
            reached: true,
        },
        Err(e) => Seen {
            entry: failed(ErrorNum::DbServersUnreachable.code(), e.to_string()),
            reached: false,
        },
    }
}

/// Every piece's status, asked of its DB server (with `abort`, aborting the piece).
async fn look(
    job: &ClusterJob,
    servers: &DbServers,
    credentials: &Credentials,
    abort: bool,
) -> Vec<Seen> {
    let calls = job.pieces.iter().map(|p| {
        let mut body = json!({ "uploadId": p.job });
        if abort {
            body["abort"] = Value::Bool(true);
        }
        let limits = (SHORT, STATUS_REACH);
        async move {
            let answer = servers
                .post_within(p.server, path(job.direction), &body, credentials, limits)
                .await;
            seen(answer)
        }
    });
    futures::future::join_all(calls).await
}

fn state_of(seen: &Seen) -> &str {
    seen.entry["Status"].as_str().unwrap_or_default()
}

fn is_final(seen: &Seen) -> bool {
    seen.reached && matches!(state_of(seen), "COMPLETED" | "FAILED" | "CANCELLED")
}

/// Takes job `id` a step on from what was `seen`: ends it once every piece has ended
/// (writing an upload's `META` of the whole backup first), aborts the other pieces once
/// one has failed. The `DBServers` entries to show.
async fn advance(
    coordinator: &Coordinator,
    id: &str,
    mut seen: Vec<Seen>,
    credentials: &Credentials,
) -> Map<String, Value> {
    // One at a time: the task and a status request may both see the end.
    let _turn = coordinator.advancing.lock().await;
    let Some(job) = coordinator.jobs.get(id) else {
        return Map::new();
    };
    if let Some(entries) = job.entries.clone().filter(|_| job.state.is_finished()) {
        return entries;
    }
    let any_failed = seen.iter().any(|s| s.reached && state_of(s) == "FAILED");
    if any_failed {
        let running: Vec<&PieceJob> = (job.pieces.iter().zip(&seen))
            .filter(|(_, s)| !is_final(s))
            .map(|(p, _)| p)
            .collect();
        for piece in running {
            let body = json!({"uploadId": piece.job, "abort": true});
            let servers = &coordinator.servers;
            let limits = (SHORT, STATUS_REACH);
            let _ = (servers)
                .post_within(
                    piece.server,
                    path(job.direction),
                    &body,
                    credentials,
                    limits,
                )
                .await;
        }
    }
    let mut state = None;
    if seen.iter().all(is_final) {
        let all_completed = seen.iter().all(|s| state_of(s) == "COMPLETED");
        state = Some(match (all_completed, job.cancelled, any_failed) {
            (true, false, _) => match seal(coordinator, &job, credentials).await {
                Ok(()) => JobState::Completed,
                Err(Some(entry)) => {
                    seen[0].entry = entry;
                    JobState::Failed
                }
                // DB server 0 could not be reached: the next look tries again.
                Err(None) => JobState::Started,
            },
            (_, _, true) => JobState::Failed,
            _ => JobState::Cancelled,
        })
        .filter(|s| s.is_finished());
    }
    let entries: Map<String, Value> = (job.pieces.iter().zip(seen))
        .map(|(p, s)| (p.db_server.clone(), s.entry))
        .collect();
    if let Some(state) = state {
        tracing::info!(job = %id, state = state.label(), "cluster job finished");
        let kept = entries.clone();
        coordinator.jobs.update(id, |j| {
            j.state = state;
            j.entries = Some(kept);
        });
    }
    entries
}

/// Writes an upload's `META` of the whole backup through the DB server of the first piece,
/// from its job's repository. `Err(None)`: that server cannot be reached now; `Err(entry)`:
/// it refused, the entry to show.
async fn seal(
    coordinator: &Coordinator,
    job: &ClusterJob,
    credentials: &Credentials,
) -> Result<(), Option<Value>> {
    let (Some(meta), Some(first)) = (&job.overview, job.pieces.first()) else {
        return Ok(());
    };
    let body = json!({"jobId": first.job, "meta": meta});
    let limits = (SHORT, STATUS_REACH);
    let answer = (coordinator.servers)
        .post_within(first.server, &internal("seal"), &body, credentials, limits)
        .await;
    match answer {
        Ok(a) if a.is_success() => Ok(()),
        Ok(a) => Err(Some(failed(
            a.error_num(),
            format!("the backup's META: {}", a.error_message()),
        ))),
        Err(_) => Err(None),
    }
}

/// The status object of a cluster job with these entries.
fn render(job: &ClusterJob, entries: Map<String, Value>) -> Value {
    let id_key = match job.direction {
        Direction::Upload => "UploadId",
        Direction::Download => "DownloadId",
    };
    json!({
        "Timestamp": job.created, id_key: job.id, "Cancelled": job.cancelled,
        "BackupId": job.backup_id, "DBServers": entries,
    })
}

/// The status object of cluster job `id`, or `None` for no such job.
pub async fn status(
    coordinator: &Coordinator,
    id: &str,
    credentials: &Credentials,
) -> Option<Value> {
    let job = coordinator.jobs.get(id)?;
    if let Some(entries) = job.entries.clone().filter(|_| job.state.is_finished()) {
        return Some(render(&job, entries));
    }
    let seen = look(&job, &coordinator.servers, credentials, false).await;
    let entries = advance(coordinator, id, seen, credentials).await;
    Some(render(&coordinator.jobs.get(id)?, entries))
}

/// Aborts cluster job `id` on every DB server; its status, or `None` for no such job.
pub async fn abort(
    coordinator: &Coordinator,
    id: &str,
    credentials: &Credentials,
) -> Option<Value> {
    let job = coordinator.jobs.get(id)?;
    if job.state.is_finished() {
        return status(coordinator, id, credentials).await;
    }
    coordinator.jobs.update(id, |j| j.cancelled = true);
    let job = coordinator.jobs.get(id)?;
    let seen = look(&job, &coordinator.servers, credentials, true).await;
    let entries = advance(coordinator, id, seen, credentials).await;
    Some(render(&coordinator.jobs.get(id)?, entries))
}

/// The coordinator's own task for job `id`: looks at it every [`POLL`] until it has ended,
/// so that it ends (and an upload's `META` is written) with no client asking.
pub async fn drive(coordinator: Arc<Coordinator>, id: String) {
    loop {
        tokio::time::sleep(POLL).await;
        let Some(job) = coordinator.jobs.get(&id) else {
            return;
        };
        if job.state.is_finished() {
            return;
        }
        let credentials = &coordinator.own;
        let seen = look(&job, &coordinator.servers, credentials, false).await;
        advance(&coordinator, &id, seen, credentials).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn pieces_go_by_id_then_by_sorted_order() {
        let ids = names(&["PRMR-b", "PRMR-a"]);
        let same = match_pieces(&ids, names(&["PRMR-a", "PRMR-b"])).ok();
        assert_eq!(same, Some(names(&["PRMR-b", "PRMR-a"])));
        // Other ids: the smallest piece to the server with the smallest id.
        let other = match_pieces(&ids, names(&["PRMR-y", "PRMR-x"])).ok();
        assert_eq!(other, Some(names(&["PRMR-y", "PRMR-x"])));
        let few = match_pieces(&ids, names(&["PRMR-x", "PRMR-y", "PRMR-z"]));
        assert!(matches!(few, Err(e) if e.num == ErrorNum::TopologyMismatch));
    }
}
