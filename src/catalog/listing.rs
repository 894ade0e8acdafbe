//! `ferry backups`: every backup under a repository path and whether it is whole, from one
//! listing and each backup's `META` and `SHA256SUMS` (no data file is read).
//!
//! - **complete**: `META` is there and names this backup, and `SHA256SUMS` lists exactly the
//!   data files present; their count and total size agree with `META`.
//! - **incomplete**: no `META`: an upload that has not finished (or was killed), or a
//!   backup whose deletion was cut short (a prune deletes `META` first).
//! - **damaged**: `META` is there but something else is not: a file listed in `SHA256SUMS`
//!   missing, a file that `SHA256SUMS` does not list, no or an unreadable `SHA256SUMS`, or
//!   counts and sizes that disagree with `META` (`SHA256SUMS` has no sizes: a file of the
//!   wrong size shows in the total; `ferry verify` names it).
//!
//! Top-level names that are not backup ids are reported as `other`, never touched; names
//! starting with `.` are scratch names and not listed at all (no id starts with `.`:
//! docs/hot-backup-api.md §2, §3).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};
use serde::Serialize;

use super::pieces;
use super::problem::Problem;
use super::{Catalog, READS_IN_FLIGHT, format_datetime, parse_datetime, read_small};
use crate::Result;
use crate::backup::{BackupId, MANIFEST_FILE, META_FILE, Manifest, Meta};
use crate::store::{Location, ObjectInfo};

/// Whether a backup is whole, from what the listing and its small files show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BackupState {
    Complete,
    Incomplete,
    Damaged,
}

impl std::fmt::Display for BackupState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            BackupState::Complete => "complete",
            BackupState::Incomplete => "incomplete",
            BackupState::Damaged => "damaged",
        })
    }
}

/// The pieces of a cluster backup (one per DB server), as its `META` counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Pieces {
    pub present: u32,
    pub expected: u32,
}

/// One backup of the repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupEntry {
    pub id: String,
    /// `META`'s datetime; without a readable one, the timestamp the id starts with.
    #[serde(serialize_with = "datetime_text")]
    pub datetime: Option<DateTime<Utc>>,
    /// Data files present (neither `META` nor `SHA256SUMS`) and their bytes.
    pub files: u64,
    pub bytes: u64,
    pub state: BackupState,
    /// Why the backup is damaged, one line each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Problem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pieces: Option<Pieces>,
    /// Every object of the backup, keys relative to `<root>/<id>/` (what a delete removes).
    #[serde(skip)]
    pub objects: Vec<ObjectInfo>,
}

fn datetime_text<S: serde::Serializer>(
    t: &Option<DateTime<Utc>>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&format_datetime(*t)),
        None => s.serialize_none(),
    }
}

/// Everything under a repository path.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Listing {
    /// By id, which starts with the timestamp: oldest first.
    pub backups: Vec<BackupEntry>,
    /// Top-level names that are not backups (left alone by every command).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub other: Vec<String>,
}

impl Listing {
    pub fn get(&self, id: &str) -> Option<&BackupEntry> {
        self.backups.iter().find(|b| b.id == id)
    }
}

impl Catalog {
    /// Lists the repository once and reads each backup's `META` and `SHA256SUMS`.
    pub async fn list(&self) -> Result<Listing> {
        let repo = &self.repository;
        let mut groups: BTreeMap<String, Vec<ObjectInfo>> = BTreeMap::new();
        let mut other = BTreeSet::new();
        for o in repo.backend.list(&repo.root).await? {
            match o.key.split_once('/') {
                Some((dir, _)) if dir.starts_with('.') => {}
                Some((dir, rest)) if BackupId::parse(dir).is_ok() => {
                    groups.entry(dir.to_owned()).or_default().push(ObjectInfo {
                        key: rest.to_owned(),
                        size: o.size,
                    });
                }
                Some((dir, _)) => {
                    other.insert(dir.to_owned());
                }
                None => {
                    other.insert(o.key);
                }
            }
        }
        let backups = futures::stream::iter(groups)
            .map(|(id, objects)| async move {
                Ok::<_, crate::Error>(self.inspect(id, objects).await?.0)
            })
            .buffered(READS_IN_FLIGHT)
            .try_collect()
            .await?;
        Ok(Listing {
            backups,
            other: other.into_iter().collect(),
        })
    }

    /// One backup's entry from its objects and small files, and its `SHA256SUMS` when
    /// readable (a cluster backup's: every piece's, keys `<piece>/<path>`).
    pub(super) async fn inspect(
        &self,
        id: String,
        objects: Vec<ObjectInfo>,
    ) -> Result<(BackupEntry, Option<Manifest>)> {
        if pieces::is_cluster(&objects) {
            return self.inspect_cluster(id, objects).await;
        }
        let dir = self.repository.child(&id);
        let label = id.clone();
        self.inspect_dir(&dir, &label, id, objects).await
    }

    /// The entry of one directory holding data files, `SHA256SUMS` and `META` of backup
    /// `id`: a single-server backup, or one piece of a cluster backup (`label` names it in
    /// messages).
    pub(super) async fn inspect_dir(
        &self,
        dir: &Location,
        label: &str,
        id: String,
        objects: Vec<ObjectInfo>,
    ) -> Result<(BackupEntry, Option<Manifest>)> {
        let data: HashMap<&str, u64> = objects
            .iter()
            .filter(|o| o.key != META_FILE && o.key != MANIFEST_FILE)
            .map(|o| (o.key.as_str(), o.size))
            .collect();
        let mut entry = BackupEntry {
            datetime: parse_datetime(&id),
            files: data.len() as u64,
            bytes: data.values().sum(),
            state: BackupState::Incomplete,
            problems: Vec::new(),
            pieces: None,
            objects: Vec::new(),
            id,
        };
        let mut manifest = None;
        // A disagreement of counts and sizes with META, told only when no missing or
        // unlisted file already explains it.
        let mut totals = None;
        if objects.iter().any(|o| o.key == META_FILE) {
            let (meta, sums) =
                futures::try_join!(read_small(dir, META_FILE), read_small(dir, MANIFEST_FILE))?;
            let sums_size = sums.as_ref().map_or(0, |s| s.len() as u64);
            match meta {
                None => entry.problems.push(Problem::Backup(format!(
                    "{META_FILE} vanished while listing"
                ))),
                Some(bytes) => totals = check_meta(&mut entry, label, &bytes, sums_size),
            }
            match sums.map(|s| parse_manifest(&s)) {
                None => entry
                    .problems
                    .push(Problem::Backup(format!("no {MANIFEST_FILE}"))),
                Some(Err(e)) => entry.problems.push(Problem::Backup(e)),
                Some(Ok(sums)) => {
                    for (path, _) in sums.iter() {
                        if !data.contains_key(path) {
                            entry.problems.push(Problem::Missing(path.to_owned()));
                        }
                    }
                    let mut extra: Vec<&str> = data
                        .keys()
                        .filter(|p| sums.get(p).is_none())
                        .copied()
                        .collect();
                    extra.sort_unstable();
                    for path in extra {
                        entry.problems.push(Problem::NotListed(path.to_owned()));
                    }
                    manifest = Some(sums);
                }
            }
            let files_explain = entry
                .problems
                .iter()
                .any(|p| matches!(p, Problem::Missing(_) | Problem::NotListed(_)));
            if !files_explain {
                entry.problems.extend(totals);
            }
            entry.state = if entry.problems.is_empty() {
                BackupState::Complete
            } else {
                BackupState::Damaged
            };
        }
        entry.objects = objects;
        Ok((entry, manifest))
    }
}

/// Checks `META` (of `label`) against the entry it describes; `sums_size` is
/// `SHA256SUMS`'s size. Returns the disagreement of counts and sizes, if any.
fn check_meta(
    entry: &mut BackupEntry,
    label: &str,
    bytes: &[u8],
    sums_size: u64,
) -> Option<Problem> {
    let path = format!("{label}/{META_FILE}");
    let meta = match Meta::from_slice(bytes, std::path::Path::new(&path)) {
        Ok(meta) => meta,
        Err(e) => {
            entry.problems.push(Problem::Backup(e.to_string()));
            return None;
        }
    };
    if meta.id.as_str() != entry.id {
        entry.problems.push(Problem::Backup(format!(
            "{META_FILE} names backup {}, not {}",
            meta.id, entry.id
        )));
    }
    if let Some(t) = parse_datetime(&meta.datetime) {
        entry.datetime = Some(t);
    }
    if meta.nr_db_servers > 1 {
        entry.pieces = Some(Pieces {
            present: meta.nr_pieces_present,
            expected: meta.nr_db_servers,
        });
    }
    // META counts the data files, or every file but META (SHA256SUMS too): both are
    // accepted. META written by ArangoDB itself counts otherwise and is not checked.
    let files_agree = [entry.files, entry.files + 1].contains(&meta.nr_files);
    let bytes_agree = [entry.bytes, entry.bytes + sums_size].contains(&meta.size_in_bytes);
    (meta.count_includes_files_only && !(files_agree && bytes_agree)).then(|| {
        Problem::Backup(format!(
            "{META_FILE} says {} files of {} bytes; the repository holds {} of {}",
            meta.nr_files, meta.size_in_bytes, entry.files, entry.bytes
        ))
    })
}

/// `SHA256SUMS` as text, or the line that says why it is not one.
pub(super) fn parse_manifest(bytes: &[u8]) -> std::result::Result<Manifest, String> {
    std::str::from_utf8(bytes)
        .map_err(|_| format!("{MANIFEST_FILE} is not UTF-8"))
        .and_then(|t| Manifest::parse(t).map_err(|e| format!("{MANIFEST_FILE}: {e}")))
}
