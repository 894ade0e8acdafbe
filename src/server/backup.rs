//! `POST /_admin/backup/<operation>`: the six operations of the Hot Backup API.

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::AppState;
use super::envelope::{ApiError, Body, success};
use crate::ErrorNum;
use crate::backup::{BackupError, BackupId, RestoreOptions};
use crate::error_table::{Operation, error_num};
use crate::jobs::Direction;

/// Runs blocking backup-directory work of `operation` off the async threads.
async fn blocking<T: Send + 'static>(
    operation: Operation,
    f: impl FnOnce() -> Result<T, BackupError> + Send + 'static,
) -> Result<T, ApiError> {
    crate::blocking::blocking(move || f().map_err(|e| ApiError::from_backup(e, operation))).await
}

impl From<crate::blocking::TaskFailed> for ApiError {
    fn from(e: crate::blocking::TaskFailed) -> Self {
        ApiError::new(ErrorNum::HotBackupInternal, e.to_string())
    }
}

/// The id of a request to `operation`; one that cannot be a backup id names no backup.
fn backup_id(body: &Body, operation: Operation) -> Result<BackupId, ApiError> {
    let raw = body.required_string("id")?;
    BackupId::parse(raw).map_err(|e| ApiError::from_backup(e, operation))
}

pub async fn dispatch(
    state: Arc<AppState>,
    operation: &str,
    body: Body,
) -> Result<Response, ApiError> {
    match operation {
        "create" => create(state, body).await,
        "list" => list(state, body).await,
        "delete" => delete(state, body).await,
        "restore" => restore(state, body).await,
        "upload" => transfer(state, body, Direction::Upload),
        "download" => transfer(state, body, Direction::Download),
        // Ferry's: what a remote repository holds (docs/hot-backup-api.md §8).
        "repository" => super::repository::list(state, body).await,
        other => Err(ApiError::new(
            ErrorNum::HttpBadParameter,
            format!(
                "unknown hot backup operation {other:?}: expecting create, list, delete, restore, upload or download"
            ),
        )),
    }
}

async fn create(state: Arc<AppState>, body: Body) -> Result<Response, ApiError> {
    let label = body.string("label")?.map(str::to_owned);
    let mut options = state.create_options.clone();
    if let Some(t) = body.number("timeout")? {
        options.timeout = Duration::from_secs_f64(t.min(86_400.0));
    }
    options.allow_inconsistent = body.bool("allowInconsistent")?.unwrap_or(false);
    // A single server has no transactions to abort: `force` is accepted and ignored.
    body.bool("force")?;
    let (backups, data_dir) = (state.backups.clone(), state.data_dir.clone());
    let meta = blocking(Operation::Create, move || {
        backups.create(&data_dir, label.as_deref(), &options)
    })
    .await?;
    Ok(success(
        StatusCode::CREATED,
        json!({
            "id": meta.id, "potentiallyInconsistent": meta.potentially_inconsistent,
            "sizeInBytes": meta.size_in_bytes, "datetime": meta.datetime,
            "nrDBServers": meta.nr_db_servers, "nrFiles": meta.nr_files,
        }),
    ))
}

async fn list(state: Arc<AppState>, body: Body) -> Result<Response, ApiError> {
    let only = match body.string("id")? {
        Some(raw) => {
            Some(BackupId::parse(raw).map_err(|e| ApiError::from_backup(e, Operation::List))?)
        }
        None => None,
    };
    let backups = state.backups.clone();
    let all = blocking(Operation::List, move || backups.list()).await?;
    let mut list = Map::new();
    for (id, meta) in all {
        if only.as_ref().is_some_and(|o| *o != id) {
            continue;
        }
        let entry = match meta {
            Ok(meta) => serde_json::to_value(&meta).unwrap_or(Value::Null),
            Err(e) => {
                let num = error_num(e.kind(), Operation::List);
                json!({"id": id, "errorNum": num.code(), "errorMessage": e.to_string()})
            }
        };
        list.insert(id.to_string(), entry);
    }
    if let Some(id) = only
        && list.is_empty()
    {
        return Err(ApiError::from_backup(
            BackupError::NotFound(id.to_string()),
            Operation::List,
        ));
    }
    Ok(success(
        StatusCode::OK,
        json!({"server": state.server_id, "list": list}),
    ))
}

async fn delete(state: Arc<AppState>, body: Body) -> Result<Response, ApiError> {
    let id = backup_id(&body, Operation::Delete)?;
    let backups = state.backups.clone();
    blocking(Operation::Delete, move || backups.delete(&id)).await?;
    Ok(success(StatusCode::OK, json!({})))
}

async fn restore(state: Arc<AppState>, body: Body) -> Result<Response, ApiError> {
    let id = backup_id(&body, Operation::Restore)?;
    body.bool("ignoreVersion")?;
    let (backups, data_dir) = (state.backups.clone(), state.data_dir.clone());
    let keep = state.keep_failsafe;
    let options = RestoreOptions {
        immutable: state.create_options.immutable.clone(),
        ..RestoreOptions::default()
    };
    let previous = blocking(Operation::Restore, move || {
        let previous = backups.restore_with(&id, &data_dir, &options)?;
        // The restore is done: failing to remove an old copy fails nothing (it is logged).
        if let Err(e) = crate::backup::failsafe::prune(&data_dir, keep) {
            tracing::warn!(error = %e, "could not look for old failsafe copies");
        }
        Ok(previous)
    })
    .await?;
    // What a single ArangoDB server's restart after a restore is to its clients.
    state.uptime.restarted();
    Ok(success(
        StatusCode::OK,
        json!({"previous": previous, "isCluster": false}),
    ))
}

fn transfer(state: Arc<AppState>, body: Body, direction: Direction) -> Result<Response, ApiError> {
    let id_name = match direction {
        Direction::Upload => "uploadId",
        Direction::Download => "downloadId",
    };
    // One id space: go-driver v1 polls and aborts downloads at `upload` with `uploadId`, v2
    // aborts them there with `downloadId` (docs/clients.md).
    if let Some(key) = [id_name, "uploadId", "downloadId"]
        .into_iter()
        .find(|k| body.has(k))
    {
        let job = body.required_string(key)?;
        let abort = body.bool("abort")?.unwrap_or(false);
        let unknown = || ApiError::new(ErrorNum::HttpNotFound, format!("no such {key}: {job}"));
        return if abort {
            let status = state.jobs.abort(job).ok_or_else(unknown)?;
            Ok(success(StatusCode::ACCEPTED, status))
        } else {
            let status = state.jobs.status(job).ok_or_else(unknown)?;
            Ok(success(StatusCode::OK, status))
        };
    }
    let id = body.required_string("id")?;
    let repository = body.required_string("remoteRepository")?;
    let config = request_config(&state, &body)?;
    let job = state.jobs.start(direction, id, repository, &config)?;
    Ok(success(StatusCode::ACCEPTED, json!({ id_name: job })))
}

/// A request's `config` (`upload`, `download`, `repository`): a string names one of the
/// server's own sections (`ferry serve --config`); a server without any takes only an
/// object, as before.
pub fn request_config(state: &AppState, body: &Body) -> Result<Value, ApiError> {
    let named = (state.jobs.has_named_sections())
        .then(|| body.string("config").ok().flatten().map(Value::from))
        .flatten();
    match named {
        Some(name) => Ok(name),
        None => body
            .object("config")?
            .cloned()
            .ok_or_else(|| ApiError::bad_parameter("attribute \"config\" is required")),
    }
}
