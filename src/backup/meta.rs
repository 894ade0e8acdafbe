//! `META`, the JSON document that describes a backup and marks it complete
//! (docs/hot-backup-api.md §3).
//!
//! A backup directory without `META` is unfinished and never listed, so `META` is always the
//! last file written. The keys are written in the order of §3 (the struct's field order;
//! serde_json keeps it). Reading is lenient about keys older ArangoDB versions do not write,
//! so backups made by ArangoDB itself and downloaded from a repository can be listed.

use std::fs;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::error::{BackupError, Result};
use super::id::BackupId;

/// File name of the document inside a backup directory.
pub const META_FILE: &str = "META";

/// One encryption key a backup was taken with, identified by its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyInfo {
    pub sha256: String,
}

/// The `META` document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    pub id: BackupId,
    pub version: String,
    /// UTC, second resolution, with colons: `2026-08-04T15:27:49Z`. Kept as text because
    /// ArangoDB's own examples also show the id's dotted form here.
    pub datetime: String,
    #[serde(default)]
    pub keys: Vec<KeyInfo>,
    /// Bytes of every file of the backup but `META` (`SHA256SUMS` included).
    pub size_in_bytes: u64,
    /// Number of files of the backup but `META` (`SHA256SUMS` included).
    pub nr_files: u64,
    #[serde(rename = "nrDBServers", default = "one")]
    pub nr_db_servers: u32,
    #[serde(default = "yes")]
    pub available: bool,
    #[serde(default = "one")]
    pub nr_pieces_present: u32,
    #[serde(default)]
    pub potentially_inconsistent: bool,
    #[serde(default)]
    pub count_includes_files_only: bool,
}

fn one() -> u32 {
    1
}

fn yes() -> bool {
    true
}

impl Meta {
    /// The `META` of a single-server backup Ferry has just taken.
    pub fn new(
        id: BackupId,
        taken: DateTime<Utc>,
        size_in_bytes: u64,
        nr_files: u64,
        potentially_inconsistent: bool,
    ) -> Meta {
        Meta {
            id,
            version: env!("CARGO_PKG_VERSION").to_owned(),
            datetime: taken.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            keys: Vec::new(),
            size_in_bytes,
            nr_files,
            nr_db_servers: 1,
            available: true,
            nr_pieces_present: 1,
            potentially_inconsistent,
            count_includes_files_only: true,
        }
    }

    /// The document as written to disk: compact JSON and a final newline.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut out = serde_json::to_vec(self).map_err(|e| BackupError::Meta {
            path: META_FILE.into(),
            message: e.to_string(),
        })?;
        out.push(b'\n');
        Ok(out)
    }

    /// Parses a `META` read from `path` (the path is only for the error message).
    pub fn from_slice(bytes: &[u8], path: &Path) -> Result<Meta> {
        serde_json::from_slice(bytes).map_err(|e| BackupError::Meta {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }

    /// Reads and parses the `META` file at `path`.
    pub fn read(path: &Path) -> Result<Meta> {
        let bytes = fs::read(path).map_err(|e| BackupError::Meta {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        Meta::from_slice(&bytes, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn meta() -> Meta {
        let at = Utc
            .with_ymd_and_hms(2026, 8, 4, 15, 27, 49)
            .single()
            .expect("valid time");
        let id = BackupId::generate(at, Some("foo"));
        Meta::new(id, at, 1234, 3, false)
    }

    #[test]
    fn key_order_and_names_follow_the_spec() {
        let text = String::from_utf8(meta().to_bytes().expect("ser")).expect("utf-8");
        let expected = format!(
            concat!(
                r#"{{"id":"2026-08-04T15.27.49Z_foo","version":"{}","#,
                r#""datetime":"2026-08-04T15:27:49Z","keys":[],"sizeInBytes":1234,"#,
                r#""nrFiles":3,"nrDBServers":1,"available":true,"nrPiecesPresent":1,"#,
                r#""potentiallyInconsistent":false,"countIncludesFilesOnly":true}}"#,
                "\n"
            ),
            env!("CARGO_PKG_VERSION")
        );
        assert_eq!(text, expected);
    }

    #[test]
    fn round_trip() {
        let m = meta();
        assert_eq!(
            Meta::from_slice(&m.to_bytes().expect("ser"), Path::new("META")).expect("parses"),
            m
        );
    }

    #[test]
    fn reads_arangodb_seed_example() {
        let text = r#"{"id": "2019-04-28T12.00.00Z_my-label", "version": "3.4.5",
            "datetime": "2019-04-28T12.00.00Z",
            "keys": [{"sha256": "861009ec4d599fab1f40abc76e6f89880cff5833c79c548c99f9045f191cd90b"}],
            "sizeInBytes": 52428800, "nrFiles": 7, "nrDBServers": 3, "available": true,
            "nrPiecesPresent": 3, "potentiallyInconsistent": false}"#;
        let m = Meta::from_slice(text.as_bytes(), Path::new("META")).expect("parses");
        assert_eq!(m.nr_db_servers, 3);
        assert_eq!(m.keys.len(), 1);
        assert!(!m.count_includes_files_only);
    }

    #[test]
    fn rejects_garbage_and_bad_ids() {
        let err = Meta::from_slice(b"{not json", Path::new("x/META")).expect_err("garbage");
        assert!(matches!(err, BackupError::Meta { .. }));
        let text =
            br#"{"id": "../x", "version": "1", "datetime": "", "sizeInBytes": 0, "nrFiles": 0}"#;
        assert!(Meta::from_slice(text, Path::new("META")).is_err());
    }
}
