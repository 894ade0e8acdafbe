//! `ferry move`, `moveto` and `sync`: the flags beyond `copy`'s.

use clap::Args;

use super::CopyArgs;

/// `ferry move` / `ferry moveto` flags.
#[derive(Debug, Args)]
pub struct MoveArgs {
    #[command(flatten)]
    pub copy: CopyArgs,
    /// Also remove the directories below SRC that the move left empty (local sources;
    /// object stores have no directories).
    #[arg(long)]
    pub delete_empty_src_dirs: bool,
}

/// `ferry sync` flags.
#[derive(Debug, Args)]
pub struct SyncArgs {
    #[command(flatten)]
    pub copy: CopyArgs,
    /// Delete at most N files at DST; when more would go, delete none and exit 7 (rclone
    /// deletes N, then stops with the same error).
    #[arg(long, value_name = "N")]
    pub max_delete: Option<u64>,
    /// Also delete at DST the files the filters exclude (rclone's `--delete-excluded`).
    #[arg(long)]
    pub delete_excluded: bool,
}
