//! The failsafe copies a restore leaves: the data directory `<parent>/<name>` as it was
//! before, renamed to `<parent>/<name>.failsafe-<timestamp>` (`_2`, `_3`, … when one
//! second saw several), and how many of them are kept.
//!
//! Each restore keeps a whole data directory: ten restores of a 120 MB one held 1.2 GB.
//! `ferry serve --keep-failsafe N` keeps the newest `N` ([`prune`]); only directories whose
//! names Ferry gave them are ever removed.

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{NaiveDateTime, Utc};

use super::dir::occupied;
use super::error::{BackupError, Result};
use super::tree;

/// How a failsafe copy's timestamp is written: sortable, and valid in a file name.
const STAMP: &str = "%Y-%m-%dT%H.%M.%SZ";

/// A free failsafe name for the data directory `name` in `parent`, after every other:
/// numbered past the highest of the same second (not the first free number: an older copy
/// pruned would leave its name for the newest, which would then sort first).
pub(super) fn free_path(parent: &Path, name: &str) -> PathBuf {
    let now = Utc::now();
    let base = format!("{name}.failsafe-{}", now.format(STAMP));
    let this_second = age_of(&base, name).map(|(time, _)| time);
    let highest = (fs::read_dir(parent).into_iter().flatten().flatten())
        .filter_map(|e| age_of(&e.file_name().to_string_lossy(), name))
        .filter(|(time, _)| Some(*time) == this_second)
        .map(|(_, n)| n)
        .max();
    let mut n = highest.map_or(1, |n| n + 1);
    loop {
        let candidate = match n {
            1 => parent.join(&base),
            n => parent.join(format!("{base}_{n}")),
        };
        if !occupied(&candidate) {
            return candidate;
        }
        n += 1;
    }
}

/// Where a failsafe copy's name puts it among the others: its time, then its number.
fn age_of(file_name: &str, name: &str) -> Option<(NaiveDateTime, u64)> {
    let rest = file_name.strip_prefix(name)?.strip_prefix(".failsafe-")?;
    let (stamp, n) = match rest.split_once('_') {
        Some((stamp, n)) => (stamp, n.parse().ok().filter(|n| *n >= 2)?),
        None => (rest, 1),
    };
    let time = NaiveDateTime::parse_from_str(stamp, STAMP).ok()?;
    Some((time, n))
}

/// Removes the failsafe copies of `data_dir` but the newest `keep`; their names. A copy
/// that cannot be removed is logged and left.
pub fn prune(data_dir: &Path, keep: usize) -> Result<Vec<String>> {
    let data_dir = fs::canonicalize(data_dir).map_err(BackupError::at(data_dir))?;
    let parent = tree::parent(&data_dir);
    let Some(name) = data_dir.file_name().and_then(|n| n.to_str()) else {
        return Ok(Vec::new());
    };
    let mut copies = Vec::new();
    for entry in fs::read_dir(parent).map_err(BackupError::at(parent))? {
        let entry = entry.map_err(BackupError::at(parent))?;
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if let Some(age) = age_of(&file_name, name).filter(|_| is_dir) {
            copies.push((age, file_name));
        }
    }
    copies.sort();
    let surplus = copies.len().saturating_sub(keep);
    let mut removed = Vec::new();
    for (_, file_name) in copies.into_iter().take(surplus) {
        let path = parent.join(&file_name);
        match fs::remove_dir_all(&path) {
            Ok(()) => {
                tracing::info!(failsafe = %path.display(), "old failsafe copy removed");
                removed.push(file_name);
            }
            Err(e) => {
                tracing::warn!(failsafe = %path.display(), error = %e, "could not remove an old failsafe copy")
            }
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_are_ordered_by_time_then_number() {
        let age = |n: &str| age_of(n, "data");
        assert!(age("data.failsafe-2026-12-01T10.00.00Z").is_some());
        assert!(
            age("data.failsafe-2026-12-01T10.00.00Z_10")
                > age("data.failsafe-2026-12-01T10.00.00Z_9")
        );
        assert!(
            age("data.failsafe-2026-12-01T10.00.00Z_2") > age("data.failsafe-2026-12-01T10.00.00Z")
        );
        assert!(
            age("data.failsafe-2026-12-01T10.00.01Z")
                > age("data.failsafe-2026-12-01T10.00.00Z_99")
        );
        for other in [
            "data",
            "data.failsafe-",
            "data.failsafe-yesterday",
            "data.failsafe-2026-12-01T10.00.00Z_1",
            "data.failsafe-2026-12-01T10.00.00Z_x",
            "database.failsafe-2026-12-01T10.00.00Z",
            "other.failsafe-2026-12-01T10.00.00Z",
        ] {
            assert_eq!(age(other), None, "{other}");
        }
    }

    #[test]
    fn prune_keeps_the_newest_and_touches_nothing_else() {
        let root = tempfile::tempdir().expect("tempdir");
        let data = root.path().join("data");
        let names = [
            "data.failsafe-2026-12-01T10.00.00Z",
            "data.failsafe-2026-12-01T10.00.00Z_2",
            "data.failsafe-2026-12-01T10.00.00Z_10",
            "data.failsafe-2026-12-02T09.00.00Z",
        ];
        for dir in std::iter::once("data").chain(names) {
            fs::create_dir(root.path().join(dir)).expect("mkdir");
        }
        fs::create_dir(root.path().join("data.failsafe-mine")).expect("mkdir");
        fs::write(
            root.path().join("data.failsafe-2026-01-01T00.00.00Z"),
            b"a file",
        )
        .expect("file");
        let removed = prune(&data, 2).expect("prune");
        assert_eq!(removed, names[..2]);
        for kept in [
            "data",
            names[2],
            names[3],
            "data.failsafe-mine",
            "data.failsafe-2026-01-01T00.00.00Z",
        ] {
            assert!(root.path().join(kept).exists(), "{kept}");
        }
        assert_eq!(prune(&data, 2).expect("again"), Vec::<String>::new());
    }
}
