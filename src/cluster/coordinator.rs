//! A coordinator's answers to the Hot Backup API: every operation fanned out to the DB
//! servers and their answers merged (spec `hot-backup-cluster.md`).
//!
//! list, delete and restore use the DB servers' own public routes; create uses the
//! internal ones ([`super::internal`], [`super::create`]).

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::aggregate;
use super::client::{Answer, Credentials, DbServers, Unreachable};
use super::jobs::ClusterJobs;
use super::transfer;
use crate::ErrorNum;
use crate::backup::{BackupError, BackupId};
use crate::error_table::Operation;
use crate::jobs::Direction;
use crate::server::AppState;
use crate::server::envelope::{ApiError, Body, success};

/// Longest wait for a DB server's answer to a short request (list, delete, lock, unlock).
pub(super) const SHORT: Duration = Duration::from_secs(60);

/// Longest wait for a DB server's answer to a long one (create, restore).
pub(super) const LONG: Duration = Duration::from_secs(6 * 3600);

/// What a coordinator knows: its DB servers and its transfer jobs.
#[derive(Debug)]
pub struct Coordinator {
    pub servers: DbServers,
    pub jobs: ClusterJobs,
    /// What it sends when it acts on its own ([`Credentials::own`]).
    pub own: Credentials,
    /// Held while a job is taken a step on ([`transfer`]), so that it ends once.
    pub advancing: tokio::sync::Mutex<()>,
}

/// 7012: a DB server that stayed unreachable.
pub(super) fn unreachable(e: &Unreachable) -> ApiError {
    ApiError::new(
        ErrorNum::DbServersUnreachable,
        format!("hot backup not all db servers reachable: {e}"),
    )
}

/// A DB server's error answer, passed on with its number and status.
pub(super) fn passed_on(servers: &DbServers, server: usize, answer: &Answer) -> ApiError {
    let num = ErrorNum::from_code(answer.error_num()).unwrap_or(ErrorNum::HotBackupInternal);
    let message = format!(
        "DB server {}: {}",
        servers.url(server),
        answer.error_message()
    );
    ApiError::new(num, message).with_status(answer.status)
}

/// The successful answers of every server, or the first failure.
pub(super) fn all_ok(
    servers: &DbServers,
    answers: Vec<Result<Answer, Unreachable>>,
) -> Result<Vec<Answer>, ApiError> {
    let mut out = Vec::with_capacity(answers.len());
    for (i, answer) in answers.into_iter().enumerate() {
        let answer = answer.map_err(|e| unreachable(&e))?;
        if !answer.is_success() {
            return Err(passed_on(servers, i, &answer));
        }
        out.push(answer);
    }
    Ok(out)
}

/// The hot backup operations on a coordinator.
pub async fn dispatch(
    state: Arc<AppState>,
    operation: &str,
    body: Body,
    credentials: Credentials,
) -> Result<Response, ApiError> {
    let Some(coordinator) = state.cluster.coordinator.clone() else {
        return Err(ApiError::new(
            ErrorNum::HotBackupInternal,
            "not a coordinator",
        ));
    };
    let servers = &coordinator.servers;
    match operation {
        "create" => super::create::create(servers, &body, &credentials).await,
        "list" => list(servers, &body, &credentials).await,
        "delete" => delete(servers, &body, &credentials).await,
        "restore" => restore(servers, &body, &credentials).await,
        "upload" => transfer(&coordinator, &body, Direction::Upload, &credentials).await,
        "download" => transfer(&coordinator, &body, Direction::Download, &credentials).await,
        other => Err(ApiError::new(
            ErrorNum::HttpBadParameter,
            format!(
                "unknown hot backup operation {other:?}: expecting create, list, delete, restore, upload or download"
            ),
        )),
    }
}

fn backup_id(raw: &str, operation: Operation) -> Result<BackupId, ApiError> {
    BackupId::parse(raw).map_err(|e| ApiError::from_backup(e, operation))
}

/// The cluster's list: every DB server's, merged.
pub(super) async fn merged_list(
    servers: &DbServers,
    credentials: &Credentials,
) -> Result<Map<String, Value>, ApiError> {
    let answers = servers
        .post_all("/_admin/backup/list", &json!({}), credentials, SHORT)
        .await;
    let lists: Vec<Map<String, Value>> = all_ok(servers, answers)?
        .iter()
        .map(|a| a.result()["list"].as_object().cloned().unwrap_or_default())
        .collect();
    Ok(aggregate::merge(&lists, servers.len()))
}

async fn list(
    servers: &DbServers,
    body: &Body,
    credentials: &Credentials,
) -> Result<Response, ApiError> {
    let only = match body.string("id")? {
        Some(raw) => Some(backup_id(raw, Operation::List)?),
        None => None,
    };
    let mut list = merged_list(servers, credentials).await?;
    if let Some(id) = only {
        list.retain(|k, _| k == id.as_str());
        if list.is_empty() {
            let missing = BackupError::NotFound(id.to_string());
            return Err(ApiError::from_backup(missing, Operation::List));
        }
    }
    Ok(success(StatusCode::OK, json!({ "list": list })))
}

async fn delete(
    servers: &DbServers,
    body: &Body,
    credentials: &Credentials,
) -> Result<Response, ApiError> {
    let id = backup_id(body.required_string("id")?, Operation::Delete)?;
    let request = json!({ "id": id });
    let answers = servers
        .post_all("/_admin/backup/delete", &request, credentials, SHORT)
        .await;
    let mut deleted = 0;
    let mut failure = None;
    for (i, answer) in answers.into_iter().enumerate() {
        match answer {
            Ok(a) if a.is_success() => deleted += 1,
            Ok(a) if a.status == 404 => {}
            Ok(a) => failure = failure.or(Some(passed_on(servers, i, &a))),
            Err(e) => failure = failure.or(Some(unreachable(&e))),
        }
    }
    if let Some(e) = failure {
        return Err(e);
    }
    if deleted == 0 {
        let missing = BackupError::NotFound(id.to_string());
        return Err(ApiError::from_backup(missing, Operation::Delete));
    }
    Ok(success(StatusCode::OK, json!({ "id": [id] })))
}

async fn restore(
    servers: &DbServers,
    body: &Body,
    credentials: &Credentials,
) -> Result<Response, ApiError> {
    let id = backup_id(body.required_string("id")?, Operation::Restore)?;
    let ignore_version = body.bool("ignoreVersion")?.unwrap_or(false);
    let list = merged_list(servers, credentials).await?;
    let Some(backup) = list.get(id.as_str()) else {
        let missing = BackupError::NotFound(id.to_string());
        return Err(ApiError::from_backup(missing, Operation::Restore));
    };
    let pieces = backup["nrDBServers"].as_u64().unwrap_or(1);
    if pieces > servers.len() as u64 {
        return Err(ApiError::new(
            ErrorNum::TopologyMismatch,
            format!(
                "number of db servers in the backup ({pieces}) and in this cluster ({}) do not match",
                servers.len()
            ),
        ));
    }
    if backup["available"] != Value::Bool(true) {
        return Err(ApiError::new(
            ErrorNum::HotRestoreInternal,
            format!(
                "backup not available for restore: {id} has {} of its pieces",
                backup["nrPiecesPresent"]
            ),
        ));
    }
    let request = json!({ "id": id, "ignoreVersion": ignore_version });
    let answers = servers
        .post_all("/_admin/backup/restore", &request, credentials, LONG)
        .await;
    let answers = all_ok(servers, answers)?;
    let previous = answers
        .first()
        .map(|a| a.result()["previous"].clone())
        .unwrap_or(Value::Null);
    Ok(success(
        StatusCode::OK,
        json!({ "previous": previous, "isCluster": true }),
    ))
}

/// upload / download: a new job, or the status or abort of one (one id space, as on a
/// single server).
async fn transfer(
    coordinator: &Arc<Coordinator>,
    body: &Body,
    direction: Direction,
    credentials: &Credentials,
) -> Result<Response, ApiError> {
    let id_name = match direction {
        Direction::Upload => "uploadId",
        Direction::Download => "downloadId",
    };
    if let Some(key) = [id_name, "uploadId", "downloadId"]
        .into_iter()
        .find(|k| body.has(k))
    {
        let job = body.required_string(key)?;
        let unknown = || ApiError::new(ErrorNum::HttpNotFound, format!("no such {key}: {job}"));
        if body.bool("abort")?.unwrap_or(false) {
            let status = transfer::abort(coordinator, job, credentials).await;
            return Ok(success(StatusCode::ACCEPTED, status.ok_or_else(unknown)?));
        }
        let status = transfer::status(coordinator, job, credentials).await;
        return Ok(success(StatusCode::OK, status.ok_or_else(unknown)?));
    }
    let id = backup_id(body.required_string("id")?, Operation::StartTransfer)?;
    let repository = body.required_string("remoteRepository")?;
    // Passed on as sent: a section name is one of the DB servers' own (`--config`).
    let config = match body.string("config") {
        Ok(Some(name)) => Value::from(name),
        _ => body
            .object("config")?
            .cloned()
            .ok_or_else(|| ApiError::bad_parameter("attribute \"config\" is required"))?,
    };
    let request = (id.as_str(), repository, &config);
    let job = transfer::start(coordinator, direction, request, credentials).await?;
    Ok(success(StatusCode::ACCEPTED, json!({ id_name: job })))
}
