//! `ferry delete REMOTE`: remove every file below REMOTE (or the one file it names),
//! keeping directories, as `rclone delete`. `purge` removes the directories too.

use ferry::store::{Location, ObjectInfo};

use crate::cli::args::DeleteArgs;
use crate::cli::exit::{Exit, Failure};
use crate::cli::plan::{Resolver, source};

pub async fn run(args: &DeleteArgs) -> Result<Exit, Failure> {
    let retry = args.access.retry();
    let place = Resolver::new(args.access.config.clone(), &retry).place(&args.remote)?;
    let (location, files) = source(&place).await?.into_parts();
    delete_files(&location, &files, args.dry_run).await?;
    Ok(Exit::Ok)
}

/// Deletes `files` of `location`, or with `dry_run` says on stderr what it would delete,
/// with rclone's words.
pub async fn delete_files(
    location: &Location,
    files: &[ObjectInfo],
    dry_run: bool,
) -> Result<(), Failure> {
    for f in files {
        if dry_run {
            eprintln!(
                "ferry: {}: Skipped delete as --dry-run is set (size {})",
                f.key,
                super::size::byte_unit(f.size)
            );
            continue;
        }
        let key = location.key(&f.key);
        location.backend.delete(&key).await?;
    }
    Ok(())
}
