//! `ferry lsjson REMOTE`: files and directories as a JSON array, one item a line, in
//! `rclone lsjson`'s fields (`Path`, `Name`, `Size`, `ModTime`, `IsDir`). Top level only
//! unless `-R`. Ferry keeps no modification times yet, so `ModTime` is `""` as rclone writes
//! an unknown time, and no `MimeType` is guessed (as rclone's `--no-mimetype`).

use std::io::Write;

use crate::cli::args::LsjsonArgs;
use crate::cli::cmd::dirs::{depth, directories};
use crate::cli::cmd::ls::stdout_failed;
use crate::cli::exit::{Exit, Failure};
use crate::cli::plan::{Resolver, filtered, source};

pub async fn run(args: &LsjsonArgs) -> Result<Exit, Failure> {
    let retry = args.access.retry();
    let place = Resolver::new(args.access.config.clone(), &retry).place(&args.remote)?;
    let (_, files) = source(&place).await?.into_parts();
    let files = filtered(files, &args.filter.filter()?);
    let shown = |path: &str| args.recursive || depth(path) == 1;
    let mut items: Vec<(String, serde_json::Value)> = Vec::new();
    if !args.files_only {
        for dir in directories(&files).keys().filter(|d| shown(d)) {
            items.push((dir.clone(), item(dir, -1, true)));
        }
    }
    if !args.dirs_only {
        for f in files.iter().filter(|f| shown(&f.key)) {
            let size = i64::try_from(f.size).unwrap_or(i64::MAX);
            items.push((f.key.clone(), item(&f.key, size, false)));
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

fn item(path: &str, size: i64, is_dir: bool) -> serde_json::Value {
    let name = path.rsplit('/').next().unwrap_or(path);
    serde_json::json!({"Path": path, "Name": name, "Size": size, "ModTime": "", "IsDir": is_dir})
}
