//! `ferry lsd REMOTE`: the directories directly below REMOTE (all of them with `-R`), in
//! `rclone lsd`'s columns: size, time, count, name. Like rclone on bucket stores, size and
//! count are -1; the time is the directory's on local disk, else now.

use std::io::Write;

use crate::cli::args::LsdArgs;
use crate::cli::cmd::dirs::{depth, directories};
use crate::cli::cmd::ls::stdout_failed;
use crate::cli::exit::{Exit, Failure};
use crate::cli::plan::{Resolver, filtered, source};

pub async fn run(args: &LsdArgs) -> Result<Exit, Failure> {
    let retry = args.access.retry();
    let place = Resolver::new(args.access.config.clone(), &retry).place(&args.remote)?;
    let (_, files) = source(&place).await?.into_parts();
    let files = filtered(files, &args.filter.filter()?);
    let now = chrono::Local::now();
    let mut out = std::io::stdout().lock();
    for dir in directories(&files).keys() {
        if !args.recursive && depth(dir) > 1 {
            continue;
        }
        let time = place
            .local
            .as_ref()
            .and_then(|root| std::fs::metadata(root.join(dir)).ok()?.modified().ok())
            .map(chrono::DateTime::<chrono::Local>::from)
            .unwrap_or(now);
        writeln!(
            out,
            "{:>12} {} {:>9} {dir}",
            -1,
            time.format("%Y-%m-%d %H:%M:%S"),
            -1
        )
        .map_err(stdout_failed)?;
    }
    Ok(Exit::Ok)
}
