//! A cluster backup's create: one id, every DB server locked, then every piece taken, then
//! every lock released (spec `hot-backup-cluster.md`, "create").
//!
//! **Lock phase.** Every DB server is asked at once to take its write lock within a window
//! (15 s, doubling, as ArangoDB's; never past the request's `timeout`, at least 2.5 s). When
//! one cannot, the others are released and the next, longer window is tried. When the
//! timeout is spent: 408 / errorNum 18, or with `allowInconsistent` every piece is taken
//! without the lock and the backup is `potentiallyInconsistent`. A DB server that cannot be
//! reached within the timeout: 7010; one that fails otherwise: 7009.
//!
//! **Snapshot phase.** Each DB server snapshots its piece under its lock, with the same id
//! and `nrDBServers` = N in its `META`, and drops the lock once its files are mirrored. If any
//! piece fails, the pieces already taken are deleted: no partial backup stays listed.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use serde_json::{Value, json};

use super::INTERNAL_PREFIX;
use super::client::{Credentials, DbServers};
use super::coordinator::{LONG, SHORT, all_ok, passed_on};
use crate::ErrorNum;
use crate::backup::BackupId;
use crate::server::envelope::{ApiError, Body, success};

/// The first lock window (ArangoDB: 15 s), doubled after each failed round.
const FIRST_WINDOW: Duration = Duration::from_secs(15);

/// ArangoDB's smallest `timeout`.
const MIN_TIMEOUT: f64 = 2.5;

/// How long a DB server keeps a lock beyond its window if the coordinator never comes back.
const LEASE_MARGIN: Duration = Duration::from_secs(60);

/// Why the lock phase ended without every lock.
enum NotLocked {
    /// The timeout was spent with some server not locked.
    TimedOut,
    Failed(ApiError),
}

fn path(op: &str) -> String {
    format!("{INTERNAL_PREFIX}/{op}")
}

/// Releases `locks` (best effort: a lease ends them anyway).
async fn unlock(servers: &DbServers, locks: &[Option<String>], credentials: &Credentials) {
    let calls = locks.iter().enumerate().filter_map(|(i, lock)| {
        let body = json!({ "lockId": lock.as_ref()? });
        Some(async move {
            let within = (SHORT, Duration::ZERO);
            let _ = servers
                .post_within(i, &path("unlock"), &body, credentials, within)
                .await;
        })
    });
    futures::future::join_all(calls).await;
}

/// Locks every DB server within `timeout`; the lock ids in server order.
async fn lock_all(
    servers: &DbServers,
    timeout: Duration,
    credentials: &Credentials,
) -> Result<Vec<Option<String>>, NotLocked> {
    let deadline = Instant::now() + timeout;
    let mut window = FIRST_WINDOW;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(NotLocked::TimedOut);
        }
        let this = window.min(left);
        let body =
            json!({"window": this.as_secs_f64(), "lease": (this + LEASE_MARGIN).as_secs_f64()});
        let limits = (this + SHORT, left);
        let answers = servers
            .post_all_within(&path("lock"), &body, credentials, limits)
            .await;
        let locks: Vec<Option<String>> = answers
            .iter()
            .map(|a| match a {
                Ok(a) if a.is_success() => a.result()["lockId"].as_str().map(str::to_owned),
                _ => None,
            })
            .collect();
        if locks.iter().all(Option::is_some) {
            return Ok(locks);
        }
        unlock(servers, &locks, credentials).await;
        for (i, answer) in answers.iter().enumerate() {
            match answer {
                Err(e) => {
                    return Err(NotLocked::Failed(ApiError::new(
                        ErrorNum::LocalLockRetry,
                        format!("hot backup lock: {e} to take its write lock"),
                    )));
                }
                Ok(a) if !a.is_success() && a.error_num() != ErrorNum::LockTimeout.code() => {
                    let e = passed_on(servers, i, a);
                    return Err(NotLocked::Failed(ApiError::new(
                        ErrorNum::LocalLockFailed,
                        format!("hot backup lock failed: {}", e.message),
                    )));
                }
                _ => {}
            }
        }
        tracing::info!(window = ?this, "not every DB server locked: trying a longer window");
        window *= 2;
    }
}

/// `POST /_admin/backup/create` on a coordinator.
pub async fn create(
    servers: &DbServers,
    body: &Body,
    credentials: &Credentials,
) -> Result<Response, ApiError> {
    let label = body.string("label")?;
    let timeout = body.number("timeout")?.unwrap_or(120.0);
    let timeout = Duration::from_secs_f64(timeout.clamp(MIN_TIMEOUT, 86_400.0));
    let allow_inconsistent = body.bool("allowInconsistent")?.unwrap_or(false);
    // No transactions to abort on a Ferry DB server: `force` is accepted and ignored.
    body.bool("force")?;
    let id = BackupId::generate(Utc::now(), label);
    let (locks, inconsistent) = match lock_all(servers, timeout, credentials).await {
        Ok(locks) => (locks, false),
        Err(NotLocked::TimedOut) if allow_inconsistent => {
            tracing::warn!(%id, "not every DB server locked in time: taking a potentially inconsistent backup");
            (vec![None; servers.len()], true)
        }
        Err(NotLocked::TimedOut) => {
            return Err(ApiError::new(
                ErrorNum::LockTimeout,
                format!(
                    "could not lock every DB server for a consistent backup within {timeout:?}"
                ),
            ));
        }
        Err(NotLocked::Failed(e)) => return Err(e),
    };
    let calls = locks.iter().enumerate().map(|(i, lock)| {
        let body = json!({"id": id, "lockId": lock, "nrDBServers": servers.len()});
        async move {
            servers
                .post(i, &path("create"), &body, credentials, LONG)
                .await
        }
    });
    let answers = futures::future::join_all(calls).await;
    // A piece that was taken has consumed its lock; the others are released here.
    unlock(servers, &locks, credentials).await;
    let taken: Vec<usize> = (answers.iter().enumerate())
        .filter(|(_, a)| a.as_ref().is_ok_and(|a| a.is_success()))
        .map(|(i, _)| i)
        .collect();
    let pieces = match all_ok(servers, answers) {
        Ok(pieces) => pieces,
        Err(e) => {
            remove_pieces(servers, &id, &taken, credentials).await;
            return Err(e);
        }
    };
    let sum = |key: &str| {
        (pieces.iter())
            .filter_map(|p| p.result()[key].as_u64())
            .sum::<u64>()
    };
    let datetime = (pieces.iter())
        .filter_map(|p| p.result()["datetime"].as_str())
        .min();
    let mut result = json!({
        "id": id, "sizeInBytes": sum("sizeInBytes"), "nrFiles": sum("nrFiles"),
        "nrDBServers": servers.len(), "datetime": datetime,
    });
    let any_inconsistent = inconsistent
        || (pieces.iter()).any(|p| p.result()["potentiallyInconsistent"] == Value::Bool(true));
    if any_inconsistent {
        result["potentiallyInconsistent"] = Value::Bool(true);
    }
    tracing::info!(%id, servers = servers.len(), inconsistent = any_inconsistent, "cluster hot backup created");
    Ok(success(StatusCode::CREATED, result))
}

/// Deletes the pieces of `id` taken on `taken` after another piece failed.
async fn remove_pieces(
    servers: &DbServers,
    id: &BackupId,
    taken: &[usize],
    credentials: &Credentials,
) {
    let body = json!({ "id": id });
    for &i in taken {
        let deleted = servers
            .post(i, "/_admin/backup/delete", &body, credentials, SHORT)
            .await;
        if !deleted.as_ref().is_ok_and(|a| a.is_success()) {
            tracing::error!(%id, server = servers.url(i), "could not delete the piece of a failed cluster backup");
        }
    }
}
