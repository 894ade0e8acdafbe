//! The kinds of failure callers act on.
//!
//! Every failure that can reach a user (CLI line, HTTP envelope, job status) passes through
//! [`Error`], or [`crate::backup::BackupError`] for local hot backups; both say their
//! [`ErrorKind`]. Which ArangoDB error number and HTTP status a kind becomes is decided in
//! one place, the table in [`crate::error_table`], not here. Their
//! `Display` never contains a credential: secrets live in [`crate::secret::Secret`] and are
//! redacted before an error is built, and remote messages are passed through
//! [`crate::secret::scrub`] on the way in.

use std::path::PathBuf;

/// What a caller decides on. A failure has exactly one kind; the message says the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// A repository string or config section that cannot be used.
    BadConfig,
    /// A value given by the caller (request, command line) or met in the data that cannot
    /// be used as it is.
    BadParameter,
    /// A backup id that cannot be one (path tricks, too long): it names no backup.
    InvalidId,
    /// An object, file or upload that should exist does not.
    NotFound,
    /// No hot backup with this id (or none that is complete).
    NoSuchBackup,
    /// The backup id, or the place an operation works in, is taken.
    Conflict,
    /// The write lock on the data directory was not obtained in time.
    LockTimeout,
    /// Data that does not match its checksum, or a backup whose files or `META` are not
    /// what they should be. Never published.
    Integrity,
    /// The local disk (or a quota) is full.
    NoSpace,
    /// Stopped on request.
    Cancelled,
    /// A storage request failed (whether trying again can help: [`Error::is_retryable`]).
    Storage,
    /// Anything else: a local file system failure, a bug.
    Internal,
}

/// A Ferry failure. The variants are the few kinds a caller decides on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A repository string or config section that cannot be used (errorNum 7008).
    #[error("{0}")]
    BadConfig(String),

    /// A request or command-line parameter with a wrong value (errorNum 10).
    #[error("{0}")]
    BadParameter(String),

    /// Something that should exist does not.
    #[error("not found: {0}")]
    NotFound(String),

    /// Data that does not match its checksum. Never published.
    #[error("integrity error: {path}: expected sha256 {expected}, got {actual}")]
    Integrity {
        path: String,
        expected: String,
        actual: String,
    },

    /// The transfer was aborted on request.
    #[error("cancelled")]
    Cancelled,

    /// A storage request failed (after the retry budget when the failure was transient).
    #[error("{context}: {message}")]
    Storage {
        context: String,
        message: String,
        retryable: bool,
    },

    /// Local file system failure.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// Any other failure, with a message fit for the user.
    #[error("{0}")]
    Other(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// Whether trying the same request again may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Storage { retryable, .. } => *retryable,
            Error::Io { source, .. } => matches!(
                source.kind(),
                std::io::ErrorKind::Interrupted
                    | std::io::ErrorKind::TimedOut
                    | std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::UnexpectedEof
            ),
            _ => false,
        }
    }

    /// Whether the thing acted on does not exist (object, upload, file).
    pub fn is_not_found(&self) -> bool {
        match self {
            Error::NotFound(_) => true,
            Error::Io { source, .. } => source.kind() == std::io::ErrorKind::NotFound,
            _ => false,
        }
    }

    /// Whether the store refused the request for good (a client error such as 403, or an
    /// operation it does not support): repeating the same request cannot succeed.
    pub fn is_refused(&self) -> bool {
        matches!(
            self,
            Error::Storage {
                retryable: false,
                ..
            }
        )
    }

    /// Whether the local disk, or a quota, ran out of space.
    pub fn is_no_space(&self) -> bool {
        matches!(self, Error::Io { source, .. } if is_no_space(source))
    }

    /// What the caller acts on.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::BadConfig(_) => ErrorKind::BadConfig,
            Error::BadParameter(_) => ErrorKind::BadParameter,
            Error::NotFound(_) => ErrorKind::NotFound,
            Error::Integrity { .. } => ErrorKind::Integrity,
            Error::Cancelled => ErrorKind::Cancelled,
            Error::Storage { .. } => ErrorKind::Storage,
            Error::Io { .. } if self.is_no_space() => ErrorKind::NoSpace,
            Error::Io { .. } | Error::Other(_) => ErrorKind::Internal,
        }
    }
}

/// Whether an I/O failure says the disk or a quota is full (`ENOSPC`, `EDQUOT`).
pub fn is_no_space(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        assert_eq!(Error::BadConfig("x".into()).kind(), ErrorKind::BadConfig);
        let full = |k| Error::io("/x", std::io::Error::from(k));
        assert_eq!(
            full(std::io::ErrorKind::StorageFull).kind(),
            ErrorKind::NoSpace
        );
        assert_eq!(
            full(std::io::ErrorKind::QuotaExceeded).kind(),
            ErrorKind::NoSpace
        );
        assert_eq!(
            full(std::io::ErrorKind::PermissionDenied).kind(),
            ErrorKind::Internal
        );
        assert_eq!(Error::Cancelled.kind(), ErrorKind::Cancelled);
    }
}
