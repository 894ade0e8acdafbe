//! Error kinds callers act on, and the one table that maps them to ArangoDB's error numbers.
//!
//! Every failure that can reach a user (CLI line, HTTP envelope, job status) passes through
//! [`Error`]. Its `Display` never contains a credential: secrets live in [`crate::secret::Secret`]
//! and are redacted before an error is built, and remote messages are passed through
//! [`crate::secret::scrub`] on the way in.

use std::path::PathBuf;

/// ArangoDB error numbers used by Ferry (see the behaviour spec §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i64)]
pub enum ErrorNum {
    Failed = 1,
    /// Not authorized (ArangoDB's `ERROR_FORBIDDEN`, sent with HTTP 401 when credentials
    /// are missing or wrong).
    Forbidden = 11,
    NotImplemented = 9,
    BadParameter = 10,
    FileNotFound = 14,
    LockTimeout = 18,
    /// The scheduler's queue is full (async jobs: too many pending).
    QueueFull = 21,
    /// The server stopped before the work finished.
    ShuttingDown = 30,
    HttpBadParameter = 400,
    HttpUnauthorized = 401,
    HttpNotFound = 404,
    HttpMethodNotAllowed = 405,
    CorruptedJson = 600,
    SuperfluousSuffixes = 601,
    /// `/_db/<name>/...` with a database other than `_system`.
    DatabaseNotFound = 1228,
    HotBackupInternal = 7001,
    HotRestoreInternal = 7002,
    NoSpaceLeft = 7004,
    FailedToUpload = 7005,
    FailedToDownload = 7006,
    NoSuchHotBackup = 7007,
    RemoteRepositoryConfigBad = 7008,
    HotBackupConflict = 7011,
}

impl ErrorNum {
    pub fn code(self) -> i64 {
        self as i64
    }

    /// HTTP status for an error number, as ArangoDB derives it.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorNum::LockTimeout => 408,
            ErrorNum::HttpNotFound
            | ErrorNum::FileNotFound
            | ErrorNum::NoSuchHotBackup
            | ErrorNum::DatabaseNotFound => 404,
            ErrorNum::QueueFull | ErrorNum::ShuttingDown => 503,
            ErrorNum::HttpMethodNotAllowed => 405,
            ErrorNum::HttpUnauthorized | ErrorNum::Forbidden => 401,
            ErrorNum::Failed | ErrorNum::HotBackupInternal => 500,
            ErrorNum::NotImplemented => 501,
            _ => 400,
        }
    }
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

    /// Whether the local disk ran out of space (errorNum 7004).
    pub fn is_no_space(&self) -> bool {
        matches!(self, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::StorageFull)
    }

    /// The ArangoDB error number for this failure in a transfer of the given direction.
    pub fn error_num(&self, transfer: Option<ErrorNum>) -> ErrorNum {
        match self {
            Error::BadConfig(_) => ErrorNum::RemoteRepositoryConfigBad,
            Error::BadParameter(_) => ErrorNum::BadParameter,
            Error::NotFound(_) => transfer.unwrap_or(ErrorNum::FileNotFound),
            _ if self.is_no_space() => ErrorNum::NoSpaceLeft,
            _ => transfer.unwrap_or(ErrorNum::Failed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_status_follows_arangodb() {
        assert_eq!(ErrorNum::LockTimeout.http_status(), 408);
        assert_eq!(ErrorNum::FileNotFound.http_status(), 404);
        assert_eq!(ErrorNum::HttpNotFound.http_status(), 404);
        assert_eq!(ErrorNum::HotBackupInternal.http_status(), 500);
        assert_eq!(ErrorNum::NotImplemented.http_status(), 501);
        assert_eq!(ErrorNum::RemoteRepositoryConfigBad.http_status(), 400);
        assert_eq!(ErrorNum::NoSuchHotBackup.http_status(), 404);
    }

    #[test]
    fn bad_config_is_7008() {
        let e = Error::BadConfig("x".into());
        assert_eq!(e.error_num(None).code(), 7008);
    }
}
