//! `ferry purge REMOTE`: remove REMOTE and everything below it, as `rclone purge` (which,
//! unlike `delete`, takes the directories too). On object stores, where directories are
//! only key prefixes, that is every object below; the bucket itself stays.

use crate::cli::args::DeleteArgs;
use crate::cli::cmd::delete::delete_files;
use crate::cli::exit::{Exit, Failure};
use crate::cli::plan::{Resolver, Source, source};

pub async fn run(args: &DeleteArgs) -> Result<Exit, Failure> {
    let retry = args.access.retry();
    let place = Resolver::new(args.access.config.clone(), &retry).place(&args.remote)?;
    let (location, files) = match source(&place).await? {
        Source::File { .. } => {
            return Err(Failure::Usage(format!(
                "{} is a file: purge removes directories (use delete)",
                place.location.display
            )));
        }
        tree => tree.into_parts(),
    };
    let deleted = delete_files(&location, &files, args.dry_run).await?;
    if let Some(dir) = &place.local {
        if args.dry_run {
            eprintln!(
                "ferry: {}: Skipped remove directory as --dry-run is set",
                dir.display()
            );
        } else {
            std::fs::remove_dir_all(dir).map_err(|e| ferry::Error::io(dir, e))?;
        }
    }
    Ok(deleted.exit())
}
