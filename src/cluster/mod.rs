//! Ferry as a cluster: one coordinator in front of N DB servers (docs/cluster.md).
//!
//! A **DB server** is a plain `ferry serve` over its own data and backup directories. Besides
//! the Hot Backup API it answers the internal routes of [`internal`] (`/_ferry/cluster/...`,
//! behind the same authentication), and it has a second stable id, `PRMR-<uuid>`, kept in
//! `<state-dir>/dbserver-id` beside its `SNGL-<uuid>`.
//!
//! A **coordinator** is `ferry serve --dbserver URL ...`: it holds no data of its own, serves
//! the same API at the same paths and answers every backup operation by fanning it out to
//! its DB servers ([`coordinator`], [`create`]), forwarding the client's own credentials.
//! The DB servers must therefore accept what the coordinator accepts (same JWT secret, same
//! root password).

pub mod aggregate;
pub mod client;
mod coordinator;
mod create;
pub mod internal;
pub mod jobs;
mod locks;
mod transfer;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::server::auth::Auth;
use crate::{Error, Result};
pub use client::{Credentials, DbServers};
pub use coordinator::dispatch;

/// Prefix of the internal routes a coordinator uses on its DB servers.
pub const INTERNAL_PREFIX: &str = "/_ferry/cluster";

/// How a server takes part in a cluster.
#[derive(Debug, Clone)]
pub struct Config {
    /// Base URLs of the DB servers (`http://host:port`); empty: not a coordinator.
    pub dbservers: Vec<String>,
    /// How long a coordinator keeps trying a DB server that cannot be reached before it
    /// answers 7012 (ArangoDB: 120 s).
    pub reachable_within: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            dbservers: Vec::new(),
            reachable_within: Duration::from_secs(120),
        }
    }
}

/// This server's part in a cluster: its DB server id and locks, and, on a coordinator,
/// its DB servers.
#[derive(Debug)]
pub struct Node {
    /// `PRMR-<uuid>`, kept across restarts.
    pub db_server_id: String,
    locks: locks::Locks,
    /// Set on a coordinator.
    pub coordinator: Option<Arc<coordinator::Coordinator>>,
}

impl Node {
    /// This server's part; on a coordinator, its jobs read back and the unfinished ones
    /// driven on (inside a tokio runtime). `auth` is what the server accepts, which its
    /// DB servers accept too.
    pub fn open(state_dir: &Path, config: &Config, auth: &Auth) -> Result<Node> {
        let coordinator = match config.dbservers.is_empty() {
            true => None,
            false => {
                let coordinator = Arc::new(coordinator::Coordinator {
                    servers: DbServers::new(&config.dbservers, config.reachable_within)?,
                    jobs: jobs::ClusterJobs::open(state_dir)?,
                    own: Credentials::own(auth),
                    advancing: tokio::sync::Mutex::new(()),
                });
                for id in coordinator.jobs.unfinished() {
                    tokio::spawn(transfer::drive(coordinator.clone(), id));
                }
                Some(coordinator)
            }
        };
        Ok(Node {
            db_server_id: persistent_id(&state_dir.join("dbserver-id"), "PRMR")?,
            locks: locks::Locks::default(),
            coordinator,
        })
    }
}

/// The id `<prefix>-<uuid>` kept in `file`: read back if it is there, made and written
/// otherwise, so that a server keeps its ids across restarts.
pub fn persistent_id(file: &Path, prefix: &str) -> Result<String> {
    match std::fs::read_to_string(file) {
        Ok(id) if id.starts_with(&format!("{prefix}-")) => Ok(id.trim().to_owned()),
        _ => {
            let id = format!("{prefix}-{}", uuid::Uuid::new_v4());
            std::fs::write(file, &id).map_err(|e| Error::io(file, e))?;
            Ok(id)
        }
    }
}
