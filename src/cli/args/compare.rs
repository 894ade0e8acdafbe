//! rclone's flags for what counts as already there (fs/config/configflags: `--checksum`,
//! `--size-only`, `--ignore-times`), typed; the engine's [`Compare`] is what they choose.

use clap::Args;
use ferry::engine::Compare;

/// How a transfer decides that a file at the destination needs no copy.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "What is already there (rclone's)")]
pub struct CompareArgs {
    /// Skip files of the same size and SHA-256 (stored with objects, read from local files),
    /// whatever their modification times; without it, the same size and modification time
    /// skip a file unread (rclone's quick check).
    #[arg(short = 'c', long, conflicts_with_all = ["size_only", "ignore_times"])]
    pub checksum: bool,
    /// Skip files of the same size, whatever their times and content.
    #[arg(long, conflicts_with = "ignore_times")]
    pub size_only: bool,
    /// Copy every file, even one already there.
    #[arg(short = 'I', long)]
    pub ignore_times: bool,
}

impl CompareArgs {
    pub fn compare(&self) -> Compare {
        if self.checksum {
            Compare::Checksum
        } else if self.size_only {
            Compare::SizeOnly
        } else if self.ignore_times {
            Compare::Always
        } else {
            Compare::ModTime
        }
    }
}
