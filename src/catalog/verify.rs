//! `ferry verify`: is one backup of a repository whole?
//!
//! Always: the backup's own listing against its `SHA256SUMS` and `META` (what
//! [`Catalog::list`] checks: missing files, files not listed, counts and sizes).
//! Then per file listed in `SHA256SUMS`:
//! - by default, the SHA-256 the store keeps with the object (Ferry writes it as metadata
//!   with every object) against `SHA256SUMS`: one stat per file, no download. An object
//!   without it was not written by Ferry and is reported (`--read-data` can still check it).
//!   A local repository keeps no hash beside a file: there the file is read and hashed, which
//!   is a read of the local disk, not a download.
//! - with [`VerifyOptions::read_data`], every byte is read and hashed, like
//!   `restic check --read-data`: files in parallel, each read in ranges that hold a share of
//!   one memory budget until hashed, so memory stays bounded whatever the backup's size.
//!
//! The stored hash proves what was written; only reading proves what the store holds now
//! (a disk that rots under an object keeps the object's metadata).

use std::sync::Arc;

use futures::StreamExt;

use super::problem::Problem;
use super::{Catalog, REQUESTS_IN_FLIGHT};
use crate::backup::BackupId;
use crate::engine::Budget;
use crate::engine::hash_object;
use crate::store::Location;
use crate::{Error, Result};

/// How a verify runs.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// Read and hash every byte instead of trusting the stored hashes.
    pub read_data: bool,
    /// Files read at once with `read_data`.
    pub files_in_flight: usize,
    /// Bytes of file data held in memory at once with `read_data`.
    pub max_in_flight: u64,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        let engine = crate::engine::Options::default();
        VerifyOptions {
            read_data: false,
            files_in_flight: 16,
            max_in_flight: engine.max_in_flight,
        }
    }
}

/// What a verify found.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyReport {
    pub id: String,
    /// Files listed in `SHA256SUMS`.
    pub files: u64,
    /// Files whose content was checked by the hash the store keeps.
    pub checked_by_stored_hash: u64,
    /// Files whose content was read and hashed, and their bytes.
    pub checked_by_reading: u64,
    pub bytes_read: u64,
    /// Everything wrong, one line per file (or about the backup as a whole).
    pub problems: Vec<Problem>,
}

impl VerifyReport {
    /// Every file is there and has its `SHA256SUMS` content.
    pub fn is_whole(&self) -> bool {
        self.problems.is_empty()
    }
}

/// How one file was checked.
enum Checked {
    ByStoredHash,
    ByReading(u64),
}

impl Catalog {
    /// Verifies backup `id`; `Err` only when the repository cannot be listed or the backup
    /// is not there at all. Everything wrong with the backup is in the report.
    pub async fn verify(&self, id: &BackupId, options: &VerifyOptions) -> Result<VerifyReport> {
        let dir = self.repository.child(id.as_str());
        let objects = dir.backend.list(&dir.root).await?;
        if objects.is_empty() {
            return Err(Error::NotFound(format!(
                "no backup {id} in {}",
                self.repository.display
            )));
        }
        let (entry, manifest) = self.inspect(id.as_str().to_owned(), objects).await?;
        let mut report = VerifyReport {
            id: entry.id.clone(),
            problems: entry.problems,
            ..VerifyReport::default()
        };
        let Some(manifest) = manifest else {
            return Ok(report);
        };
        report.files = manifest.len() as u64;
        let present: std::collections::HashSet<&str> =
            entry.objects.iter().map(|o| o.key.as_str()).collect();
        let caps = dir.capabilities();
        let read = options.read_data || (!caps.stores_sha256 && caps.local);
        let budget = Arc::new(Budget::new(options.max_in_flight));
        let concurrency = if read {
            options.files_in_flight.max(1)
        } else {
            REQUESTS_IN_FLIGHT
        };
        let (dir, budget) = (&dir, &budget);
        let mut checks = futures::stream::iter(
            manifest
                .iter()
                .filter(|(path, _)| present.contains(path))
                .map(|(path, sha)| (path.to_owned(), sha.to_owned())),
        )
        .map(|(path, sha)| async move {
            let outcome = check_file(dir, &path, &sha, read, budget).await;
            (path, outcome)
        })
        .buffer_unordered(concurrency);
        let mut problems = Vec::new();
        while let Some((path, outcome)) = checks.next().await {
            match outcome {
                Ok(Ok(Checked::ByStoredHash)) => report.checked_by_stored_hash += 1,
                Ok(Ok(Checked::ByReading(bytes))) => {
                    report.checked_by_reading += 1;
                    report.bytes_read += bytes;
                }
                Ok(Err(problem)) => problems.push(problem),
                Err(e) if e.is_not_found() => problems.push(Problem::Missing(path)),
                Err(e) => problems.push(Problem::Unreadable {
                    path,
                    error: e.to_string(),
                }),
            }
        }
        problems.sort_by_key(|p| p.to_string());
        report.problems.extend(problems);
        Ok(report)
    }
}

/// Checks one file: `Ok(Err(_))` is a problem found, `Err(_)` one met on the way.
async fn check_file(
    dir: &Location,
    path: &str,
    expected: &str,
    read: bool,
    budget: &Budget,
) -> Result<std::result::Result<Checked, Problem>> {
    let Some(stat) = dir.backend.stat(&dir.key(path)).await? else {
        return Ok(Err(Problem::Missing(path.to_owned())));
    };
    let differs = |actual: String, read: bool| Problem::HashDiffers {
        path: path.to_owned(),
        expected: expected.to_owned(),
        actual,
        read,
    };
    if read {
        let actual = hash_object(dir, path, stat.size, stat.etag.as_deref(), budget).await?;
        return Ok(if actual == expected {
            Ok(Checked::ByReading(stat.size))
        } else {
            Err(differs(actual, true))
        });
    }
    Ok(match stat.sha256 {
        Some(actual) if actual.eq_ignore_ascii_case(expected) => Ok(Checked::ByStoredHash),
        Some(actual) => Err(differs(actual, false)),
        None => Err(Problem::NoStoredHash(path.to_owned())),
    })
}
