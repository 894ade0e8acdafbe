//! Retention locks (WORM): an object that may not be deleted or overwritten before a date.
//!
//! S3 Object Lock keeps every version of a locked object until its retain-until date; the
//! bucket must have been created with Object Lock enabled (which turns versioning on). On
//! such a bucket a plain DELETE still "succeeds": it adds a delete marker, the key vanishes
//! from listings and the locked version stays. So a tool that deleted a locked backup would
//! report success and leave a backup nobody can see. Ferry asks [`super::Backend::retention`]
//! first and leaves locked backups alone, saying until when (`src/catalog/lock.rs`).

use chrono::{DateTime, Utc};
use serde::Serialize;

/// How strict a lock is (S3's retention modes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum LockMode {
    /// Users with `s3:BypassGovernanceRetention` may still delete or shorten it.
    Governance,
    /// Nobody, the account's root included, may delete the object or shorten the lock.
    Compliance,
}

impl LockMode {
    /// S3's name of the mode (`GOVERNANCE`, `COMPLIANCE`).
    pub fn as_str(self) -> &'static str {
        match self {
            LockMode::Governance => "GOVERNANCE",
            LockMode::Compliance => "COMPLIANCE",
        }
    }

    /// The mode S3 names `text` (any case).
    pub fn parse(text: &str) -> Option<LockMode> {
        match text.trim().to_ascii_uppercase().as_str() {
            "GOVERNANCE" => Some(LockMode::Governance),
            "COMPLIANCE" => Some(LockMode::Compliance),
            _ => None,
        }
    }
}

impl std::fmt::Display for LockMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One object's lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Retention {
    pub mode: LockMode,
    /// The object may be deleted from this moment on.
    pub until: DateTime<Utc>,
}

impl Retention {
    /// Whether the lock still holds at `now`.
    pub fn holds_at(&self, now: DateTime<Utc>) -> bool {
        self.until > now
    }
}
