//! `ferry serve`: the Hot Backup HTTP API until Ctrl-C or SIGTERM.

use ferry::backup::CreateOptions;
use ferry::engine::Options;
use ferry::jobs::{Limits, Repositories};
use ferry::server::auth::{Auth, read_secret_file};
use ferry::server::{ConnectionLimits, ServerConfig, serve};
use ferry::store::endpoint_policy::EndpointPolicy;

use crate::cli::args::ServeArgs;
use crate::cli::exit::{Exit, Failure};

/// The server's configuration from its flags; secret files are read here.
pub fn plan(args: ServeArgs) -> Result<ServerConfig, Failure> {
    let mut transfer = Options::default();
    if let Some(t) = args.transfers.filter(|t| *t > 0) {
        transfer.transfers = t;
    }
    let read = |file: Option<&std::path::Path>| file.map(read_secret_file).transpose();
    let auth = Auth {
        jwt_secret: read(args.jwt_secret_file.as_deref())?,
        root_password: read(args.password_file.as_deref())?,
    };
    if !args.listen.ip().is_loopback() && !auth.is_enabled() {
        if !args.allow_unauthenticated {
            return Err(Failure::Usage(format!(
                "--listen {}: not a loopback address, and neither --jwt-secret-file nor \
                 --password-file: whoever reaches it could restore, delete and upload backups; \
                 give one of them, or --allow-unauthenticated to serve it open anyway",
                args.listen
            )));
        }
        tracing::warn!(listen = %args.listen, "serving the Hot Backup API WITHOUT AUTHENTICATION on a non-loopback address (--allow-unauthenticated)");
    }
    Ok(ServerConfig {
        listen: args.listen,
        state_dir: args
            .state_dir
            .unwrap_or_else(|| args.backups.backup_dir.join(".ferry")),
        data_dir: args.data_dir,
        backup_dir: args.backups.backup_dir,
        local_path_prefix: args.backups.local_path_prefix,
        create: CreateOptions {
            immutable: args.immutable,
            ..CreateOptions::default()
        },
        transfer,
        auth,
        repositories: Repositories {
            sections: match &args.config {
                Some(path) => ferry::config::load_file(path)?,
                None => Default::default(),
            },
            allow_ambient_credentials: args.allow_ambient_credentials,
            endpoints: std::sync::Arc::new(EndpointPolicy::new(args.allow_endpoints)),
            // Filled by the server, which makes its directories.
            own_dirs: Default::default(),
        },
        limits: Limits {
            max_jobs: args.max_jobs,
            retention: args.job_retention,
        },
        keep_failsafe: args.keep_failsafe,
        connections: ConnectionLimits {
            max_connections: args.max_connections,
            header_read_timeout: args.header_read_timeout,
        },
        cluster: ferry::cluster::Config {
            dbservers: args.dbservers,
            reachable_within: std::time::Duration::from_secs(args.dbserver_retry),
        },
    })
}

pub async fn run(config: ServerConfig) -> Result<Exit, Failure> {
    let shutdown = async {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
        }
        eprintln!("ferry: shutting down; running jobs resume at the next start");
    };
    serve(config, shutdown).await?;
    Ok(Exit::Ok)
}
