//! `ferry copy SRC DST`: copy a tree; a rerun resumes and skips what is already there.

use std::sync::Arc;

use ferry::Result;
use ferry::engine::{Context, Options, Stats, Summary, Transfer};
use ferry::store::Location;

use crate::cli::args::CopyArgs;
use crate::cli::exit::Exit;
use crate::cli::interrupt::CancelOnCtrlC;
use crate::cli::plan::{Output, Remotes, engine_context, engine_options};
use crate::cli::progress;

/// What `copy` will do.
#[derive(Debug)]
pub struct Plan {
    pub src: Location,
    pub dst: Location,
    pub options: Options,
    pub context: Context,
    /// What the context's progress reports to.
    pub stats: Arc<Stats>,
    pub output: Output,
}

impl Plan {
    pub fn new(args: &CopyArgs) -> Result<Plan> {
        let options = engine_options(&args.common)?;
        let mut remotes = Remotes::new(args.common.config.clone(), &options.retry);
        let stats = Arc::new(Stats::default());
        Ok(Plan {
            src: remotes.location(&args.src)?,
            dst: remotes.location(&args.dst)?,
            options,
            context: engine_context(&args.common, &stats),
            stats,
            output: Output::of(&args.common),
        })
    }
}

pub async fn run(plan: Plan) -> Result<Exit> {
    let stats = plan.stats.clone();
    let _ctrl_c = CancelOnCtrlC::new(plan.context.cancel().clone());
    let transfer = Transfer::new(&plan.src, &plan.dst, &plan.options, plan.context.clone());
    let display =
        progress::Display::start(stats.clone(), plan.output.json, plan.output.no_progress);
    let result = transfer.copy_tree().await;
    display.finish().await;
    report(&result?, &stats, plan.output);
    Ok(Exit::Ok)
}

/// The final line of a copy: JSON with `--json`, else one sentence on stderr.
pub fn report(summary: &Summary, stats: &Stats, output: Output) {
    let snap = stats.snapshot();
    if output.json {
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
}
