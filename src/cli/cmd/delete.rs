//! `ferry delete REMOTE`: remove every file below REMOTE (or the one file it names),
//! keeping directories, as `rclone delete`. `purge` removes the directories too.
//!
//! Unlike rclone, an object under a retention lock (S3 Object Lock) is left and named: on a
//! bucket with Object Lock a DELETE of a locked object "succeeds" by adding a delete marker,
//! so the object would vanish from listings while staying stored, and the run would look
//! like a deletion that did not happen (`src/store/retention.rs`).

use ferry::store::{Location, ObjectInfo};

use crate::cli::args::DeleteArgs;
use crate::cli::exit::{Exit, Failure};
use crate::cli::plan::{Resolver, source};

pub async fn run(args: &DeleteArgs) -> Result<Exit, Failure> {
    let retry = args.access.retry();
    let place = Resolver::new(args.access.config.clone(), &retry).place(&args.remote)?;
    let (location, files) = source(&place).await?.into_parts();
    Ok(delete_files(&location, &files, args.dry_run).await?.exit())
}

/// What [`delete_files`] did.
#[derive(Debug, Clone, Copy, Default)]
pub struct Deletion {
    /// Files deleted (none in a dry run).
    pub deleted: u64,
    /// Files a real run was to delete and left because a retention lock holds them.
    pub locked: u64,
}

impl Deletion {
    /// Exit 1 when a lock kept a file (each was named already on stderr), else 0.
    pub fn exit(&self) -> Exit {
        if self.locked > 0 {
            Exit::Error
        } else {
            Exit::Ok
        }
    }
}

/// Deletes `files` of `location`, or with `dry_run` says on stderr what it would delete,
/// with rclone's words. A file under a retention lock is left and named with its date, in
/// a dry run too; the others are deleted.
pub async fn delete_files(
    location: &Location,
    files: &[ObjectInfo],
    dry_run: bool,
) -> Result<Deletion, Failure> {
    let now = chrono::Utc::now();
    let mut done = Deletion::default();
    for f in files {
        let key = location.key(&f.key);
        let lock = location.backend.retention(&key).await?;
        if let Some(lock) = lock.filter(|r| r.holds_at(now)) {
            let verdict = if dry_run {
                "would not delete"
            } else {
                "not deleted"
            };
            eprintln!(
                "ferry: {}: {verdict}: locked until {} ({} retention): Object Lock keeps it",
                f.key,
                lock.until
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                lock.mode
            );
            done.locked += u64::from(!dry_run);
            continue;
        }
        if dry_run {
            eprintln!(
                "ferry: {}: Skipped delete as --dry-run is set (size {})",
                f.key,
                super::size::byte_unit(f.size)
            );
            continue;
        }
        location.backend.delete(&key).await?;
        done.deleted += 1;
    }
    if done.locked > 0 {
        eprintln!(
            "ferry: {} of {} files not deleted: Object Lock keeps them",
            done.locked,
            files.len()
        );
    }
    Ok(done)
}
