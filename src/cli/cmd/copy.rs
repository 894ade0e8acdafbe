//! `ferry copy SRC DST`: copy a tree, or the one file SRC names, into the directory DST; a
//! rerun resumes and skips what is already there.

use std::sync::Arc;

use ferry::engine::{Context, FileSpec, Options, Stats, Summary, Transfer};
use ferry::store::Location;

use crate::cli::args::CopyArgs;
use crate::cli::exit::{Exit, Failure};
use crate::cli::interrupt::CancelOnCtrlC;
use crate::cli::plan::{Output, Resolver, engine_context, engine_options, source};
use crate::cli::progress;

/// What `copy` will do: these files of `src`, to the same keys below `dst`.
#[derive(Debug)]
pub struct Plan {
    pub src: Location,
    pub files: Vec<FileSpec>,
    pub dst: Location,
    pub options: Options,
    pub context: Context,
    /// What the context's progress reports to.
    pub stats: Arc<Stats>,
    pub output: Output,
    pub error_on_no_transfer: bool,
}

impl Plan {
    /// Resolves both places and lists the source (a missing one is exit 3, never an empty
    /// copy).
    pub async fn new(args: &CopyArgs) -> Result<Plan, Failure> {
        let options = engine_options(&args.common)?;
        let mut resolver = Resolver::new(args.common.access.config.clone(), &options.retry);
        let src = resolver.place(&args.src)?;
        let dst = resolver.place(&args.dst)?;
        let (src, files) = source(&src).await?.into_parts();
        let files = files
            .into_iter()
            .map(|o| FileSpec {
                key: o.key,
                size: o.size,
                sha256: None,
            })
            .collect();
        let stats = Arc::new(Stats::default());
        Ok(Plan {
            src,
            files,
            dst: dst.location,
            options,
            context: engine_context(&args.common, &stats),
            stats,
            output: Output::of(&args.common),
            error_on_no_transfer: args.error_on_no_transfer,
        })
    }
}

pub async fn run(plan: Plan) -> Result<Exit, Failure> {
    let stats = plan.stats.clone();
    let _ctrl_c = CancelOnCtrlC::new(plan.context.cancel().clone());
    let transfer = Transfer::new(&plan.src, &plan.dst, &plan.options, plan.context.clone());
    let display =
        progress::Display::start(stats.clone(), plan.output.json, plan.output.no_progress);
    let result = transfer.copy_files(plan.files).await;
    display.finish().await;
    let summary = result?;
    report(&summary, &stats, plan.output);
    if plan.error_on_no_transfer && summary.copied + summary.server_side_copied == 0 {
        return Ok(Exit::NoFilesTransferred);
    }
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
