//! `ferry ls REMOTE`: every file below REMOTE with its size, as `rclone ls` prints it;
//! `ferry lsl REMOTE` with its modification time too, as `rclone lsl`.

use chrono::{DateTime, Utc};
use futures::StreamExt;

use ferry::store::Location;

use crate::cli::args::ListArgs;
use crate::cli::exit::{Exit, Failure};
use crate::cli::plan::{Resolver, filtered, source};

/// `long`: `lsl`, with the times.
pub async fn run(args: &ListArgs, long: bool) -> Result<Exit, Failure> {
    let retry = args.access.retry();
    let place = Resolver::new(args.access.config.clone(), &retry).place(&args.remote)?;
    let (location, files) = source(&place).await?.into_parts();
    let files = filtered(files, &args.filter.filter()?);
    let times = if long {
        modified_times(&location, files.iter().map(|f| f.key.as_str())).await?
    } else {
        vec![None; files.len()]
    };
    let mut out = std::io::stdout().lock();
    for (f, time) in files.iter().zip(times) {
        use std::io::Write;
        if long {
            // rclone's layout: local time, nine digits of fraction.
            let time = time.map_or_else(
                || "-".repeat(29),
                |t| {
                    t.with_timezone(&chrono::Local)
                        .format("%Y-%m-%d %H:%M:%S%.9f")
                        .to_string()
                },
            );
            writeln!(out, "{:>9} {time} {}", f.size, f.key).map_err(stdout_failed)?;
        } else {
            writeln!(out, "{:>9} {}", f.size, f.key).map_err(stdout_failed)?;
        }
    }
    Ok(Exit::Ok)
}

/// The modification time of each file (`None` where the store knows none), in order. A
/// listing carries no times, so each is a look at the file, as in rclone (where S3 keeps
/// the time in metadata, only a HEAD tells it), a few at a time.
pub async fn modified_times<'a>(
    location: &Location,
    keys: impl Iterator<Item = &'a str>,
) -> Result<Vec<Option<DateTime<Utc>>>, Failure> {
    let looks = keys.map(|key| async move {
        let stat = location.backend.stat(&location.key(key)).await?;
        Ok::<_, ferry::Error>(stat.and_then(|s| s.modified))
    });
    let times: Vec<_> = futures::stream::iter(looks).buffered(16).collect().await;
    Ok(times.into_iter().collect::<Result<_, _>>()?)
}

/// Writing to stdout failed (a closed pipe): an error like any other.
pub fn stdout_failed(e: std::io::Error) -> Failure {
    ferry::Error::io("stdout", e).into()
}
