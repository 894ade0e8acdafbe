//! `ferry lsjson REMOTE`: files and directories as a JSON array, one item a line, in
//! `rclone lsjson`'s fields (`Path`, `Name`, `Size`, `ModTime`, `IsDir`). Top level only
//! unless `-R`. `ModTime` is a file's modification time (rclone's `mtime` metadata on
//! objects, else the store's upload time) in RFC 3339 with nine digits of fraction, as
//! rclone writes it; directories have none (`""`, as rclone writes an unknown time). No
//! `MimeType` is guessed (as rclone's `--no-mimetype`).

use std::io::Write;

use crate::cli::args::LsjsonArgs;
use crate::cli::cmd::dirs::{depth, directories};
use crate::cli::cmd::ls::{modified_times, stdout_failed};
use crate::cli::exit::{Exit, Failure};
use crate::cli::plan::{Resolver, filtered, source};

pub async fn run(args: &LsjsonArgs) -> Result<Exit, Failure> {
    let retry = args.access.retry();
    let place = Resolver::new(args.access.config.clone(), &retry).place(&args.remote)?;
    let (location, files) = source(&place).await?.into_parts();
    let files = filtered(files, &args.filter.filter()?);
    let shown = |path: &str| args.recursive || depth(path) == 1;
    let mut items: Vec<(String, serde_json::Value)> = Vec::new();
    if !args.files_only {
        for dir in directories(&files).keys().filter(|d| shown(d)) {
            items.push((dir.clone(), item(dir, -1, true, None)));
        }
    }
    if !args.dirs_only {
        let files: Vec<_> = files.iter().filter(|f| shown(&f.key)).collect();
        let times = modified_times(&location, files.iter().map(|f| f.key.as_str())).await?;
        for (f, time) in files.into_iter().zip(times) {
            let size = i64::try_from(f.size).unwrap_or(i64::MAX);
            items.push((f.key.clone(), item(&f.key, size, false, time)));
        }
    }
    items.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = std::io::stdout().lock();
    let lines: Vec<String> = items.iter().map(|(_, v)| v.to_string()).collect();
    let body = if lines.is_empty() {
        String::new()
    } else {
        format!("{}\n", lines.join(",\n"))
    };
    write!(out, "[\n{body}]\n").map_err(stdout_failed)?;
    Ok(Exit::Ok)
}

fn item(
    path: &str,
    size: i64,
    is_dir: bool,
    time: Option<chrono::DateTime<chrono::Utc>>,
) -> serde_json::Value {
    let name = path.rsplit('/').next().unwrap_or(path);
    let time = time.map_or(String::new(), ferry::store::mtime::format_rfc3339);
    serde_json::json!({"Path": path, "Name": name, "Size": size, "ModTime": time, "IsDir": is_dir})
}
