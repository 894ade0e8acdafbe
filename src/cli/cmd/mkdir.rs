//! `ferry mkdir REMOTE`: make the directory if it does not exist, as `rclone mkdir`. Local
//! directories are created with their parents. Object stores have no directories, so a path
//! in an existing bucket needs nothing; the bucket itself must exist (Ferry does not create
//! buckets yet), which is checked.

use crate::cli::args::DeleteArgs;
use crate::cli::exit::{Exit, Failure};
use crate::cli::plan::Resolver;

pub async fn run(args: &DeleteArgs) -> Result<Exit, Failure> {
    let retry = args.access.retry();
    let place = Resolver::new(args.access.config.clone(), &retry).place(&args.remote)?;
    if let Some(dir) = &place.local {
        if args.dry_run {
            eprintln!(
                "ferry: {}: Skipped make directory as --dry-run is set",
                dir.display()
            );
            return Ok(Exit::Ok);
        }
        std::fs::create_dir_all(dir).map_err(|e| ferry::Error::io(dir, e))?;
        return Ok(Exit::Ok);
    }
    let location = &place.location;
    // Listing the bucket's root shows whether it exists; the objects are not needed.
    location.backend.list(&location.root).await.map_err(|e| {
        if e.is_not_found() {
            Failure::DirNotFound(format!(
                "{}: the bucket does not exist, and Ferry cannot create buckets yet",
                location.display
            ))
        } else {
            e.into()
        }
    })?;
    Ok(Exit::Ok)
}
