//! Remote repository strings, `<section>:<path>`, normalised exactly as ArangoDB does.
//!
//! The rules (docs/hot-backup-api.md §6) decide which bytes of a user's string name a section of
//! the config and which name a place in it; every failure is a [`RepositoryError`] that names the
//! rule broken and becomes errorNum 7008.

use std::fmt;

use crate::config::{BackendKind, Config};

/// Longest repository string accepted; longer input is refused before any work is done.
pub const MAX_LEN: usize = 4096;

/// A normalised repository: a config section and a clean path within it.
///
/// For local sections `path` is absolute (`/` for the root); for object stores it is relative
/// and its first segment is the bucket or container (empty for the root).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repository {
    pub section: String,
    pub path: String,
}

impl fmt::Display for Repository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.section, self.path)
    }
}

/// Why a repository string was refused. Each variant is one rule of docs/hot-backup-api.md §6.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RepositoryError {
    #[error("remote repository must be <section>:<path>: no colon in {0:?}")]
    NoColon(String),
    #[error("remote repository has an empty config section name before the colon")]
    EmptySection,
    #[error("remote repository section name {0:?} must not contain '/'")]
    SlashInSection(String),
    #[error("remote repository section {0:?} is not a key of the config object")]
    UnknownSection(String),
    #[error("remote repository contains a NUL byte")]
    Nul,
    #[error("remote repository is longer than {MAX_LEN} bytes")]
    TooLong,
    #[error("local repository path {0:?} must be absolute (begin with '/')")]
    LocalNotAbsolute(String),
    #[error("local repository path {path:?} is not under the local path prefix {prefix:?}")]
    OutsidePrefix { path: String, prefix: String },
    #[error(
        "local repository path {path:?} leads through a symbolic link to {resolved:?}, which is not under the local path prefix {prefix:?}"
    )]
    LinkOutsidePrefix {
        path: String,
        resolved: String,
        prefix: String,
    },
}

impl From<RepositoryError> for crate::Error {
    fn from(e: RepositoryError) -> Self {
        crate::Error::BadConfig(e.to_string())
    }
}

/// Normalises `input` against the sections of `config`; local paths must lie under `local_prefix`.
pub fn normalise(
    input: &str,
    config: &Config,
    local_prefix: &str,
) -> Result<Repository, RepositoryError> {
    if input.len() > MAX_LEN {
        return Err(RepositoryError::TooLong);
    }
    if input.contains('\0') {
        return Err(RepositoryError::Nul);
    }
    let (section, raw_path) = input
        .split_once(':')
        .ok_or_else(|| RepositoryError::NoColon(input.to_owned()))?;
    if section.is_empty() {
        return Err(RepositoryError::EmptySection);
    }
    if section.contains('/') {
        return Err(RepositoryError::SlashInSection(section.to_owned()));
    }
    let kind = config
        .section(section)
        .map(|s| s.kind)
        .ok_or_else(|| RepositoryError::UnknownSection(section.to_owned()))?;
    let clean = clean_path(raw_path);
    let path = if kind == BackendKind::Local {
        if !raw_path.starts_with('/') {
            return Err(RepositoryError::LocalNotAbsolute(raw_path.to_owned()));
        }
        let path = format!("/{clean}");
        let prefix = format!("/{}", clean_path(local_prefix));
        if !is_under(&path, &prefix) {
            return Err(RepositoryError::OutsidePrefix { path, prefix });
        }
        if let Some(resolved) = resolves_outside(&path, &prefix) {
            return Err(RepositoryError::LinkOutsidePrefix {
                path,
                resolved: resolved.display().to_string(),
                prefix,
            });
        }
        path
    } else {
        clean
    };
    Ok(Repository {
        section: section.to_owned(),
        path,
    })
}

/// Collapses `//`, drops `.`, applies `..` (staying at the root), removes leading and trailing
/// `/`. The result has no leading slash.
pub fn clean_path(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    segments.join("/")
}

/// Where `path` really is, when symbolic links on the way take it out of `prefix` (which
/// it lies under by name): the deepest existing part of `path`, resolved, must still lie
/// under the resolved prefix. A path that does not exist yet is created below that part.
fn resolves_outside(path: &str, prefix: &str) -> Option<std::path::PathBuf> {
    if prefix == "/" {
        return None;
    }
    let real_prefix = std::fs::canonicalize(prefix).ok()?;
    let mut at = std::path::Path::new(path);
    loop {
        if let Ok(real) = std::fs::canonicalize(at) {
            return (!real.starts_with(&real_prefix)).then_some(real);
        }
        at = at.parent()?;
    }
}

/// Whether absolute, clean `path` is `prefix` or below it.
fn is_under(path: &str, prefix: &str) -> bool {
    prefix == "/"
        || path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
}
