//! `ferry serve`: the ArangoDB-compatible Hot Backup HTTP API.
//!
//! Routes: `POST /_admin/backup/<operation>` (also under `/_db/<database>/`),
//! `GET /_api/version`, `GET /_admin/metrics`, `GET /_admin/statistics`, ArangoDB's async job API (`/_api/job/...`,
//! and `x-arango-async` on every route). Every answer is one of ArangoDB's envelopes
//! ([`envelope`]); backup work runs on the blocking pool, transfers as jobs ([`crate::jobs`]).

mod async_jobs;
mod async_store;
pub mod auth;
mod backoff;
mod backup;
mod connections;
mod database;
pub mod envelope;
mod metrics;
mod repository;
mod statistics;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use serde_json::json;

use crate::backup::{BackupDir, CreateOptions};
use crate::engine::Options;
use crate::jobs::{JobManager, Limits, OwnDirs, Repositories};
use crate::{Error, ErrorNum, Result};
pub use backup::request_config;
pub use connections::ConnectionLimits;
use envelope::{ApiError, Body, MAX_BODY};

/// How `ferry serve` is set up.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub backup_dir: PathBuf,
    /// Local repositories must lie under this path.
    pub local_path_prefix: String,
    /// Job records, engine journals and the server id (default: `<backup-dir>/.ferry`).
    pub state_dir: PathBuf,
    pub create: CreateOptions,
    pub transfer: Options,
    /// Credentials every request must carry; none configured: open.
    pub auth: auth::Auth,
    /// The operator's named sections, and what client sections may use.
    pub repositories: Repositories,
    /// Jobs at once, and how long finished ones are kept (`--max-jobs`, `--job-retention`).
    pub limits: Limits,
    /// Failsafe copies of the data directory a restore keeps (`--keep-failsafe`, at least 1).
    pub keep_failsafe: usize,
    /// Connections at once, and how long a request head may take (`--max-connections`,
    /// `--header-read-timeout`).
    pub connections: ConnectionLimits,
    /// The DB servers of a coordinator (none: a single server or a DB server).
    pub cluster: crate::cluster::Config,
}

/// What every request handler reads.
#[derive(Debug)]
pub struct AppState {
    pub backups: BackupDir,
    pub data_dir: PathBuf,
    pub jobs: JobManager,
    /// `SNGL-<uuid>`, kept across restarts.
    pub server_id: String,
    pub create_options: CreateOptions,
    /// Answers of `x-arango-async: store` requests ([`async_jobs`]).
    pub async_jobs: async_store::AsyncStore,
    /// Since the start or the last restore: `server.uptime` ([`statistics`]).
    pub uptime: statistics::Uptime,
    /// Failsafe copies a restore keeps.
    pub keep_failsafe: usize,
    /// Its DB server id and locks, its DB servers on a coordinator ([`crate::cluster`]).
    pub cluster: crate::cluster::Node,
}

impl AppState {
    /// Prepares directories, the persistent server id and the job manager (which resumes
    /// interrupted jobs). Must run inside a tokio runtime.
    pub fn open(config: &ServerConfig) -> Result<Arc<Self>> {
        for dir in [&config.data_dir, &config.backup_dir, &config.state_dir] {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let server_id = crate::cluster::persistent_id(&config.state_dir.join("server-id"), "SNGL")?;
        let backups = BackupDir::new(&config.backup_dir);
        let mut repositories = config.repositories.clone();
        repositories.own_dirs = OwnDirs {
            dirs: vec![
                ("data", config.data_dir.clone()),
                ("backup", config.backup_dir.clone()),
                ("state", config.state_dir.clone()),
            ],
        };
        let jobs = JobManager::open(
            config.state_dir.clone(),
            backups.clone(),
            config.local_path_prefix.clone(),
            config.transfer.clone(),
            repositories,
            config.limits,
        )?;
        Ok(Arc::new(AppState {
            backups,
            data_dir: config.data_dir.clone(),
            jobs,
            server_id,
            create_options: config.create.clone(),
            async_jobs: async_store::AsyncStore::open(&config.state_dir, config.limits.retention)?,
            uptime: statistics::Uptime::default(),
            keep_failsafe: config.keep_failsafe.max(1),
            cluster: crate::cluster::Node::open(&config.state_dir, &config.cluster, &config.auth)?,
        }))
    }
}

/// The routes, over `state`, behind `auth`.
pub fn router(state: Arc<AppState>, auth: auth::Auth) -> Router {
    let api = Router::new()
        .route("/_admin/backup", any(no_operation))
        .route("/_admin/backup/", any(no_operation))
        .route("/_admin/backup/{*rest}", any(backup_endpoint))
        .route("/_api/version", get(version))
        .route("/_admin/metrics", get(metrics::render))
        .route("/_admin/statistics", get(statistics::render))
        .route("/_api/job", any(async_jobs::no_job))
        .route("/_api/job/", any(async_jobs::no_job))
        .route("/_api/job/{job}", any(async_jobs::one))
        .route("/_api/job/{job}/{method}", any(async_jobs::method));
    let async_jobs = state.async_jobs.clone();
    Router::new()
        .nest("/_db/{database}", api.clone())
        .merge(api)
        .merge(crate::cluster::internal::routes())
        .fallback(not_found)
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(
            async_jobs,
            async_jobs::layer,
        ))
        .layer(axum::middleware::from_fn(database::only_system))
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(auth::Gate::new(auth)),
            auth::require,
        ))
}

async fn no_operation(method: Method) -> Response {
    if method != Method::POST {
        return method_not_allowed();
    }
    ApiError::new(
        ErrorNum::HttpBadParameter,
        "expecting POST /_admin/backup/<operation>",
    )
    .into_response()
}

fn method_not_allowed() -> Response {
    ApiError::new(
        ErrorNum::HttpMethodNotAllowed,
        "backup endpoint only handles POST requests",
    )
    .into_response()
}

async fn backup_endpoint(
    State(state): State<Arc<AppState>>,
    Path(params): Path<std::collections::HashMap<String, String>>,
    request: Request,
) -> Response {
    if request.method() != Method::POST {
        return method_not_allowed();
    }
    let rest = params.get("rest").map(String::as_str).unwrap_or_default();
    let suffixes: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let credentials = crate::cluster::Credentials(
        (request.headers().get(axum::http::header::AUTHORIZATION)).cloned(),
    );
    if suffixes.len() > 1 {
        return ApiError::new(
            ErrorNum::SuperfluousSuffixes,
            format!("superfluous suffixes in /_admin/backup/{rest}: expecting one operation"),
        )
        .into_response();
    }
    let bytes = match axum::body::to_bytes(request.into_body(), MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            // The rest of the body is not read: the connection cannot be reused.
            let mut response =
                ApiError::bad_parameter(format!("request body larger than {MAX_BODY} bytes"))
                    .into_response();
            response.headers_mut().insert(
                axum::http::header::CONNECTION,
                axum::http::HeaderValue::from_static("close"),
            );
            return response;
        }
    };
    let body = match Body::parse(&bytes) {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let operation = suffixes.first().copied().unwrap_or_default();
    let answer = match state.cluster.coordinator.is_some() {
        true => crate::cluster::dispatch(state, operation, body, credentials).await,
        false => backup::dispatch(state, operation, body).await,
    };
    match answer {
        Ok(r) => r,
        Err(e) => {
            if e.num.http_status() >= 500 {
                // The log has the whole chain of causes; the client, the message.
                match &e.cause {
                    Some(cause) => {
                        let cause: &(dyn std::error::Error + 'static) = &**cause;
                        tracing::error!(operation, error = cause, "request failed");
                    }
                    None => tracing::error!(operation, error = %e.message, "request failed"),
                }
            }
            e.into_response()
        }
    }
}

async fn version() -> Response {
    axum::Json(json!({
        "server": "ferry", "version": env!("CARGO_PKG_VERSION"), "license": "community",
    }))
    .into_response()
}

async fn not_found() -> Response {
    ApiError::new(ErrorNum::HttpNotFound, "unknown path").into_response()
}

/// Serves until `shutdown` resolves, then lets running jobs stop (they resume next start).
pub async fn serve(
    config: ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let state = AppState::open(&config)?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| Error::Other(format!("cannot listen on {}: {e}", config.listen)))?;
    let address = listener
        .local_addr()
        .map_err(|e| Error::Other(e.to_string()))?;
    tracing::info!(%address, "serving the Hot Backup API");
    eprintln!("ferry: listening on http://{address}");
    let app = router(state.clone(), config.auth.clone());
    let housekeeping = tokio::spawn(prune_on_schedule(
        state.clone(),
        config.limits.prune_interval(),
    ));
    connections::serve(listener, app, config.connections, shutdown).await;
    housekeeping.abort();
    state.async_jobs.shutdown().await;
    state.jobs.shutdown().await;
    Ok(())
}

/// Forgets finished jobs and async results past their retention, every `interval`, for as
/// long as the server runs (a server that runs for months keeps a week of them).
async fn prune_on_schedule(state: Arc<AppState>, interval: std::time::Duration) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        state.jobs.prune();
        state.async_jobs.prune();
    }
}
