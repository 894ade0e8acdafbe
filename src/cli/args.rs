//! Stage one: what was typed. Only clap definitions live here; nothing is resolved, read or
//! validated beyond a value's syntax. [`super::plan`] turns these into what will run.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use ferry::catalog::{Count, Span};

mod compare;
mod filter;
mod generated;
mod serve;
mod sync;
pub use compare::CompareArgs;
pub use filter::FilterArgs;
pub use generated::{CompletionArgs, ManArgs};
pub use serve::ServeArgs;
pub use sync::{MoveArgs, SyncArgs};

/// Resumable, checksummed, parallel copies between local disk and object stores.
#[derive(Debug, Parser)]
#[command(name = "ferry", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Copy a directory tree from SRC to DST; a rerun resumes and skips what is already there.
    Copy(CopyArgs),
    /// Copy the file SRC to the file name DST; a directory SRC as `copy` (`rclone copyto`).
    Copyto(CopyArgs),
    /// Move SRC's files into DST: each source file is deleted once its copy is verified
    /// (`rclone move`).
    Move(MoveArgs),
    /// Move the file SRC to the file name DST; a directory SRC as `move` (`rclone moveto`).
    Moveto(MoveArgs),
    /// Make DST identical to SRC: copy, then delete at DST what SRC lacks, only once every
    /// copy is verified (`rclone sync`).
    Sync(SyncArgs),
    /// Compare SRC and DST by reading and hashing both; exit 0 only when every file matches.
    Check(CheckArgs),
    /// Abort pending multipart uploads under REMOTE begun more than --max-age ago (what a
    /// killed or failed transfer may leave); like `rclone cleanup`. S3 stores only.
    Cleanup(CleanupArgs),
    /// Serve the ArangoDB-compatible Hot Backup HTTP API.
    Serve(ServeArgs),
    /// Upload local backup ID to repository REPO (`<section>:<path>`), in the foreground.
    Upload(BackupTransferArgs),
    /// Download backup ID from repository REPO into the backup directory, in the foreground.
    Download(BackupTransferArgs),
    /// List every file below REMOTE with its size (`rclone ls`).
    Ls(ListArgs),
    /// List every file below REMOTE with its size, modification time and path (`rclone lsl`).
    Lsl(ListArgs),
    /// List the directories below REMOTE (`rclone lsd`).
    Lsd(LsdArgs),
    /// List files and directories below REMOTE as JSON (`rclone lsjson`).
    Lsjson(LsjsonArgs),
    /// Count the files below REMOTE and their bytes (`rclone size`).
    Size(SizeArgs),
    /// Write the file REMOTE, or every file below it, to stdout (`rclone cat`).
    Cat(ListArgs),
    /// Delete every file below REMOTE, keeping directories (`rclone delete`).
    Delete(DeleteArgs),
    /// Delete REMOTE and everything below it (`rclone purge`).
    Purge(DeleteArgs),
    /// Make the directory REMOTE if it does not exist (`rclone mkdir`).
    Mkdir(DeleteArgs),
    /// Write a completion script for SHELL, generated from these definitions (`rclone
    /// completion`); to stdout unless OUTPUT_FILE is given.
    Completion(CompletionArgs),
    /// Write ferry's manual page (roff) to stdout, or one page per command into DIR.
    Man(ManArgs),
    /// List the backups in repository REPO: id, datetime, files, size, state (complete,
    /// incomplete, damaged).
    Backups(RepoArgs),
    /// Verify backup ID in repository REPO against its SHA256SUMS; exit 0 only when whole.
    Verify(VerifyArgs),
    /// Delete the backups of REPO that a retention policy does not keep (restic's `forget`
    /// rules); --dry-run shows what would go.
    Prune(PruneArgs),
}

/// Two locations and the transfer flags (`copy`, `check`).
#[derive(Debug, Args)]
pub struct CopyArgs {
    /// A directory or one file: local path, `remote:path`, or `:backend,option=value:path`.
    pub src: String,
    /// A directory: local path, `remote:path`, or `:backend,option=value:path`.
    pub dst: String,
    /// Exit 9 when nothing was transferred (everything was there already), as rclone.
    #[arg(long)]
    pub error_on_no_transfer: bool,
    /// Say what would be copied (and deleted), change nothing.
    #[arg(short = 'n', long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub common: Common,
    #[command(flatten)]
    pub filter: FilterArgs,
    #[command(flatten)]
    pub compare: CompareArgs,
}

/// `ferry check` flags.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// A directory: local path, `remote:path`, or `:backend,option=value:path`.
    pub src: String,
    /// A directory: local path, `remote:path`, or `:backend,option=value:path`.
    pub dst: String,
    #[command(flatten)]
    pub common: Common,
}

/// `ferry cleanup` flags.
#[derive(Debug, Args)]
pub struct CleanupArgs {
    /// `<section>:<bucket>[/<path>]` of the config.
    pub remote: String,
    /// Abort only uploads begun longer ago than this: 90s, 30m, 24h, 7d, 1h30m (a bare
    /// number is seconds).
    #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = parse_duration)]
    pub max_age: std::time::Duration,
    #[command(flatten)]
    pub access: Access,
}

/// `ferry upload` / `ferry download`: a backup id, a repository, and the transfer flags.
#[derive(Debug, Args)]
pub struct BackupTransferArgs {
    pub id: String,
    pub repo: String,
    #[command(flatten)]
    pub backups: BackupArgs,
    #[command(flatten)]
    pub common: Common,
    /// Upload only: lock every object of the backup for this long with S3 Object Lock (30d,
    /// 1y); the section's `object_lock_retention`. The bucket must have Object Lock enabled.
    #[arg(long, value_name = "DURATION")]
    pub lock: Option<String>,
    /// The lock's mode: GOVERNANCE (the default) or COMPLIANCE (nobody can delete early).
    #[arg(long, value_name = "MODE", requires = "lock")]
    pub lock_mode: Option<String>,
}

/// A repository and how to reach it (`backups`, `verify`, `prune`).
#[derive(Debug, Args)]
pub struct RepoArgs {
    /// The repository: a local path, or `remote:path` as for `copy`.
    pub repo: String,
    #[command(flatten)]
    pub access: Access,
    /// Print the result as one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `ferry verify` flags.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The backup's id.
    pub id: String,
    #[command(flatten)]
    pub repo: RepoArgs,
    /// Read and hash every byte instead of trusting the hashes the store keeps.
    #[arg(long)]
    pub read_data: bool,
    /// Files read in parallel with --read-data.
    #[arg(long, value_name = "N")]
    pub transfers: Option<usize>,
}

/// `ferry prune` flags: restic's `forget` rules (see `ferry::catalog::policy`).
#[derive(Debug, Args)]
pub struct PruneArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    /// Keep the N newest backups ("unlimited": all).
    #[arg(long, value_name = "N", default_value = "0", value_parser = Count::parse)]
    pub keep_last: Count,
    /// Keep the newest backup of each of the N newest hours that have one.
    #[arg(long, value_name = "N", default_value = "0", value_parser = Count::parse)]
    pub keep_hourly: Count,
    /// Keep the newest backup of each of the N newest days that have one.
    #[arg(long, value_name = "N", default_value = "0", value_parser = Count::parse)]
    pub keep_daily: Count,
    /// Keep the newest backup of each of the N newest ISO weeks that have one.
    #[arg(long, value_name = "N", default_value = "0", value_parser = Count::parse)]
    pub keep_weekly: Count,
    /// Keep the newest backup of each of the N newest months that have one.
    #[arg(long, value_name = "N", default_value = "0", value_parser = Count::parse)]
    pub keep_monthly: Count,
    /// Keep the newest backup of each of the N newest years that have one.
    #[arg(long, value_name = "N", default_value = "0", value_parser = Count::parse)]
    pub keep_yearly: Count,
    /// Keep every backup within this span of the newest one: 30d, 6m (months), 1y2m3d4h.
    #[arg(long, value_name = "SPAN", value_parser = Span::parse)]
    pub keep_within: Option<Span>,
    /// Keep the newest backup of each hour within this span of the newest backup.
    #[arg(long, value_name = "SPAN", value_parser = Span::parse)]
    pub keep_within_hourly: Option<Span>,
    /// Keep the newest backup of each day within this span of the newest backup.
    #[arg(long, value_name = "SPAN", value_parser = Span::parse)]
    pub keep_within_daily: Option<Span>,
    /// Keep the newest backup of each week within this span of the newest backup.
    #[arg(long, value_name = "SPAN", value_parser = Span::parse)]
    pub keep_within_weekly: Option<Span>,
    /// Keep the newest backup of each month within this span of the newest backup.
    #[arg(long, value_name = "SPAN", value_parser = Span::parse)]
    pub keep_within_monthly: Option<Span>,
    /// Keep the newest backup of each year within this span of the newest backup.
    #[arg(long, value_name = "SPAN", value_parser = Span::parse)]
    pub keep_within_yearly: Option<Span>,
    /// Also delete incomplete backups (no META) taken longer ago than this: 90s, 30m, 24h,
    /// 7d (m is minutes here). Without it incomplete backups stay.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub max_age: Option<std::time::Duration>,
    /// Say what would be kept and deleted; delete nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Where the local backups are.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// Directory of the local backups.
    #[arg(long, value_name = "DIR", default_value = "ferry/backups")]
    pub backup_dir: PathBuf,
    /// Local repositories must lie under this path.
    #[arg(long, value_name = "PATH", default_value = "/")]
    pub local_path_prefix: String,
}

/// Flags every transfer command takes.
#[derive(Debug, Args)]
pub struct Common {
    #[command(flatten)]
    pub access: Access,
    /// Files transferred in parallel.
    #[arg(long, value_name = "N")]
    pub transfers: Option<usize>,
    /// Chunk size for large files, e.g. 16M.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub chunk_size: Option<u64>,
    /// Bandwidth limit over all transfers, bytes per second: 50M, 10M:100k (upload:download),
    /// off, or a timetable such as "08:00,512k 19:00,off" (rclone's forms).
    #[arg(long, value_name = "RATE", value_parser = |s: &str| s.parse::<ferry::store::layer::BwTimetable>())]
    pub bwlimit: Option<ferry::store::layer::BwTimetable>,
    /// Print progress and the result as JSON lines on stdout.
    #[arg(long)]
    pub json: bool,
    /// Draw no progress bar.
    #[arg(long)]
    pub no_progress: bool,
    /// Directory for resume journals (default: $FERRY_STATE_DIR or ~/.local/state/ferry).
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
}

/// How to reach remotes: the config file and the retry budget.
#[derive(Debug, Args)]
pub struct Access {
    /// Config file: JSON (the API's `config` object) or rclone's INI. Default: $FERRY_CONFIG,
    /// then rclone's config location.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Retries of a failed request before giving up (backoff with jitter between them).
    #[arg(long, value_name = "N")]
    pub retries: Option<usize>,
}

impl Access {
    /// The retry policy these flags ask for.
    pub fn retry(&self) -> ferry::retry::RetryPolicy {
        let mut retry = ferry::retry::RetryPolicy::default();
        if let Some(r) = self.retries {
            retry.max_retries = r;
        }
        retry
    }
}

/// One location and how to reach it (`ls`, `cat`).
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Local path, `remote:path`, or `:backend,option=value:path`.
    pub remote: String,
    #[command(flatten)]
    pub filter: FilterArgs,
    #[command(flatten)]
    pub access: Access,
}

/// `ferry lsd` flags.
#[derive(Debug, Args)]
pub struct LsdArgs {
    pub remote: String,
    /// All directories below, not only those directly below.
    #[arg(short = 'R', long)]
    pub recursive: bool,
    #[command(flatten)]
    pub filter: FilterArgs,
    #[command(flatten)]
    pub access: Access,
}

/// `ferry lsjson` flags.
#[derive(Debug, Args)]
pub struct LsjsonArgs {
    pub remote: String,
    /// Everything below, not only the top level.
    #[arg(short = 'R', long)]
    pub recursive: bool,
    /// Files only.
    #[arg(long, conflicts_with = "dirs_only")]
    pub files_only: bool,
    /// Directories only.
    #[arg(long)]
    pub dirs_only: bool,
    #[command(flatten)]
    pub filter: FilterArgs,
    #[command(flatten)]
    pub access: Access,
}

/// `ferry size` flags.
#[derive(Debug, Args)]
pub struct SizeArgs {
    pub remote: String,
    /// Print `{"count":…,"bytes":…,"sizeless":0,"fs":…}`, as rclone.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub filter: FilterArgs,
    #[command(flatten)]
    pub access: Access,
}

/// One location and `--dry-run` (`delete`, `purge`, `mkdir`).
#[derive(Debug, Args)]
pub struct DeleteArgs {
    pub remote: String,
    /// Say what would change, change nothing.
    #[arg(short = 'n', long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub access: Access,
}

/// A duration such as `90s`, `30m`, `24h`, `7d`, `2w` or `1h30m` (humantime's units); a bare
/// number is seconds. Spaces and fractions, which humantime also takes, are refused: an
/// argument such as `1h 2m` or `1.5h` is more likely a quoting or unit slip than meant.
fn parse_duration(s: &str) -> std::result::Result<std::time::Duration, String> {
    let bad = |why: String| format!("{s:?} is not a duration such as 30m, 24h or 7d: {why}");
    let s = s.trim();
    if let Ok(secs) = s.parse::<u64>() {
        return Ok(std::time::Duration::from_secs(secs));
    }
    if let Some(c) = s.chars().find(|c| c.is_whitespace() || *c == '.') {
        return Err(bad(format!("{c:?} is not allowed")));
    }
    humantime::parse_duration(s).map_err(|e| bad(e.to_string()))
}

/// A count of at least one.
fn at_least_one(s: &str) -> std::result::Result<usize, String> {
    s.parse::<usize>()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| format!("{s:?} is not a whole number of at least 1"))
}

fn parse_size(s: &str) -> std::result::Result<u64, String> {
    ferry::config::parse_size_str(s).ok_or_else(|| format!("{s:?} is not a size such as 16M"))
}

#[cfg(test)]
mod tests {
    use super::parse_duration;
    use std::time::Duration;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("2w"), Ok(Duration::from_secs(14 * 86_400)));
        // What `ferry cleanup --max-age` documents.
        for (text, secs) in [
            ("90s", 90),
            ("30m", 1800),
            ("24h", 86_400),
            ("7d", 7 * 86_400),
            ("1h30m", 5400),
        ] {
            assert_eq!(
                parse_duration(text),
                Ok(Duration::from_secs(secs)),
                "{text}"
            );
        }
        for bad in [
            "",
            "h",
            "5x",
            "-1h",
            "1.5h",
            "99999999999999999999w",
            "1h 2m",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }
}
