//! `POST /_admin/backup/repository` (**Ferry**, not ArangoDB's): what a remote repository
//! holds. Body `{remoteRepository, config}` as for `upload` (§6 of the API document, and
//! the operator's sections and hardening policy of docs/security.md); the
//! answer is the listing of `ferry backups`: every backup under the repository path with
//! its datetime, files, bytes and state (complete, incomplete, damaged, with the problems).
//! ArangoDB's clients never send this operation, so they are unaffected.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::AppState;
use super::envelope::{ApiError, Body, success};
use crate::ErrorNum;
use crate::catalog::Catalog;

pub async fn list(state: Arc<AppState>, body: Body) -> Result<Response, ApiError> {
    let repository = body.required_string("remoteRepository")?;
    let config = super::backup::request_config(&state, &body)?;
    // The jobs' resolver: an API client's sections get the same credential and endpoint
    // policy as its uploads (docs/security.md).
    let location = state.jobs.repository(repository, &config)?;
    let listing = Catalog::new(location.clone()).list().await.map_err(|e| {
        // A store that refuses (no such bucket, no permission) will refuse again: the
        // repository or its config is at fault. Anything else is a failure to retry.
        let num = if e.is_refused() || e.is_not_found() {
            ErrorNum::RemoteRepositoryConfigBad
        } else {
            ErrorNum::Failed
        };
        ApiError::new(num, format!("cannot list {}: {e}", location.display))
    })?;
    Ok(success(
        StatusCode::OK,
        json!({
            "remoteRepository": location.display,
            "backups": listing.backups,
            "other": listing.other,
        }),
    ))
}
