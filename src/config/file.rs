//! Finding and reading the CLI's config file.

use std::path::{Path, PathBuf};

use super::Config;
use crate::{Error, Result};

/// `$FERRY_CONFIG`, else rclone's own default location, so a user's existing `rclone.conf` works.
pub fn default_config_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("FERRY_CONFIG") {
        return Some(PathBuf::from(p));
    }
    if let Some(p) = std::env::var_os("RCLONE_CONFIG") {
        return Some(PathBuf::from(p));
    }
    let config_home = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    let candidate = config_home.join("rclone").join("rclone.conf");
    if candidate.exists() {
        return Some(candidate);
    }
    let legacy = PathBuf::from(std::env::var_os("HOME")?).join(".rclone.conf");
    legacy.exists().then_some(legacy)
}

/// Reads a config file: a JSON object (the API's `config` form) or rclone's INI format.
pub fn load_file(path: &Path) -> Result<Config> {
    let located = |e: Error| match e {
        Error::BadConfig(m) => Error::BadConfig(format!("{}: {m}", path.display())),
        other => other,
    };
    Config::from_raw(super::file_sections(path)?).map_err(located)
}
