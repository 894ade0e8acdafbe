//! `ferry cat REMOTE`: a file's bytes on stdout; for a directory, every file below it, one
//! after another in key order (as `rclone cat`). Read in chunks, each pinned to the version
//! the file had when it was first asked for, so a file replaced meanwhile fails instead of
//! mixing.

use std::io::Write;

use crate::cli::args::ListArgs;
use crate::cli::cmd::ls::stdout_failed;
use crate::cli::exit::{Exit, Failure};
use crate::cli::plan::{Resolver, filtered, source};

/// Bytes asked for in one request.
const CHUNK: u64 = 8 << 20;

pub async fn run(args: &ListArgs) -> Result<Exit, Failure> {
    let retry = args.access.retry();
    let place = Resolver::new(args.access.config.clone(), &retry).place(&args.remote)?;
    let (location, files) = source(&place).await?.into_parts();
    let files = filtered(files, &args.filter.filter()?);
    let mut out = std::io::stdout().lock();
    for f in files {
        let key = location.key(&f.key);
        let stat = location
            .backend
            .stat(&key)
            .await?
            .ok_or_else(|| Failure::FileNotFound(format!("{}/{}", location.display, f.key)))?;
        let mut at = 0;
        while at < stat.size {
            let end = (at + CHUNK).min(stat.size);
            let data = location
                .backend
                .get_range(&key, at..end, stat.etag.as_deref())
                .await?;
            out.write_all(&data).map_err(stdout_failed)?;
            at = end;
        }
    }
    out.flush().map_err(stdout_failed)?;
    Ok(Exit::Ok)
}
