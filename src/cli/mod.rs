//! The `ferry` command line: what was typed (clap) → what will run (engine calls).

mod progress;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use ferry::backup::{BackupDir, BackupId, CreateOptions};
use ferry::config::{Config, default_config_path, load_file};
use ferry::engine::{self, Options, Stats, Transfer};
use ferry::jobs::{BackupTransfer, Direction};
use ferry::repository::normalise;
use ferry::server::auth::{Auth, read_secret_file};
use ferry::server::{ServerConfig, serve as serve_api};
use ferry::store::{Location, resolve_location};
use ferry::{Error, Result};

/// Resumable, checksummed, parallel copies between local disk and object stores.
#[derive(Debug, Parser)]
#[command(name = "ferry", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Copy a directory tree from SRC to DST; a rerun resumes and skips what is already there.
    Copy {
        /// Local path, or `<section>:<path>` of the config.
        src: String,
        /// Local path, or `<section>:<path>` of the config.
        dst: String,
        #[command(flatten)]
        common: Common,
    },
    /// Compare SRC and DST by reading and hashing both; exit 0 only when every file matches.
    Check {
        src: String,
        dst: String,
        #[command(flatten)]
        common: Common,
    },
    /// Abort pending multipart uploads under REMOTE begun more than --max-age ago (what a
    /// killed or failed transfer may leave); like `rclone cleanup`. S3 stores only.
    Cleanup {
        /// `<section>:<bucket>[/<path>]` of the config.
        remote: String,
        /// Abort only uploads begun longer ago than this: 90s, 30m, 24h, 7d, 1h30m (a bare
        /// number is seconds).
        #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = parse_duration)]
        max_age: std::time::Duration,
        /// Config file (as for `copy`).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Retries of a failed request before giving up.
        #[arg(long, value_name = "N")]
        retries: Option<usize>,
    },
    /// Serve the ArangoDB-compatible Hot Backup HTTP API.
    Serve(ServeArgs),
    /// Upload local backup ID to repository REPO (`<section>:<path>`), in the foreground.
    Upload {
        id: String,
        repo: String,
        #[command(flatten)]
        backups: BackupArgs,
        #[command(flatten)]
        common: Common,
    },
    /// Download backup ID from repository REPO into the backup directory, in the foreground.
    Download {
        id: String,
        repo: String,
        #[command(flatten)]
        backups: BackupArgs,
        #[command(flatten)]
        common: Common,
    },
}

/// Where the local backups are.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// Directory of the local backups.
    #[arg(long, value_name = "DIR", default_value = "ferry/backups")]
    pub backup_dir: PathBuf,
    /// Local repositories must lie under this path.
    #[arg(long, value_name = "PATH", default_value = "/")]
    pub local_path_prefix: String,
}

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
    /// File name patterns of immutable files, hard-linked into snapshots (repeatable).
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
}

/// Flags every transfer command takes.
#[derive(Debug, Args)]
pub struct Common {
    /// Config file: JSON (the API's `config` object) or rclone's INI. Default: $FERRY_CONFIG,
    /// then rclone's config location.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Files transferred in parallel.
    #[arg(long, value_name = "N")]
    pub transfers: Option<usize>,
    /// Chunk size for large files, e.g. 16M.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub chunk_size: Option<u64>,
    /// Bandwidth limit over all transfers, bytes per second, e.g. 50M.
    #[arg(long, value_name = "RATE", value_parser = parse_size)]
    pub bwlimit: Option<u64>,
    /// Retries of a failed request before giving up (backoff with jitter between them).
    #[arg(long, value_name = "N")]
    pub retries: Option<usize>,
    /// Print progress and the result as JSON lines on stdout.
    #[arg(long)]
    pub json: bool,
    /// Draw no progress bar.
    #[arg(long)]
    pub no_progress: bool,
    /// Directory for resume journals (default: $FERRY_STATE_DIR or ~/.local/state/ferry).
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
}

/// A duration such as `90s`, `30m`, `24h`, `7d`, `2w` or `1h30m`; a bare number is seconds.
fn parse_duration(s: &str) -> std::result::Result<std::time::Duration, String> {
    let bad = || format!("{s:?} is not a duration such as 30m, 24h or 7d");
    let s = s.trim();
    if s.is_empty() {
        return Err(bad());
    }
    if let Ok(secs) = s.parse::<u64>() {
        return Ok(std::time::Duration::from_secs(secs));
    }
    let mut total: u64 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        if digits == 0 {
            return Err(bad());
        }
        let n: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            "w" => 7 * 86_400,
            _ => return Err(bad()),
        };
        rest = &rest[unit_len..];
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
    }
    Ok(std::time::Duration::from_secs(total))
}

fn parse_size(s: &str) -> std::result::Result<u64, String> {
    ferry::config::parse_size_str(s).ok_or_else(|| format!("{s:?} is not a size such as 16M"))
}

impl Common {
    fn options(&self) -> Result<Options> {
        let mut o = Options::default();
        if let Some(t) = self.transfers {
            if t == 0 {
                return Err(Error::BadParameter("--transfers must be at least 1".into()));
            }
            o.transfers = t;
        }
        if let Some(c) = self.chunk_size {
            if c == 0 {
                return Err(Error::BadParameter(
                    "--chunk-size must be more than 0".into(),
                ));
            }
            o.chunk_size = Some(c);
        }
        o.bwlimit = self.bwlimit.filter(|b| *b > 0);
        if let Some(r) = self.retries {
            o.retry.max_retries = r;
        }
        if let Some(d) = &self.state_dir {
            o.state_dir = d.clone();
        }
        Ok(o)
    }

    /// The config, read only when a remote location needs it.
    fn config(&self) -> Result<Config> {
        match self.config.clone().or_else(default_config_path) {
            Some(path) => load_file(&path),
            None => Ok(Config::default()),
        }
    }

    /// A command-line location: a local path, or `<section>:<path>` when the part before the
    /// first colon has no `/` and is not a path that exists.
    fn location(
        &self,
        arg: &str,
        config: &mut Option<Config>,
        options: &Options,
    ) -> Result<Location> {
        let remote = arg
            .split_once(':')
            .filter(|(section, _)| !section.is_empty() && !section.contains('/'))
            .filter(|_| !std::path::Path::new(arg).exists());
        let Some((section, _)) = remote else {
            return Ok(Location::local(arg));
        };
        if config.is_none() {
            *config = Some(self.config()?);
        }
        let config = config.as_ref().expect("loaded above");
        if config.section(section).is_none() {
            return Err(Error::BadConfig(format!(
                "{arg:?}: no section {section:?} in the config (give --config FILE, or write ./{arg} for a local path)"
            )));
        }
        let repo = normalise(arg, config, "/")?;
        resolve_location(&repo, config, &options.retry)
    }
}

/// Runs a parsed command; returns the process exit code.
pub async fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Copy { src, dst, common } => copy(&src, &dst, &common).await,
        Command::Check { src, dst, common } => check(&src, &dst, &common).await,
        Command::Cleanup {
            remote,
            max_age,
            config,
            retries,
        } => cleanup(&remote, max_age, config, retries).await,
        Command::Serve(args) => serve(args).await,
        Command::Upload {
            id,
            repo,
            backups,
            common,
        } => transfer(Direction::Upload, &id, &repo, &backups, &common).await,
        Command::Download {
            id,
            repo,
            backups,
            common,
        } => transfer(Direction::Download, &id, &repo, &backups, &common).await,
    }
}

async fn copy(src: &str, dst: &str, common: &Common) -> Result<i32> {
    let options = common.options()?;
    let mut config = None;
    let src = common.location(src, &mut config, &options)?;
    let dst = common.location(dst, &mut config, &options)?;
    let stats = std::sync::Arc::new(Stats::default());
    let mut transfer = Transfer::new(&src, &dst, &options, &*stats);
    transfer.stats = Some(&stats);
    let cancel = transfer.cancel.clone();
    let ctrl_c = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            cancel.cancel();
        }
    });
    let display = progress::Display::start(stats.clone(), common.json, common.no_progress);
    let result = transfer.copy_tree().await;
    display.finish().await;
    ctrl_c.abort();
    let summary = result?;
    let snap = stats.snapshot();
    if common.json {
        let line = serde_json::json!({
            "event": "done", "files": summary.files, "copied": summary.copied,
            "serverSideCopied": summary.server_side_copied, "skipped": summary.skipped,
            "bytes": summary.bytes, "bytesTransferred": snap.bytes_transferred,
            "seconds": snap.elapsed.as_secs_f64(),
        });
        println!("{line}");
    } else {
        eprintln!(
            "{} files ({} copied, {} copied server-side, {} already there), {} in {:.1}s",
            summary.files,
            summary.copied,
            summary.server_side_copied,
            summary.skipped,
            indicatif::HumanBytes(summary.bytes),
            snap.elapsed.as_secs_f64()
        );
    }
    Ok(0)
}

async fn check(src: &str, dst: &str, common: &Common) -> Result<i32> {
    let options = common.options()?;
    let mut config = None;
    let src = common.location(src, &mut config, &options)?;
    let dst = common.location(dst, &mut config, &options)?;
    let report = engine::check(&src, &dst, &options).await?;
    if common.json {
        for d in &report.differences {
            println!(
                "{}",
                serde_json::json!({"event": "difference", "detail": d.to_string()})
            );
        }
        println!(
            "{}",
            serde_json::json!({"event": "done", "matching": report.matching, "differences": report.differences.len()})
        );
    } else {
        for d in &report.differences {
            println!("{d}");
        }
        eprintln!(
            "{} matching files, {} differences",
            report.matching,
            report.differences.len()
        );
    }
    Ok(if report.is_match() { 0 } else { 1 })
}

async fn cleanup(
    remote: &str,
    max_age: std::time::Duration,
    config: Option<PathBuf>,
    retries: Option<usize>,
) -> Result<i32> {
    let common = Common {
        config,
        transfers: None,
        chunk_size: None,
        bwlimit: None,
        retries,
        json: false,
        no_progress: true,
        state_dir: None,
    };
    let options = common.options()?;
    let location = common.location(remote, &mut None, &options)?;
    let report = engine::cleanup(&location, max_age, &options.retry).await?;
    let relative = |key: &str| {
        key.strip_prefix(location.root.as_str())
            .map(|k| k.trim_start_matches('/'))
            .unwrap_or(key)
            .to_owned()
    };
    for u in &report.aborted {
        let begun = u
            .initiated
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default();
        println!(
            "aborted {} (upload {}, begun {begun})",
            relative(&u.key),
            u.upload
        );
    }
    for (u, e) in &report.failed {
        eprintln!("ferry: could not abort {}: {e}", relative(&u.key));
    }
    eprintln!(
        "{} pending uploads aborted, {} younger than {}s kept, {} failed",
        report.aborted.len(),
        report.kept,
        max_age.as_secs(),
        report.failed.len()
    );
    Ok(if report.failed.is_empty() { 0 } else { 1 })
}

async fn serve(args: ServeArgs) -> Result<i32> {
    let mut transfer = Options::default();
    if let Some(t) = args.transfers.filter(|t| *t > 0) {
        transfer.transfers = t;
    }
    let config = ServerConfig {
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
            jwt_secret: args
                .jwt_secret_file
                .as_deref()
                .map(read_secret_file)
                .transpose()?,
            root_password: args
                .password_file
                .as_deref()
                .map(read_secret_file)
                .transpose()?,
        },
    };
    let shutdown = async {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
        }
        eprintln!("ferry: shutting down; running jobs resume at the next start");
    };
    serve_api(config, shutdown).await?;
    Ok(0)
}

/// `ferry upload` / `ferry download`: the API's job, in the foreground.
async fn transfer(
    direction: Direction,
    id: &str,
    repo: &str,
    backups: &BackupArgs,
    common: &Common,
) -> Result<i32> {
    let options = common.options()?;
    let id = BackupId::parse(id).map_err(|e| Error::BadParameter(e.to_string()))?;
    let config = common.config()?;
    let normalised = normalise(repo, &config, &backups.local_path_prefix)?;
    let repository = resolve_location(&normalised, &config, &options.retry)?;
    let stats = std::sync::Arc::new(Stats::default());
    let job = BackupTransfer {
        backups: BackupDir::new(&backups.backup_dir),
        repository,
        id,
        options,
        stats: stats.clone(),
        cancel: tokio_util::sync::CancellationToken::new(),
    };
    let cancel = job.cancel.clone();
    let ctrl_c = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            cancel.cancel();
        }
    });
    let display = progress::Display::start(stats.clone(), common.json, common.no_progress);
    let result = job.run(direction).await;
    display.finish().await;
    ctrl_c.abort();
    match result {
        Ok(summary) => {
            let verb = match direction {
                Direction::Upload => "uploaded",
                Direction::Download => "downloaded",
            };
            if common.json {
                println!(
                    "{}",
                    serde_json::json!({"event": "done", "files": summary.files, "copied": summary.copied,
                    "serverSideCopied": summary.server_side_copied, "skipped": summary.skipped,
                    "bytes": summary.bytes, "bytesTransferred": stats.snapshot().bytes_transferred})
                );
            } else {
                eprintln!(
                    "{verb} backup {}: {} files, {}",
                    job.id,
                    summary.files,
                    indicatif::HumanBytes(summary.bytes)
                );
            }
            Ok(0)
        }
        Err(e) if e.cancelled => Err(Error::Cancelled),
        Err(e) => Err(Error::Other(format!(
            "{} (errorNum {})",
            e.message,
            e.num.code()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_duration;
    use std::time::Duration;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("2w"), Ok(Duration::from_secs(14 * 86_400)));
        for bad in [
            "",
            "h",
            "5x",
            "-1h",
            "1.5h",
            "99999999999999999999w",
            "1h 2m",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }
}
