//! `ferry upload ID REPO` / `ferry download ID REPO`: the API's job, in the foreground.

use std::sync::Arc;

use ferry::Error;
use ferry::backup::{BackupDir, BackupId};
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
        let config = Resolver::new(args.common.access.config.clone(), &options.retry).config()?;
        let normalised =
            normalise(&args.repo, &config, &args.backups.local_path_prefix).map_err(Error::from)?;
        let repository = resolve_location(&normalised, &config, &options.retry)?;
        let stats = Arc::new(Stats::default());
        Ok(Plan {
            direction,
            job: BackupTransfer {
                backups: BackupDir::new(&args.backups.backup_dir),
                repository,
                id,
                options,
                context: engine_context(&args.common, &stats),
            },
            stats,
            output: Output::of(&args.common),
        })
    }
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
