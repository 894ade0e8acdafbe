//! The `ferry` command line: what was typed (clap) → what will run (engine calls).

mod progress;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use ferry::config::{Config, default_config_path, load_file};
use ferry::engine::{self, Options, Stats, Transfer};
use ferry::repository::normalise;
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
