//! `ferry copy SRC DST`: copy a tree, or the one file SRC names, into the directory DST; a
//! rerun resumes and skips what is already there. `ferry copyto` is the same, except that a
//! file SRC is copied to the file name DST (rclone's `copyto`, cmd/copyto). `move`, `moveto`
//! and `sync` build on this plan and run it with [`transfer`].

use std::sync::Arc;

use ferry::engine::{
    Budget, Compare, Context, FileSpec, Options, Stats, Summary, Transfer, hash_object,
};
use ferry::store::Location;

use crate::cli::args::CopyArgs;
use crate::cli::exit::{Exit, Failure};
use crate::cli::interrupt::{Interrupted, Interrupts};
use crate::cli::overlap::refuse_overlap;
use crate::cli::plan::{
    Output, Place, Resolver, Source, engine_context, engine_options, file_target, filtered, source,
};
use crate::cli::progress;
use crate::cli::renamed::renamed;

/// Which command plans: how a file SRC maps to DST, and whether anything gets deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Copy,
    CopyTo,
    Move,
    MoveTo,
    Sync,
}

impl Verb {
    /// A file SRC goes to the file name DST (rclone's `copyto`, `moveto`).
    fn to_file(self) -> bool {
        matches!(self, Verb::CopyTo | Verb::MoveTo)
    }

    /// Deletes the source.
    fn moves(self) -> bool {
        matches!(self, Verb::Move | Verb::MoveTo)
    }

    /// Deletes at SRC or DST: overlapping places are refused.
    fn deletes(self) -> bool {
        matches!(self, Verb::Move | Verb::MoveTo | Verb::Sync)
    }
}

/// What `copy` will do: these files of `src`, to the same keys below `dst`.
#[derive(Debug)]
pub struct Plan {
    pub src: Location,
    pub files: Vec<FileSpec>,
    pub dst: Location,
    /// SRC and DST as typed, resolved.
    pub places: (Place, Place),
    /// SRC named one file, not a directory.
    pub single_file: bool,
    /// The filters `files` passed: `sync` leaves what they exclude at DST alone.
    pub filter: ferry::filter::Filter,
    pub options: Options,
    pub context: Context,
    /// What the context's progress reports to.
    pub stats: Arc<Stats>,
    pub output: Output,
    pub error_on_no_transfer: bool,
    pub dry_run: bool,
}

impl Plan {
    /// Resolves both places, refuses overlapping ones for a command that deletes (exit 7,
    /// before anything is listed), and lists the source (a missing one is exit 3, never an
    /// empty copy).
    pub async fn new(args: &CopyArgs, verb: Verb) -> Result<Plan, Failure> {
        let mut options = engine_options(&args.common)?;
        options.compare = match args.compare.compare() {
            // A move deletes its source only once the copy is known by its SHA-256.
            Compare::ModTime | Compare::SizeOnly if verb.moves() => Compare::Checksum,
            compare => compare,
        };
        let mut resolver = Resolver::new(args.common.access.config.clone(), &options.retry);
        let src_place = resolver.place(&args.src)?;
        let dst_place = resolver.place(&args.dst)?;
        if verb.deletes() {
            refuse_overlap(&src_place, &dst_place)?;
        }
        let filter = args.filter.filter()?;
        let found = source(&src_place).await?;
        let single_file = matches!(found, Source::File { .. });
        let (src, files, dst) = match found {
            Source::File { parent, mut file } if verb.to_file() => {
                let (dst, name) = file_target(&dst_place)?;
                let src = renamed(&parent, &file.key, &name);
                let included = filter.include(&file.key, file.size);
                file.key = name;
                (src, if included { vec![file] } else { vec![] }, dst)
            }
            found => {
                let (src, files) = found.into_parts();
                (src, filtered(files, &filter), dst_place.location.clone())
            }
        };
        let files = files.into_iter().map(FileSpec::from).collect();
        let stats = Arc::new(Stats::default());
        Ok(Plan {
            src,
            files,
            dst,
            places: (src_place, dst_place),
            single_file,
            filter,
            options,
            context: engine_context(&args.common, &stats),
            stats,
            output: Output::of(&args.common),
            error_on_no_transfer: args.error_on_no_transfer,
            dry_run: args.dry_run,
        })
    }
}

pub async fn run(plan: Plan) -> Result<Exit, Failure> {
    if plan.dry_run {
        dry_run(&plan).await?;
        return Ok(Exit::Ok);
    }
    let summary = transfer(&plan).await?;
    report(&summary, &plan.stats, plan.output, None);
    Ok(failed_exit(&summary).unwrap_or_else(|| no_transfer_exit(&plan, &summary)))
}

/// The files a run could not copy, each on a line of stderr in rclone's words (`<file>:
/// Failed to copy: <error>`), then how many: exit 1, as rclone ends a run with errors.
/// `None` when every file was copied.
pub fn failed_exit(summary: &Summary) -> Option<Exit> {
    if summary.failed.is_empty() {
        return None;
    }
    for f in &summary.failed {
        eprintln!("ferry: error: {}: Failed to copy: {}", f.key, f.error);
    }
    let n = summary.failed.len();
    eprintln!(
        "ferry: error: {n} file{} failed to copy, the others were copied",
        if n == 1 { "" } else { "s" }
    );
    Some(Exit::Error)
}

/// Exit 9 for `--error-on-no-transfer` when nothing was sent.
pub fn no_transfer_exit(plan: &Plan, summary: &Summary) -> Exit {
    if plan.error_on_no_transfer && summary.copied + summary.server_side_copied == 0 {
        return Exit::NoFilesTransferred;
    }
    Exit::Ok
}

/// Copies the plan's files, drawing progress; a file that fails does not stop the others
/// (rclone's way). Every file not in [`Summary::failed`] is at the destination and verified
/// there (the engine's stage → verify → publish, or found present with the same SHA-256):
/// `sync` and `move` delete only when that list is empty. SIGINT or SIGTERM stops the copy
/// where it is and keeps its journal and uploads for a rerun to resume (see
/// [`crate::cli::interrupt`]).
pub async fn transfer(plan: &Plan) -> Result<Summary, Failure> {
    let stats = plan.stats.clone();
    let mut interrupts = Interrupts::listen();
    let transfer =
        Transfer::new(&plan.src, &plan.dst, &plan.options, plan.context.clone()).keep_going();
    let display =
        progress::Display::start(stats.clone(), plan.output.json, plan.output.no_progress);
    let result = tokio::select! {
        r = transfer.copy_files(plan.files.clone()) => r.map_err(Failure::from),
        signal = interrupts.next() => Err(Failure::Interrupted(Box::new(Interrupted::new(
            signal,
            stats.snapshot(),
            &plan.dst,
        )))),
    };
    display.finish().await;
    result
}

/// `--dry-run`: says, with rclone's words, each file that a copy would send, and sends
/// nothing. A file is sent unless the destination has one of the same size and SHA-256
/// (stored with the objects, or read from local files, as the copy itself decides); where
/// neither side can tell its SHA-256 without downloading, it counts as sent.
pub async fn dry_run(plan: &Plan) -> Result<(), Failure> {
    let there: std::collections::HashMap<String, u64> = plan
        .dst
        .backend
        .list(&plan.dst.root)
        .await?
        .into_iter()
        .map(|o| (o.key, o.size))
        .collect();
    let budget = Budget::new(plan.options.max_in_flight);
    let compare = plan.options.compare;
    for f in &plan.files {
        let same = compare != Compare::Always
            && there.get(&f.key) == Some(&f.size)
            && (compare == Compare::SizeOnly
                || (compare == Compare::ModTime && same_modified(plan, &f.key).await?)
                || {
                    let src = known_sha256(&plan.src, &f.key, &budget).await?;
                    let dst = known_sha256(&plan.dst, &f.key, &budget).await?;
                    src.is_some() && src == dst
                });
        if !same {
            eprintln!(
                "ferry: {}: Skipped copy as --dry-run is set (size {})",
                f.key,
                super::size::byte_unit(f.size)
            );
        }
    }
    Ok(())
}

/// Both sides know the file's modification time, and it is the same (rclone's quick check).
async fn same_modified(plan: &Plan, key: &str) -> Result<bool, Failure> {
    let src = plan.src.backend.stat(&plan.src.key(key)).await?;
    let dst = plan.dst.backend.stat(&plan.dst.key(key)).await?;
    let modified = |s: Option<ferry::store::Stat>| s.and_then(|s| s.modified);
    let src = modified(src);
    Ok(src.is_some() && src == modified(dst))
}

/// A file's SHA-256 where it is cheap to know: stored with the object, or read from a
/// local file.
async fn known_sha256(
    at: &Location,
    key: &str,
    budget: &Budget,
) -> Result<Option<String>, Failure> {
    let Some(stat) = at.backend.stat(&at.key(key)).await? else {
        return Ok(None);
    };
    if stat.sha256.is_some() || !at.capabilities().local {
        return Ok(stat.sha256);
    }
    let sha = hash_object(at, key, stat.size, stat.etag.as_deref(), budget).await?;
    Ok(Some(sha))
}

/// The final line of a copy: JSON with `--json`, else one sentence on stderr. `deleted`:
/// what `sync` or `move` deleted afterwards.
pub fn report(summary: &Summary, stats: &Stats, output: Output, deleted: Option<u64>) {
    let snap = stats.snapshot();
    if output.json {
        let mut line = serde_json::json!({
            "event": "done", "files": summary.files, "copied": summary.copied,
            "serverSideCopied": summary.server_side_copied, "skipped": summary.skipped,
            "failed": summary.failed.len(),
            "bytes": summary.bytes, "bytesTransferred": snap.bytes_transferred,
            "seconds": snap.elapsed.as_secs_f64(),
        });
        if let Some(d) = deleted {
            line["deleted"] = d.into();
        }
        println!("{line}");
    } else {
        let mut deleted = deleted.map_or(String::new(), |d| format!(", {d} deleted"));
        if !summary.failed.is_empty() {
            deleted.push_str(&format!(", {} failed", summary.failed.len()));
        }
        eprintln!(
            "{} files ({} copied, {} copied server-side, {} already there{deleted}), {} in {:.1}s",
            summary.files,
            summary.copied,
            summary.server_side_copied,
            summary.skipped,
            indicatif::HumanBytes(summary.bytes),
            snap.elapsed.as_secs_f64()
        );
    }
}
