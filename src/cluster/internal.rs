//! The internal routes a coordinator calls on each DB server, `POST /_ferry/cluster/<op>`.
//!
//! They sit behind the same authentication middleware as the Hot Backup API (a request
//! without valid credentials gets 401 / errorNum 11) and answer in ArangoDB's envelopes:
//!
//! - `id`: `{"id": "PRMR-…", "server": "SNGL-…"}`, this DB server's ids.
//! - `lock` `{"window": s, "lease": s}`: takes the data directory's write lock, waiting at
//!   most `window` seconds (408 / 18 otherwise), and keeps it for at most `lease` seconds;
//!   `{"lockId": "…"}`.
//! - `unlock` `{"lockId"}`: releases it (an unknown or expired id is not an error).
//! - `create` `{"id", "lockId" | null, "nrDBServers"}`: snapshots this server's piece of
//!   cluster backup `id` under the lock taken before (`null`: without it, potentially
//!   inconsistent); 201 with the piece's `META`.
//! - `transfer` `{"direction", "id", "remoteRepository", "config", "piece"}`: starts the
//!   upload or download of this server's piece at `<repository>/<id>/<piece>`; 202
//!   `{"jobId"}`, whose status the public API answers.
//! - `pieces` `{"id", "remoteRepository", "config"}`: the pieces of cluster backup `id` in
//!   the repository as its `<repository>/<id>/META` names them; 404 / 7007 when that
//!   `META` (written last) or any piece's own `META` is missing.
//! - `seal` `{"jobId", "meta"}`: writes `meta` as `<repository>/<id>/META`, the `META` of
//!   the whole backup, beside this server's piece, once its upload job `jobId` has
//!   completed; the repository and config are the job's own.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

use crate::ErrorNum;
use crate::backup::{BackupError, BackupId, META_FILE, WriteLock};
use crate::error_table::Operation;
use crate::jobs::Direction;
use crate::server::AppState;
use crate::server::envelope::{ApiError, Body, success};

/// Longest lock lease a coordinator may ask for.
const MAX_LEASE: f64 = 3600.0;

/// The internal routes, to be merged into the server's router (behind its authentication).
pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route(
        &format!("{}/{{operation}}", super::INTERNAL_PREFIX),
        post(endpoint),
    )
}

async fn endpoint(
    State(state): State<Arc<AppState>>,
    Path(operation): Path<String>,
    bytes: Bytes,
) -> Response {
    let result = match Body::parse(&bytes) {
        Ok(body) => match operation.as_str() {
            "id" => Ok(success(
                StatusCode::OK,
                json!({"id": state.cluster.db_server_id, "server": state.server_id}),
            )),
            "lock" => lock(&state, &body).await,
            "unlock" => unlock(&state, &body),
            "create" => create(&state, &body).await,
            "transfer" => transfer(&state, &body),
            "pieces" => pieces(&state, &body).await,
            "seal" => seal(&state, &body).await,
            other => Err(ApiError::new(
                ErrorNum::HttpNotFound,
                format!("unknown cluster operation {other:?}"),
            )),
        },
        Err(e) => Err(e),
    };
    result.unwrap_or_else(IntoResponse::into_response)
}

fn seconds(body: &Body, name: &str) -> Result<Duration, ApiError> {
    let s = body
        .number(name)?
        .ok_or_else(|| ApiError::bad_parameter(format!("attribute \"{name}\" is required")))?;
    Ok(Duration::from_secs_f64(s.min(MAX_LEASE)))
}

async fn lock(state: &Arc<AppState>, body: &Body) -> Result<Response, ApiError> {
    let (window, lease) = (seconds(body, "window")?, seconds(body, "lease")?);
    let data_dir = state.data_dir.clone();
    let guard = crate::blocking::blocking(move || {
        WriteLock::exclusive(&data_dir, window)
            .map_err(|e| ApiError::from_backup(e, Operation::Create))
    })
    .await?
    .ok_or_else(|| {
        ApiError::from_backup(
            BackupError::LockTimeout { timeout: window },
            Operation::Create,
        )
    })?;
    let id = state.cluster.locks.keep(guard, lease);
    Ok(success(StatusCode::OK, json!({ "lockId": id })))
}

fn unlock(state: &AppState, body: &Body) -> Result<Response, ApiError> {
    let id = body.required_string("lockId")?;
    drop(state.cluster.locks.take(id));
    Ok(success(StatusCode::OK, json!({})))
}

async fn create(state: &Arc<AppState>, body: &Body) -> Result<Response, ApiError> {
    let id = BackupId::parse(body.required_string("id")?)
        .map_err(|e| ApiError::from_backup(e, Operation::Create))?;
    let nr = body
        .number("nrDBServers")?
        .filter(|n| n.fract() == 0.0 && *n >= 1.0 && *n <= f64::from(u32::MAX))
        .ok_or_else(|| ApiError::bad_parameter("attribute \"nrDBServers\" must be a count"))?
        as u32;
    let lock = match body.string("lockId")? {
        Some(lock_id) => Some(state.cluster.locks.take(lock_id).ok_or_else(|| {
            ApiError::new(
                ErrorNum::LockTimeout,
                "the write lock taken for this backup is no longer held (lease over)",
            )
        })?),
        None => None,
    };
    let (backups, data_dir) = (state.backups.clone(), state.data_dir.clone());
    let options = state.create_options.clone();
    let meta = crate::blocking::blocking(move || {
        backups
            .create_piece(&data_dir, &id, lock, nr, &options)
            .map_err(|e| ApiError::from_backup(e, Operation::Create))
    })
    .await?;
    let meta = serde_json::to_value(&meta).unwrap_or(Value::Null);
    Ok(success(StatusCode::CREATED, meta))
}

fn transfer(state: &AppState, body: &Body) -> Result<Response, ApiError> {
    let direction = match body.required_string("direction")? {
        "upload" => Direction::Upload,
        "download" => Direction::Download,
        other => {
            return Err(ApiError::bad_parameter(format!(
                "direction {other:?}: expecting upload or download"
            )));
        }
    };
    let id = body.required_string("id")?;
    let repository = body.required_string("remoteRepository")?;
    let piece = body.required_string("piece")?;
    let config = crate::server::request_config(state, body)?;
    let job = (state.jobs).start_piece(direction, id, repository, &config, Some(piece))?;
    Ok(success(StatusCode::ACCEPTED, json!({ "jobId": job })))
}

/// A DB server error from the repository, as a download's (`pieces`) or an upload's.
fn repository_error(e: crate::Error, direction: Direction) -> ApiError {
    let e = crate::jobs::JobError::from(e);
    ApiError::new(e.num(direction), e.message)
}

async fn pieces(state: &AppState, body: &Body) -> Result<Response, ApiError> {
    let id = BackupId::parse(body.required_string("id")?)
        .map_err(|e| ApiError::from_backup(e, Operation::StartTransfer))?;
    let repository = body.required_string("remoteRepository")?;
    let config = crate::server::request_config(state, body)?;
    let backup = state
        .jobs
        .repository(repository, &config)?
        .child(id.as_str());
    let listing = (backup.backend.list(&backup.root).await)
        .map_err(|e| repository_error(e, Direction::Download))?;
    let incomplete = |why: String| {
        ApiError::new(
            ErrorNum::NoSuchHotBackup,
            format!(
                "no complete cluster backup {id} in {}: {why}",
                backup.display
            ),
        )
    };
    let Some(meta) = listing.iter().find(|o| o.key == META_FILE) else {
        return Err(incomplete(format!(
            "its {META_FILE}, written last, is not there"
        )));
    };
    let key = backup.key(META_FILE);
    let bytes = (backup
        .backend
        .get_range(&key, 0..meta.size.min(1 << 20), None)
        .await)
        .map_err(|e| repository_error(e, Direction::Download))?;
    let meta: Value = serde_json::from_slice(&bytes)
        .map_err(|e| incomplete(format!("its {META_FILE} is not JSON: {e}")))?;
    let names: Vec<&str> = (meta["pieces"].as_array().into_iter().flatten())
        .filter_map(Value::as_str)
        .collect();
    if names.is_empty() {
        return Err(incomplete(format!("its {META_FILE} names no pieces")));
    }
    for name in &names {
        let piece_meta = format!("{name}/{META_FILE}");
        if !crate::jobs::transfer::is_piece_name(name)
            || !listing.iter().any(|o| o.key == piece_meta)
        {
            return Err(incomplete(format!("piece {name:?} is missing")));
        }
    }
    Ok(success(StatusCode::OK, json!({ "pieces": names })))
}

/// Writes `meta`, the `META` of the whole cluster backup, at `<repository>/<id>/META` of
/// this server's completed upload job `jobId` of its piece, from the job's own record.
async fn seal(state: &AppState, body: &Body) -> Result<Response, ApiError> {
    let job = body.required_string("jobId")?;
    let meta = body
        .object("meta")?
        .ok_or_else(|| ApiError::bad_parameter("attribute \"meta\" is required"))?;
    let (record, repository) = (state.jobs.repository_of(job))
        .ok_or_else(|| ApiError::new(ErrorNum::HttpNotFound, format!("no such job: {job}")))??;
    let sealable = record.direction == Direction::Upload
        && record.piece.is_some()
        && record.state == crate::jobs::JobState::Completed
        && meta.get("id").and_then(Value::as_str) == Some(record.backup_id.as_str());
    if !sealable {
        return Err(ApiError::bad_parameter(format!(
            "job {job} is not a completed upload of a piece of backup {}",
            meta.get("id").unwrap_or(&Value::Null)
        )));
    }
    let mut bytes = serde_json::to_vec(meta).unwrap_or_default();
    bytes.push(b'\n');
    let bytes = axum::body::Bytes::from(bytes);
    let sha = (crate::engine::digest::sha256_hex(bytes.clone()).await)
        .map_err(|e| repository_error(e, Direction::Upload))?;
    let backup = repository.child(&record.backup_id);
    (backup
        .backend
        .put(&backup.key(META_FILE), bytes, &sha)
        .await)
        .map_err(|e| repository_error(e, Direction::Upload))?;
    Ok(success(StatusCode::OK, json!({})))
}
