//! Why a backup transfer could not start or did not complete.
//!
//! A [`JobError`] says what kind of failure it was and what to tell the user; the ArangoDB
//! number in a job's status comes from the server's table, for the job's direction
//! ([`JobError::num`]). The failure it came from is kept as its source, so that the log
//! shows the whole chain while the status shows the message.

use std::fmt;
use std::sync::Arc;

use super::Direction;
use crate::backup::BackupError;
use crate::error_table::{Operation, error_num};
use crate::{Error, ErrorKind, ErrorNum};

/// A failed backup transfer: its kind and a message fit for the user.
#[derive(Clone)]
pub struct JobError {
    pub kind: ErrorKind,
    pub message: String,
    cause: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl JobError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        JobError {
            kind,
            message: message.into(),
            cause: None,
        }
    }

    fn caused_by(e: impl std::error::Error + Send + Sync + 'static, kind: ErrorKind) -> Self {
        JobError {
            kind,
            message: e.to_string(),
            cause: Some(Arc::new(e)),
        }
    }

    /// Stopped on request rather than failed.
    pub fn is_cancelled(&self) -> bool {
        self.kind == ErrorKind::Cancelled
    }

    /// The errorNum of this failure in a job of `direction` (docs/hot-backup-api.md §5: 7005/7006,
    /// or more specific; the table is §7).
    pub fn num(&self, direction: Direction) -> ErrorNum {
        error_num(self.kind, operation(direction))
    }
}

/// The operation a job of `direction` does, as the error table names it.
fn operation(direction: Direction) -> Operation {
    match direction {
        Direction::Upload => Operation::Upload,
        Direction::Download => Operation::Download,
    }
}

impl From<Error> for JobError {
    fn from(e: Error) -> Self {
        let kind = e.kind();
        JobError::caused_by(e, kind)
    }
}

impl From<BackupError> for JobError {
    fn from(e: BackupError) -> Self {
        let kind = e.kind();
        JobError::caused_by(e, kind)
    }
}

impl fmt::Debug for JobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JobError")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for JobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for JobError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause
            .as_deref()
            .map(|c| c as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;
    use std::time::Duration;

    /// `JobError::from_engine` and `from_backup` used to give a job's status 7005/7006 for
    /// what `BackupError::error_num` numbered 18, 10 and 7008.
    #[test]
    fn a_job_numbers_failures_as_the_table_does() {
        let lock: JobError = BackupError::LockTimeout {
            timeout: Duration::from_secs(1),
        }
        .into();
        let id: JobError = BackupError::InvalidId {
            id: "..".into(),
            reason: "r",
        }
        .into();
        let config: JobError = BackupError::Ferry(Error::BadConfig("c".into())).into();
        for d in [Direction::Upload, Direction::Download] {
            assert_eq!(lock.num(d), ErrorNum::LockTimeout);
            assert_eq!(id.num(d), ErrorNum::BadParameter);
            assert_eq!(config.num(d), ErrorNum::RemoteRepositoryConfigBad);
        }
        // A bad key met in the data is the transfer's failure, whichever error carried it.
        let engine: JobError = Error::BadParameter("invalid file key".into()).into();
        let backup: JobError = BackupError::Ferry(Error::BadParameter("k".into())).into();
        for e in [&engine, &backup] {
            assert_eq!(e.num(Direction::Upload), ErrorNum::FailedToUpload);
            assert_eq!(e.num(Direction::Download), ErrorNum::FailedToDownload);
        }
        let missing: JobError = BackupError::NotFound("x".into()).into();
        assert_eq!(missing.num(Direction::Upload), ErrorNum::NoSuchHotBackup);
        let full: JobError =
            Error::io("/x", std::io::Error::from(std::io::ErrorKind::StorageFull)).into();
        assert_eq!(full.num(Direction::Download), ErrorNum::NoSpaceLeft);
        let cancelled: JobError = Error::Cancelled.into();
        assert!(cancelled.is_cancelled());
    }

    #[test]
    fn the_cause_is_kept_for_the_log() {
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "denied");
        let e: JobError = BackupError::Restore(Box::new(BackupError::io("/x", io))).into();
        let mut chain = Vec::new();
        let mut cause = e.source();
        while let Some(c) = cause {
            chain.push(c.to_string());
            cause = c.source();
        }
        assert_eq!(chain.len(), 3, "{chain:?}");
        assert_eq!(chain.last().map(String::as_str), Some("denied"));
        assert!(e.message.starts_with("restore failed: /x"));
    }
}
