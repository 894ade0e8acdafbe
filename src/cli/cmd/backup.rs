//! `ferry upload ID REPO` / `ferry download ID REPO`: the API's job, in the foreground.

use std::sync::Arc;

use ferry::Error;
use ferry::backup::{BackupDir, BackupId};
use ferry::config::{BackendKind, Config, Section};
use ferry::engine::Stats;
use ferry::jobs::{BackupTransfer, Direction};
use ferry::repository::normalise;
use ferry::store::resolve_location;

use crate::cli::args::BackupTransferArgs;
use crate::cli::exit::{Exit, Failure};
use crate::cli::interrupt::CancelOnCtrlC;
use crate::cli::plan::{Output, Resolver, engine_context, engine_options};
use crate::cli::progress;

/// The job `upload`/`download` will run.
#[derive(Debug)]
pub struct Plan {
    pub direction: Direction,
    pub job: BackupTransfer,
    /// What the job's progress reports to.
    pub stats: Arc<Stats>,
    pub output: Output,
}

impl Plan {
    pub fn new(direction: Direction, args: &BackupTransferArgs) -> Result<Plan, Failure> {
        let options = engine_options(&args.common)?;
        let id = BackupId::parse(&args.id).map_err(|e| Error::BadParameter(e.to_string()))?;
        // The API's job form: the repository is `<section>:<path>` of a config whose every
        // section is checked, as the API checks its `config` object.
        let mut config =
            Resolver::new(args.common.access.config.clone(), &options.retry).config()?;
        let normalised =
            normalise(&args.repo, &config, &args.backups.local_path_prefix).map_err(Error::from)?;
        if let Some(period) = &args.lock {
            config.insert(locked_section(
                direction,
                args,
                &config,
                &normalised.section,
                period,
            )?);
        }
        let repository = resolve_location(&normalised, &config, &options.retry)?;
        let stats = Arc::new(Stats::default());
        Ok(Plan {
            direction,
            job: BackupTransfer {
                backups: BackupDir::new(&args.backups.backup_dir),
                repository,
                id,
                piece: None,
                options,
                context: engine_context(&args.common, &stats),
            },
            stats,
            output: Output::of(&args.common),
        })
    }
}

/// The repository's section with `--lock` (and `--lock-mode`) as its Object Lock options.
fn locked_section(
    direction: Direction,
    args: &BackupTransferArgs,
    config: &Config,
    name: &str,
    period: &str,
) -> Result<Section, Failure> {
    let usage = |m: &str| Failure::Usage(m.to_owned());
    if direction != Direction::Upload {
        return Err(usage(
            "--lock is for upload: a download writes no objects to lock",
        ));
    }
    let section = config.section(name).cloned();
    let section = section
        .filter(|s| s.kind == BackendKind::S3)
        .ok_or_else(|| usage("--lock needs an S3 repository (S3 Object Lock)"))?;
    let section = section.with_option("object_lock_retention", period);
    Ok(match &args.lock_mode {
        Some(mode) => section.with_option("object_lock_mode", mode),
        None => section,
    })
}

pub async fn run(plan: Plan) -> Result<Exit, Failure> {
    let Plan {
        direction,
        job,
        stats,
        output,
    } = plan;
    let _ctrl_c = CancelOnCtrlC::new(job.context.cancel().clone());
    let display = progress::Display::start(stats.clone(), output.json, output.no_progress);
    let result = job.run(direction).await;
    display.finish().await;
    let summary = match result {
        Ok(summary) => summary,
        Err(e) if e.is_cancelled() => return Err(Error::Cancelled.into()),
        Err(e) => {
            return Err(Error::Other(format!(
                "{} (errorNum {})",
                e.message,
                e.num(direction).code()
            ))
            .into());
        }
    };
    if output.json {
        println!(
            "{}",
            serde_json::json!({"event": "done", "files": summary.files, "copied": summary.copied,
            "serverSideCopied": summary.server_side_copied, "skipped": summary.skipped,
            "bytes": summary.bytes, "bytesTransferred": stats.snapshot().bytes_transferred})
        );
    } else {
        let verb = match direction {
            Direction::Upload => "uploaded",
            Direction::Download => "downloaded",
        };
        eprintln!(
            "{verb} backup {}: {} files, {}",
            job.id,
            summary.files,
            indicatif::HumanBytes(summary.bytes)
        );
    }
    Ok(Exit::Ok)
}
