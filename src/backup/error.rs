//! What can go wrong with a local hot backup, and the [`ErrorKind`] of each failure.
//!
//! The error numbers are not decided here: a missing backup is 404 in `list`, 14 in
//! `delete` and 7007 in `restore`, which the server's table
//! ([`crate::error_table`]) says from the kind and the operation.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::ErrorKind;

/// A failure of the local hot-backup layer.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// A backup id from outside (a request, a directory name) that is not a safe id.
    #[error("invalid backup id {id:?}: {reason}")]
    InvalidId { id: String, reason: &'static str },

    /// No backup with this id (no directory, or a directory without `META`).
    #[error("no such hot backup: {0}")]
    NotFound(String),

    /// The write lock on the data directory was not obtained in time (errorNum 18).
    #[error("could not obtain the write lock on the data directory within {timeout:?}")]
    LockTimeout { timeout: Duration },

    /// The id, or the scratch directory of the operation, is already taken (errorNum 7011).
    #[error("hot backup conflict: {0}")]
    Conflict(String),

    /// A file that does not match `SHA256SUMS`, or a file set that differs from it.
    #[error("backup {path} is corrupt: {message}")]
    Corrupt { path: PathBuf, message: String },

    /// A `META` that cannot be read or parsed.
    #[error("{}: unreadable META: {message}", path.display())]
    Meta { path: PathBuf, message: String },

    /// A malformed `SHA256SUMS` line (1-based `line`).
    #[error("SHA256SUMS line {line}: {message}")]
    Manifest { line: usize, message: String },

    /// The disk (or a quota) is full (errorNum 7004).
    #[error("no space left on device: {}: {source}", path.display())]
    NoSpace {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// Any other file system failure.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// A restore that failed: the data directory is as it was (errorNum 7002).
    #[error("restore failed: {0}")]
    Restore(#[source] Box<BackupError>),

    /// A failure from the rest of Ferry.
    #[error(transparent)]
    Ferry(crate::Error),
}

pub type Result<T, E = BackupError> = std::result::Result<T, E>;

impl BackupError {
    /// Wraps an I/O failure on `path`; a full disk or quota becomes [`BackupError::NoSpace`].
    pub fn io(path: impl AsRef<Path>, source: io::Error) -> Self {
        let path = path.as_ref().to_path_buf();
        if crate::error::is_no_space(&source) {
            BackupError::NoSpace { path, source }
        } else {
            BackupError::Io { path, source }
        }
    }

    /// `|e| BackupError::io(path, e)`, for `map_err`.
    pub fn at(path: &Path) -> impl FnOnce(io::Error) -> BackupError + '_ {
        move |e| BackupError::io(path, e)
    }

    /// The failure of a restore: kinds the caller answers specially (missing backup, lock
    /// timeout, full disk, bad id, conflict) stay as they are, the rest become
    /// [`BackupError::Restore`].
    pub fn in_restore(self) -> Self {
        match self {
            BackupError::InvalidId { .. }
            | BackupError::NotFound(_)
            | BackupError::LockTimeout { .. }
            | BackupError::Conflict(_)
            | BackupError::NoSpace { .. }
            | BackupError::Restore(_) => self,
            other => BackupError::Restore(Box::new(other)),
        }
    }

    /// What the caller acts on.
    pub fn kind(&self) -> ErrorKind {
        match self {
            BackupError::InvalidId { .. } => ErrorKind::InvalidId,
            BackupError::NotFound(_) => ErrorKind::NoSuchBackup,
            BackupError::LockTimeout { .. } => ErrorKind::LockTimeout,
            BackupError::Conflict(_) => ErrorKind::Conflict,
            BackupError::NoSpace { .. } => ErrorKind::NoSpace,
            BackupError::Corrupt { .. }
            | BackupError::Meta { .. }
            | BackupError::Manifest { .. } => ErrorKind::Integrity,
            BackupError::Io { .. } | BackupError::Restore(_) => ErrorKind::Internal,
            BackupError::Ferry(e) => e.kind(),
        }
    }
}

impl From<crate::Error> for BackupError {
    fn from(e: crate::Error) -> Self {
        match e {
            crate::Error::Io { path, source } => BackupError::io(path, source),
            other => BackupError::Ferry(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        let full = BackupError::io("/x", io::Error::from(io::ErrorKind::StorageFull));
        assert_eq!(full.kind(), ErrorKind::NoSpace);
        let quota = BackupError::io("/x", io::Error::from(io::ErrorKind::QuotaExceeded));
        assert_eq!(quota.kind(), ErrorKind::NoSpace);
        let timeout = BackupError::LockTimeout {
            timeout: Duration::from_secs(1),
        };
        assert_eq!(timeout.kind(), ErrorKind::LockTimeout);
        assert_eq!(
            BackupError::NotFound("x".into()).kind(),
            ErrorKind::NoSuchBackup
        );
        let bad = BackupError::InvalidId {
            id: "..".into(),
            reason: "r",
        };
        assert_eq!(bad.kind(), ErrorKind::InvalidId);
        let io = BackupError::io("/x", io::Error::from(io::ErrorKind::PermissionDenied));
        assert_eq!(io.kind(), ErrorKind::Internal);
        let restore = io.in_restore();
        assert!(matches!(restore, BackupError::Restore(_)));
        assert_eq!(restore.kind(), ErrorKind::Internal);
        // The chain is kept for the log: the restore's cause, then the file system's.
        let cause = std::error::Error::source(&restore).expect("cause");
        assert!(std::error::Error::source(cause).is_some());
        assert!(matches!(
            BackupError::NotFound("x".into()).in_restore(),
            BackupError::NotFound(_)
        ));
    }

    #[test]
    fn from_ferry_error() {
        let e: BackupError =
            crate::Error::io("/x", io::Error::from(io::ErrorKind::StorageFull)).into();
        assert!(matches!(e, BackupError::NoSpace { .. }));
        let e: BackupError = crate::Error::BadParameter("p".into()).into();
        assert_eq!(e.kind(), ErrorKind::BadParameter);
    }
}
