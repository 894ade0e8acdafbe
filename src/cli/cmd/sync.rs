//! `ferry sync SRC DST`: make DST hold what SRC holds, as rclone's `sync` (cmd/sync,
//! fs/sync with `--delete-after`, its default): copy first, then delete at DST each file
//! SRC lacks. Nothing is deleted unless every copy succeeded and was verified (rclone:
//! "files in the destination won't be deleted if there were any errors at any point").
//!
//! - A file that fails to copy does not stop the others; then nothing is deleted, the
//!   failures are listed and the run exits 1 (rclone's `not deleting files as there were
//!   IO errors`).
//! - Overlapping SRC and DST are refused before anything happens (exit 7, rclone's
//!   `fs.ErrorOverlapping`).
//! - `--max-delete N`: when more than N files would be deleted, none is, and the run ends
//!   with rclone's `--max-delete threshold reached` (exit 7, a fatal error as in rclone,
//!   which deletes N first; Ferry knows the whole list before deleting, so it deletes none).
//! - `--dry-run` says what would be copied and deleted and changes nothing.
//! - A file SRC is synced alone: nothing else at DST is deleted (as rclone, which then
//!   filters to that one file).
//! - Files the filters exclude are neither copied nor deleted at DST, unless
//!   `--delete-excluded` (rclone's rule).

use std::collections::HashSet;

use ferry::store::ObjectInfo;

use crate::cli::args::SyncArgs;
use crate::cli::cmd::copy::{Plan, Verb, dry_run, failed_exit, no_transfer_exit, report, transfer};
use crate::cli::cmd::delete::delete_files;
use crate::cli::exit::{Exit, Failure};

/// rclone's words (fs/accounting/stats.go, `errMaxDelete`).
pub const MAX_DELETE: &str = "--max-delete threshold reached";

/// rclone's words when a sync had errors (fs/errors.go, `ErrorNotDeleting`).
pub const NOT_DELETING: &str = "not deleting files as there were IO errors";

pub async fn run(args: &SyncArgs) -> Result<Exit, Failure> {
    let plan = Plan::new(&args.copy, Verb::Sync).await?;
    if plan.dry_run {
        dry_run(&plan).await?;
        let extra = extra_at_destination(&plan, args.delete_excluded).await?;
        check_max_delete(args.max_delete, extra.len())?;
        return Ok(delete_files(&plan.dst, &extra, true).await?.exit());
    }
    let summary = transfer(&plan).await?;
    if !summary.failed.is_empty() {
        report(&summary, &plan.stats, plan.output, Some(0));
        eprintln!("ferry: error: {NOT_DELETING}");
        return Ok(failed_exit(&summary).unwrap_or(Exit::Error));
    }
    // Listed after the copy: what the destination holds now, every copy verified in it.
    let extra = extra_at_destination(&plan, args.delete_excluded).await?;
    check_max_delete(args.max_delete, extra.len())?;
    let deleted = delete_files(&plan.dst, &extra, false).await?;
    report(&summary, &plan.stats, plan.output, Some(deleted.deleted));
    match deleted.exit() {
        Exit::Ok => Ok(no_transfer_exit(&plan, &summary)),
        locked => Ok(locked),
    }
}

/// The files at the destination that the source lacks; none for a single-file source.
/// Files the filters exclude stay, unless `delete_excluded` (rclone's `--delete-excluded`).
async fn extra_at_destination(
    plan: &Plan,
    delete_excluded: bool,
) -> Result<Vec<ObjectInfo>, Failure> {
    if plan.single_file {
        return Ok(Vec::new());
    }
    let wanted: HashSet<&str> = plan.files.iter().map(|f| f.key.as_str()).collect();
    let mut there = plan.dst.backend.list(&plan.dst.root).await?;
    there.retain(|o| {
        !wanted.contains(o.key.as_str()) && (delete_excluded || plan.filter.include(&o.key, o.size))
    });
    Ok(there)
}

fn check_max_delete(max: Option<u64>, needed: usize) -> Result<(), Failure> {
    match max {
        Some(max) if needed as u64 > max => Err(Failure::Fatal(format!(
            "{MAX_DELETE}: {needed} files to delete, --max-delete {max}; nothing deleted"
        ))),
        _ => Ok(()),
    }
}
