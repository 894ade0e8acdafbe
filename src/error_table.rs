//! The one table from what failed ([`ErrorKind`]) in which operation to ArangoDB's error
//! number, and from the number to the HTTP status (docs/hot-backup-api.md §7 is this table in
//! words; §1 the statuses).
//!
//! Everything that answers a request or records a job's failure asks here: the routes
//! (`ApiError::from_backup` in `src/server/envelope.rs`), the job manager (a job's `Error`,
//! [`crate::jobs::JobError::num`]) and the CLI's `upload`/`download` (the number it prints).
//! It is a leaf beside [`crate::error`], not a part of `server`, because the job manager
//! writes the number into job records and may not import the server. Errors about the
//! request's own shape (corrupted JSON, a wrongly typed attribute, an unknown route) name
//! their numbers where the request is read; they are not failures of Ferry's work.

use crate::error::ErrorKind;

/// ArangoDB error numbers used by Ferry (docs/hot-backup-api.md §7).
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
    /// A cluster backup has more pieces than the cluster has DB servers (`src/cluster/`).
    TopologyMismatch = 7003,
    NoSpaceLeft = 7004,
    FailedToUpload = 7005,
    FailedToDownload = 7006,
    NoSuchHotBackup = 7007,
    RemoteRepositoryConfigBad = 7008,
    /// A DB server could not take its write lock for a cluster backup.
    LocalLockFailed = 7009,
    /// A DB server could not be reached to take its write lock; the client may retry.
    LocalLockRetry = 7010,
    HotBackupConflict = 7011,
    /// A coordinator could not reach every DB server within its retry time.
    DbServersUnreachable = 7012,
}

impl ErrorNum {
    pub fn code(self) -> i64 {
        self as i64
    }

    /// The number a code stands for, when Ferry knows it (a coordinator passing on its DB
    /// servers' errors).
    pub fn from_code(code: i64) -> Option<ErrorNum> {
        use ErrorNum::*;
        [
            Failed,
            Forbidden,
            NotImplemented,
            BadParameter,
            FileNotFound,
            LockTimeout,
            QueueFull,
            ShuttingDown,
            HttpBadParameter,
            HttpUnauthorized,
            HttpNotFound,
            HttpMethodNotAllowed,
            CorruptedJson,
            SuperfluousSuffixes,
            DatabaseNotFound,
            HotBackupInternal,
            HotRestoreInternal,
            TopologyMismatch,
            NoSpaceLeft,
            FailedToUpload,
            FailedToDownload,
            NoSuchHotBackup,
            RemoteRepositoryConfigBad,
            LocalLockFailed,
            LocalLockRetry,
            HotBackupConflict,
            DbServersUnreachable,
        ]
        .into_iter()
        .find(|n| n.code() == code)
    }

    /// HTTP status for an error number, as ArangoDB derives it.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorNum::LockTimeout => 408,
            ErrorNum::HttpNotFound
            | ErrorNum::FileNotFound
            | ErrorNum::NoSuchHotBackup
            | ErrorNum::DatabaseNotFound => 404,
            ErrorNum::QueueFull
            | ErrorNum::ShuttingDown
            | ErrorNum::LocalLockRetry
            | ErrorNum::DbServersUnreachable => 503,
            ErrorNum::HttpMethodNotAllowed => 405,
            ErrorNum::HttpUnauthorized | ErrorNum::Forbidden => 401,
            ErrorNum::Failed | ErrorNum::HotBackupInternal | ErrorNum::LocalLockFailed => 500,
            ErrorNum::NotImplemented => 501,
            _ => 400,
        }
    }
}

/// Where a failure happened: ArangoDB numbers the same kind differently per endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Create,
    List,
    Delete,
    Restore,
    /// The request that starts an upload or download job (answered 202 or an error).
    StartTransfer,
    /// An upload job's work, reported in its status.
    Upload,
    /// A download job's work, reported in its status.
    Download,
}

impl Operation {
    /// The number of a failure that has no more specific one.
    fn failure(self) -> ErrorNum {
        match self {
            Operation::Create | Operation::List | Operation::Delete => ErrorNum::HotBackupInternal,
            Operation::Restore => ErrorNum::HotRestoreInternal,
            Operation::StartTransfer => ErrorNum::Failed,
            Operation::Upload => ErrorNum::FailedToUpload,
            Operation::Download => ErrorNum::FailedToDownload,
        }
    }
}

/// The ArangoDB error number of a failure of `kind` in `operation`.
pub fn error_num(kind: ErrorKind, operation: Operation) -> ErrorNum {
    use ErrorKind as K;
    use Operation as O;
    match (kind, operation) {
        (K::BadConfig, _) => ErrorNum::RemoteRepositoryConfigBad,
        (K::Conflict, _) => ErrorNum::HotBackupConflict,
        // ArangoDB answers every global-lock timeout with 18 (408); in a job's status it is
        // the "more specific" number docs/hot-backup-api.md §5 allows over 7005/7006.
        (K::LockTimeout, _) => ErrorNum::LockTimeout,
        (K::NoSpace, _) => ErrorNum::NoSpaceLeft,
        // An id that cannot be a backup id names no backup where one is looked up
        // (docs/hot-backup-api.md §2, "Ids from outside"), each endpoint with its own number
        // (§4.2-§4.4) ...
        (K::InvalidId | K::NoSuchBackup, O::List) => ErrorNum::HttpNotFound,
        (K::InvalidId | K::NoSuchBackup, O::Delete) => ErrorNum::FileNotFound,
        (K::InvalidId | K::NoSuchBackup, O::Restore) => ErrorNum::NoSuchHotBackup,
        // ... and is a bad parameter where it is the subject of a new transfer (the job's
        // work runs on the id of its request).
        (K::InvalidId, O::Create | O::StartTransfer | O::Upload | O::Download) => {
            ErrorNum::BadParameter
        }
        (K::NoSuchBackup, O::Create | O::StartTransfer | O::Upload | O::Download) => {
            ErrorNum::NoSuchHotBackup
        }
        // Inside a job, a value that cannot be used was met in the data (a key a store
        // refuses, a name in a remote SHA256SUMS), not sent by the client: the transfer
        // failed (docs/hot-backup-api.md §5: 7005/7006).
        (K::BadParameter, O::Upload | O::Download) => operation.failure(),
        (K::BadParameter, _) => ErrorNum::BadParameter,
        (K::NotFound | K::Integrity | K::Cancelled | K::Storage | K::Internal, _) => {
            operation.failure()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL_KINDS: [ErrorKind; 12] = [
        ErrorKind::BadConfig,
        ErrorKind::BadParameter,
        ErrorKind::InvalidId,
        ErrorKind::NotFound,
        ErrorKind::NoSuchBackup,
        ErrorKind::Conflict,
        ErrorKind::LockTimeout,
        ErrorKind::Integrity,
        ErrorKind::NoSpace,
        ErrorKind::Cancelled,
        ErrorKind::Storage,
        ErrorKind::Internal,
    ];
    const ALL_OPERATIONS: [Operation; 7] = [
        Operation::Create,
        Operation::List,
        Operation::Delete,
        Operation::Restore,
        Operation::StartTransfer,
        Operation::Upload,
        Operation::Download,
    ];

    fn num(kind: ErrorKind, operation: Operation) -> i64 {
        error_num(kind, operation).code()
    }

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

    /// Was 18 in `BackupError::error_num` but 7005/7006 in `JobError::from_backup`.
    #[test]
    fn lock_timeout_is_18_in_every_operation() {
        for op in ALL_OPERATIONS {
            assert_eq!(num(ErrorKind::LockTimeout, op), 18, "{op:?}");
            assert_eq!(error_num(ErrorKind::LockTimeout, op).http_status(), 408);
        }
    }

    /// Was 10 in `BackupError::error_num` but 7005/7006 in `JobError::from_backup`, and
    /// 404/14/7007 by hand in three routes.
    #[test]
    fn invalid_id_names_no_backup_where_one_is_looked_up() {
        assert_eq!(num(ErrorKind::InvalidId, Operation::List), 404);
        assert_eq!(num(ErrorKind::InvalidId, Operation::Delete), 14);
        assert_eq!(num(ErrorKind::InvalidId, Operation::Restore), 7007);
        for op in [
            Operation::StartTransfer,
            Operation::Upload,
            Operation::Download,
        ] {
            assert_eq!(num(ErrorKind::InvalidId, op), 10, "{op:?}");
            assert_eq!(error_num(ErrorKind::InvalidId, op).http_status(), 400);
        }
        for op in ALL_OPERATIONS {
            let looked_up = matches!(op, Operation::List | Operation::Delete | Operation::Restore);
            assert_eq!(
                error_num(ErrorKind::InvalidId, op) == error_num(ErrorKind::NoSuchBackup, op),
                looked_up,
                "{op:?}"
            );
        }
    }

    /// Was 10 through `BackupError::error_num` (a wrapped `Error::BadParameter`) but
    /// 7005/7006 in `JobError::from_engine` and `from_backup`.
    #[test]
    fn bad_parameter_is_10_but_a_transfer_failure_inside_a_job() {
        for op in [
            Operation::Create,
            Operation::List,
            Operation::Delete,
            Operation::Restore,
            Operation::StartTransfer,
        ] {
            assert_eq!(num(ErrorKind::BadParameter, op), 10, "{op:?}");
        }
        assert_eq!(num(ErrorKind::BadParameter, Operation::Upload), 7005);
        assert_eq!(num(ErrorKind::BadParameter, Operation::Download), 7006);
    }

    #[test]
    fn kinds_with_one_number_everywhere() {
        for op in ALL_OPERATIONS {
            assert_eq!(num(ErrorKind::BadConfig, op), 7008, "{op:?}");
            assert_eq!(num(ErrorKind::Conflict, op), 7011, "{op:?}");
            assert_eq!(num(ErrorKind::NoSpace, op), 7004, "{op:?}");
        }
    }

    #[test]
    fn failures_take_the_operations_number() {
        let expected = [
            (Operation::Create, 7001),
            (Operation::List, 7001),
            (Operation::Delete, 7001),
            (Operation::Restore, 7002),
            (Operation::StartTransfer, 1),
            (Operation::Upload, 7005),
            (Operation::Download, 7006),
        ];
        for kind in [
            ErrorKind::NotFound,
            ErrorKind::Integrity,
            ErrorKind::Cancelled,
            ErrorKind::Storage,
            ErrorKind::Internal,
        ] {
            for (op, code) in expected {
                assert_eq!(num(kind, op), code, "{kind:?} in {op:?}");
            }
        }
        assert_eq!(num(ErrorKind::NoSuchBackup, Operation::Upload), 7007);
        assert_eq!(num(ErrorKind::NoSuchBackup, Operation::Download), 7007);
        assert_eq!(num(ErrorKind::NoSuchBackup, Operation::StartTransfer), 7007);
    }

    /// No kind in any operation is a 5xx but the internal ones: a client's mistake is never
    /// answered as the server's.
    #[test]
    fn only_internal_failures_are_5xx() {
        for kind in ALL_KINDS {
            for op in ALL_OPERATIONS {
                let status = error_num(kind, op).http_status();
                let internal = matches!(
                    kind,
                    ErrorKind::NotFound
                        | ErrorKind::Integrity
                        | ErrorKind::Cancelled
                        | ErrorKind::Storage
                        | ErrorKind::Internal
                ) && matches!(
                    op,
                    Operation::Create
                        | Operation::List
                        | Operation::Delete
                        | Operation::StartTransfer
                );
                assert_eq!(status >= 500, internal, "{kind:?} in {op:?}: {status}");
            }
        }
    }
}
