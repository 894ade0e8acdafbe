//! `ferry serve` flags: where it listens, whom it trusts, and the limits on its clients' work.

use std::path::PathBuf;

use clap::Args;

use super::{BackupArgs, at_least_one, parse_duration};

/// `ferry serve` flags.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (loopback by default).
    #[arg(long, default_value = "127.0.0.1:8529")]
    pub listen: std::net::SocketAddr,
    /// The data directory that `create` snapshots and `restore` replaces.
    #[arg(long, value_name = "DIR", default_value = "ferry/data")]
    pub data_dir: PathBuf,
    #[command(flatten)]
    pub backups: BackupArgs,
    /// Job records, journals and the server id (default: <backup-dir>/.ferry).
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// File name patterns of immutable files, hard-linked into snapshots and back on restore (repeatable).
    #[arg(long = "immutable", value_name = "PATTERN", default_values_t = vec!["*.sst".to_owned()])]
    pub immutable: Vec<String>,
    /// Files transferred in parallel per job.
    #[arg(long, value_name = "N")]
    pub transfers: Option<usize>,
    /// Require a JWT signed (HS256) with the secret in this file (ArangoDB's JWT secret).
    #[arg(long, value_name = "FILE")]
    pub jwt_secret_file: Option<PathBuf>,
    /// Require basic auth as `root` with the password in this file.
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// Serve without authentication on an address other than loopback (refused otherwise:
    /// whoever reaches it could restore, delete and upload backups).
    #[arg(long)]
    pub allow_unauthenticated: bool,
    /// The server's own config sections (JSON or rclone's INI): requests name them
    /// (`"config": "<section>"`) without seeing their secrets.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Let configs sent through the API use the host's credentials (environment, instance
    /// role, managed identity, key files on the server).
    #[arg(long)]
    pub allow_ambient_credentials: bool,
    /// Let configs sent through the API reach this address, network (`10.1.0.0/16`) or
    /// host name, which the endpoint policy refuses otherwise (loopback, private and
    /// link-local ranges, metadata names); repeatable.
    #[arg(long = "allow-endpoint", value_name = "ADDRESS|NETWORK|HOST")]
    pub allow_endpoints: Vec<ferry::store::endpoint_policy::Allowed>,
    /// Upload and download jobs running at once; the others wait as ACK, in order.
    #[arg(long, value_name = "N", default_value_t = ferry::jobs::MAX_JOBS, value_parser = at_least_one)]
    pub max_jobs: usize,
    /// How long finished jobs stay queryable: 7d, 12h, 90s.
    #[arg(long, value_name = "DURATION", default_value = "7d", value_parser = parse_duration)]
    pub job_retention: std::time::Duration,
    /// Failsafe copies of the data directory that restores keep (the newest); older ones
    /// are removed.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = at_least_one)]
    pub keep_failsafe: usize,
    /// Connections served at once; further ones wait to be accepted.
    #[arg(long, value_name = "N", default_value_t = 512, value_parser = at_least_one)]
    pub max_connections: usize,
    /// Longest wait for a request's head (the first on a connection, and each next one):
    /// then the connection is closed.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub header_read_timeout: std::time::Duration,
    /// Serve as a cluster's coordinator in front of this DB server (`http://host:port` of
    /// a `ferry serve`); repeatable, one per DB server (docs/cluster.md).
    #[arg(long = "dbserver", value_name = "URL")]
    pub dbservers: Vec<String>,
    /// How long a coordinator keeps trying a DB server it cannot reach before it answers
    /// errorNum 7012.
    #[arg(long, value_name = "SECONDS", default_value_t = 120)]
    pub dbserver_retry: u64,
}
