//! `ferry serve`: the Hot Backup HTTP API until Ctrl-C or SIGTERM.

use ferry::backup::CreateOptions;
use ferry::engine::Options;
use ferry::jobs::{Limits, Repositories};
use ferry::server::auth::{Auth, read_secret_file};
use ferry::server::{ServerConfig, serve};
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
        auth: Auth {
            jwt_secret: read(args.jwt_secret_file.as_deref())?,
            root_password: read(args.password_file.as_deref())?,
        },
        repositories: Repositories {
            sections: match &args.config {
                Some(path) => ferry::config::load_file(path)?,
                None => Default::default(),
            },
            allow_ambient_credentials: args.allow_ambient_credentials,
            endpoints: std::sync::Arc::new(EndpointPolicy::new(args.allow_endpoints)),
        },
        limits: Limits {
            max_jobs: args.max_jobs,
            retention: args.job_retention,
        },
        keep_failsafe: args.keep_failsafe,
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
