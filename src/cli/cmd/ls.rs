//! `ferry ls REMOTE`: every file below REMOTE with its size, as `rclone ls` prints it.

use crate::cli::args::ListArgs;
use crate::cli::exit::{Exit, Failure};
use crate::cli::plan::{Resolver, filtered, source};

pub async fn run(args: &ListArgs) -> Result<Exit, Failure> {
    let retry = args.access.retry();
    let place = Resolver::new(args.access.config.clone(), &retry).place(&args.remote)?;
    let (_, files) = source(&place).await?.into_parts();
    let files = filtered(files, &args.filter.filter()?);
    let mut out = std::io::stdout().lock();
    for f in files {
        use std::io::Write;
        writeln!(out, "{:>9} {}", f.size, f.key).map_err(stdout_failed)?;
    }
    Ok(Exit::Ok)
}

/// Writing to stdout failed (a closed pipe): an error like any other.
pub fn stdout_failed(e: std::io::Error) -> Failure {
    ferry::Error::io("stdout", e).into()
}
