//! `ferry move SRC DST` and `ferry moveto SRC DST`: copy as `copy` / `copyto` do, then
//! delete each source file, as rclone's `move` (cmd/move, fs/sync's `DoMove`). Nothing is
//! deleted unless every copy succeeded and was verified at the destination, and each file
//! is looked at there once more (size and stored SHA-256) right before its source goes.
//! Overlapping SRC and DST are refused (exit 7), as rclone refuses them. When some files
//! fail to copy the others are copied, and no source file is deleted (rclone deletes the
//! sources of those that were moved; a rerun of Ferry's does that).

use std::path::Path;

use ferry::engine::{FileSpec, Summary};

use crate::cli::args::MoveArgs;
use crate::cli::cmd::copy::{Plan, Verb, dry_run, failed_exit, no_transfer_exit, report, transfer};
use crate::cli::exit::{Exit, Failure};

/// `verb`: [`Verb::Move`] or [`Verb::MoveTo`].
pub async fn run(args: &MoveArgs, verb: Verb) -> Result<Exit, Failure> {
    let plan = Plan::new(&args.copy, verb).await?;
    if plan.dry_run {
        dry_run(&plan).await?;
        for f in &plan.files {
            eprintln!(
                "ferry: {}: Skipped delete as --dry-run is set (moved)",
                f.key
            );
        }
        return Ok(Exit::Ok);
    }
    let summary = transfer(&plan).await?;
    if !summary.failed.is_empty() {
        report(&summary, &plan.stats, plan.output, Some(0));
        eprintln!("ferry: error: not deleting source files as some failed to copy");
        return Ok(failed_exit(&summary).unwrap_or(Exit::Error));
    }
    for f in &plan.files {
        still_at_destination(&plan, &summary, f).await?;
        plan.src.backend.delete(&plan.src.key(&f.key)).await?;
    }
    if args.delete_empty_src_dirs
        && !plan.single_file
        && let Some(root) = &plan.places.0.local
    {
        remove_empty_dirs(root)?;
    }
    report(
        &summary,
        &plan.stats,
        plan.output,
        Some(plan.files.len() as u64),
    );
    Ok(no_transfer_exit(&plan, &summary))
}

/// The copy of `f` is at the destination with its size and, where the store keeps it, the
/// SHA-256 the transfer verified: the last look before its source is deleted.
async fn still_at_destination(plan: &Plan, summary: &Summary, f: &FileSpec) -> Result<(), Failure> {
    let key = plan.dst.key(&f.key);
    let gone = || {
        Failure::Ferry(ferry::Error::Other(format!(
            "{}/{}: not at the destination as copied; the source stays",
            plan.dst.display, f.key
        )))
    };
    let stat = plan.dst.backend.stat(&key).await?.ok_or_else(gone)?;
    let expected = summary.sha256.get(&f.key);
    let sha_ok = match (&stat.sha256, expected) {
        (Some(stored), Some(expected)) => stored == expected,
        _ => true,
    };
    if stat.size != f.size || !sha_ok || expected.is_none() {
        return Err(gone());
    }
    Ok(())
}

/// Removes the directories below `root` that are empty (deepest first), keeping `root`,
/// as rclone's `--delete-empty-src-dirs`.
pub fn remove_empty_dirs(root: &Path) -> Result<(), Failure> {
    let mut dirs: Vec<std::path::PathBuf> = walkdir::WalkDir::new(root)
        .min_depth(1)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_dir())
        .map(|e| e.into_path())
        .collect();
    dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
    for dir in dirs {
        let empty = std::fs::read_dir(&dir)
            .map_err(|e| ferry::Error::io(&dir, e))?
            .next()
            .is_none();
        if empty {
            std::fs::remove_dir(&dir).map_err(|e| ferry::Error::io(&dir, e))?;
        }
    }
    Ok(())
}
