//! `ferry completion` and `ferry man`: what they take.

use std::path::PathBuf;

use clap::Args;

/// `ferry completion` arguments.
#[derive(Debug, Args)]
pub struct CompletionArgs {
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
    /// Where to write the script; `-` or none is stdout (rclone writes to the shell's
    /// system directory by default, which needs root: Ferry leaves that to the caller).
    pub output_file: Option<PathBuf>,
}

/// `ferry man` arguments.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write `ferry.1` and `ferry-<command>.1` here instead of `ferry.1` to stdout.
    pub dir: Option<PathBuf>,
}
