//! rclone's filter flags (fs/filter/filterflags), typed only; [`ferry::filter`] compiles
//! them, in [`FilterArgs::filter`].

use std::path::PathBuf;

use clap::Args;
use ferry::filter::{Filter, FilterOptions};

use crate::cli::exit::Failure;

/// Which files a command works on, as rclone's `--include`, `--exclude`, `--filter`, ...
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Filters (rclone's)")]
pub struct FilterArgs {
    /// Include files matching this glob, exclude all others (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
    /// Include the globs of this file, one a line (`-`: stdin).
    #[arg(long, value_name = "FILE")]
    pub include_from: Vec<PathBuf>,
    /// Exclude files matching this glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Exclude the globs of this file, one a line (`-`: stdin).
    #[arg(long, value_name = "FILE")]
    pub exclude_from: Vec<PathBuf>,
    /// A rule: `+ GLOB` includes, `- GLOB` excludes, `!` clears the rules so far; the first
    /// rule that matches a path decides (repeatable).
    #[arg(short = 'f', long, value_name = "RULE", allow_hyphen_values = true)]
    pub filter: Vec<String>,
    /// The rules of this file, one a line (`-`: stdin; `#` and `;` start comments).
    #[arg(long, value_name = "FILE")]
    pub filter_from: Vec<PathBuf>,
    /// Only files at least this large (rclone's units: a bare number is KiB; 10M, 100b).
    #[arg(long, value_name = "SIZE", value_parser = super::parse_size)]
    pub min_size: Option<u64>,
    /// Only files at most this large.
    #[arg(long, value_name = "SIZE", value_parser = super::parse_size)]
    pub max_size: Option<u64>,
    /// Globs match regardless of case.
    #[arg(long)]
    pub ignore_case: bool,
}

impl FilterArgs {
    /// The compiled filter; a glob or rule file that does not parse is a usage error.
    pub fn filter(&self) -> Result<Filter, Failure> {
        Filter::new(&FilterOptions {
            include: self.include.clone(),
            include_from: self.include_from.clone(),
            exclude: self.exclude.clone(),
            exclude_from: self.exclude_from.clone(),
            filter: self.filter.clone(),
            filter_from: self.filter_from.clone(),
            min_size: self.min_size,
            max_size: self.max_size,
            ignore_case: self.ignore_case,
        })
        .map_err(Failure::Usage)
    }
}
