//! What can be wrong with a backup in a repository: one line each, naming the file.

use serde::Serialize;

use crate::backup::MANIFEST_FILE;

/// One thing wrong with a backup. `Display` is the line printed for it; JSON carries the same
/// line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// About the backup as a whole: `META` or `SHA256SUMS` absent, unreadable, or disagreeing.
    Backup(String),
    /// Listed in `SHA256SUMS`, not in the repository.
    Missing(String),
    /// In the repository, not listed in `SHA256SUMS`.
    NotListed(String),
    /// The store keeps no SHA-256 for the file, so only reading it can tell (`--read-data`).
    NoStoredHash(String),
    /// The file's SHA-256 (stored by the store, or of the data read) is not `SHA256SUMS`'s.
    HashDiffers {
        path: String,
        expected: String,
        actual: String,
        /// The data was read and hashed (else: the store's stored hash disagrees).
        read: bool,
    },
    /// The file could not be read or stat'ed.
    Unreadable { path: String, error: String },
}

impl Problem {
    /// The same problem found in `piece` of a cluster backup: paths become `<piece>/<path>`.
    pub(super) fn within(self, piece: &str) -> Problem {
        let path = |p: String| format!("{piece}/{p}");
        match self {
            Problem::Backup(m) if m.contains(piece) => Problem::Backup(m),
            Problem::Backup(m) => Problem::Backup(format!("{piece}: {m}")),
            Problem::Missing(p) => Problem::Missing(path(p)),
            Problem::NotListed(p) => Problem::NotListed(path(p)),
            Problem::NoStoredHash(p) => Problem::NoStoredHash(path(p)),
            Problem::HashDiffers {
                path: p,
                expected,
                actual,
                read,
            } => Problem::HashDiffers {
                path: path(p),
                expected,
                actual,
                read,
            },
            Problem::Unreadable { path: p, error } => Problem::Unreadable {
                path: path(p),
                error,
            },
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Backup(m) => f.write_str(m),
            Problem::Missing(p) => write!(f, "missing: {p}"),
            Problem::NotListed(p) => write!(f, "not in {MANIFEST_FILE}: {p}"),
            Problem::NoStoredHash(p) => write!(
                f,
                "no stored SHA-256: {p} (written by another tool? --read-data checks its bytes)"
            ),
            Problem::HashDiffers {
                path,
                expected,
                actual,
                read,
            } => {
                let what = if *read {
                    "its data hashes to"
                } else {
                    "the store says"
                };
                write!(
                    f,
                    "content differs: {path}: {MANIFEST_FILE} says sha256 {expected}, {what} {actual}"
                )
            }
            Problem::Unreadable { path, error } => write!(f, "unreadable: {path}: {error}"),
        }
    }
}

impl Serialize for Problem {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}
