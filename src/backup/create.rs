//! Taking a backup of a data directory.
//!
//! Under the exclusive write lock ([`super::lock`]) the data directory is mirrored into the
//! scratch directory `<backup-dir>/.creating-<id>`: files that are never changed once
//! written (by default RocksDB's `*.sst`) are hard-linked, which is instant and takes no
//! space; the others are copied. The lock is released as soon as the mirror is complete.
//! Then every file is hashed, `SHA256SUMS` and finally `META` are written, everything is
//! fsynced, and the scratch directory is renamed to `<backup-dir>/<id>`: the backup appears
//! whole or not at all. Any failure removes the scratch directory.
//!
//! The scratch directory is created with `mkdir`, which fails if it exists: that reserves
//! the id, so two creates in the same second with the same label get distinct ids
//! (`<id>`, `<id>_2`, ...) instead of sharing a directory.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::Utc;

use super::dir::{BackupDir, is_taken, occupied};
use super::error::{BackupError, Result};
use super::id::BackupId;
use super::lock::{ExclusiveGuard, LOCK_FILE, WriteLock};
use super::manifest::{MANIFEST_FILE, Manifest};
use super::meta::{META_FILE, Meta};
use super::tree::{self, Entry, Kind};

/// How many ids of one second and label are tried before giving up with a conflict.
const MAX_SUFFIX: u32 = 1000;

/// Options of a create request.
#[derive(Debug, Clone)]
pub struct CreateOptions {
    /// How long to wait for the write lock (the request's `timeout`, default 120 s).
    pub timeout: Duration,
    /// Take the snapshot without the lock if it is not obtained in time, and mark the
    /// backup `potentiallyInconsistent`.
    pub allow_inconsistent: bool,
    /// File name patterns of files never modified after they are written, which are
    /// hard-linked rather than copied: `*<suffix>` or an exact name. Default `["*.sst"]`.
    pub immutable: Vec<String>,
}

impl Default for CreateOptions {
    fn default() -> Self {
        CreateOptions {
            timeout: Duration::from_secs(120),
            allow_inconsistent: false,
            immutable: vec!["*.sst".to_owned()],
        }
    }
}

impl CreateOptions {
    /// Whether the file at relative path `rel` is immutable by the patterns.
    pub fn is_immutable(&self, rel: &str) -> bool {
        is_immutable(&self.immutable, rel)
    }
}

/// Whether the file at relative path `rel` matches one of `patterns` (`*<suffix>` or an
/// exact name, matched against the file's name), as create and restore read `--immutable`.
pub(crate) fn is_immutable(patterns: &[String], rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    patterns.iter().any(|p| match p.strip_prefix('*') {
        Some(suffix) => name.ends_with(suffix),
        None => name == p,
    })
}

/// A backup being assembled in its scratch directory.
struct Draft<'a> {
    id: BackupId,
    scratch: PathBuf,
    data_dir: &'a Path,
    inconsistent: bool,
    /// 1 on a single server; N for a piece of a cluster backup.
    nr_db_servers: u32,
}

impl BackupDir {
    /// Takes a backup of `data_dir`, labelled `label`, and returns its `META`.
    pub fn create(
        &self,
        data_dir: &Path,
        label: Option<&str>,
        options: &CreateOptions,
    ) -> Result<Meta> {
        fs::create_dir_all(&self.root).map_err(BackupError::at(&self.root))?;
        self.check_outside(data_dir)?;
        let lock = WriteLock::exclusive(data_dir, options.timeout)?;
        let inconsistent = match &lock {
            Some(_) => false,
            None if options.allow_inconsistent => {
                tracing::warn!(data_dir = %data_dir.display(), "write lock not obtained in time: taking a potentially inconsistent backup");
                true
            }
            None => {
                return Err(BackupError::LockTimeout {
                    timeout: options.timeout,
                });
            }
        };
        let taken = Utc::now();
        let reserved = self.reserve(&BackupId::generate(taken, label))?;
        self.take(reserved, data_dir, lock, (inconsistent, 1), options, taken)
    }

    /// Takes one DB server's piece of a cluster backup: exactly the id `id` (which the
    /// coordinator chose for every piece), under `lock`, which the coordinator had this
    /// server take beforehand (`None`: without it, marked potentially inconsistent), with
    /// `nr_db_servers` in its `META`. An existing backup `id` is a conflict.
    pub fn create_piece(
        &self,
        data_dir: &Path,
        id: &BackupId,
        lock: Option<ExclusiveGuard>,
        nr_db_servers: u32,
        options: &CreateOptions,
    ) -> Result<Meta> {
        fs::create_dir_all(&self.root).map_err(BackupError::at(&self.root))?;
        self.check_outside(data_dir)?;
        let inconsistent = lock.is_none();
        let scratch = self.root.join(format!(".creating-{}", id.scratch_name()));
        if occupied(&self.path(id)) {
            return Err(BackupError::Conflict(format!("backup {id} exists already")));
        }
        fs::create_dir(&scratch).map_err(|e| match e.kind() {
            io::ErrorKind::AlreadyExists => {
                BackupError::Conflict(format!("backup {id} is being created already"))
            }
            _ => BackupError::io(&scratch, e),
        })?;
        let reserved = (id.clone(), scratch);
        let marks = (inconsistent, nr_db_servers);
        self.take(reserved, data_dir, lock, marks, options, Utc::now())
    }

    /// Assembles the reserved backup; any failure removes its scratch directory.
    fn take(
        &self,
        (id, scratch): (BackupId, PathBuf),
        data_dir: &Path,
        lock: Option<ExclusiveGuard>,
        (inconsistent, nr_db_servers): (bool, u32),
        options: &CreateOptions,
        taken: chrono::DateTime<Utc>,
    ) -> Result<Meta> {
        let draft = Draft {
            id,
            scratch,
            data_dir,
            inconsistent,
            nr_db_servers,
        };
        let result = self.assemble(&draft, lock, options, taken);
        if result.is_err() {
            tree::remove_scratch(&draft.scratch);
        }
        result
    }

    /// Finds a free id starting from `base` and creates its scratch directory.
    fn reserve(&self, base: &BackupId) -> Result<(BackupId, PathBuf)> {
        for n in 1..=MAX_SUFFIX {
            let id = base.with_suffix(n);
            if occupied(&self.path(&id)) {
                continue;
            }
            let scratch = self.root.join(format!(".creating-{}", id.scratch_name()));
            match fs::create_dir(&scratch) {
                Ok(()) => return Ok((id, scratch)),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(BackupError::io(&scratch, e)),
            }
        }
        Err(BackupError::Conflict(format!(
            "{MAX_SUFFIX} backups named {base} exist already"
        )))
    }

    fn assemble(
        &self,
        draft: &Draft<'_>,
        lock: Option<ExclusiveGuard>,
        options: &CreateOptions,
        taken: chrono::DateTime<Utc>,
    ) -> Result<Meta> {
        let entries = mirror(draft, options)?;
        drop(lock);

        let mut manifest = Manifest::new();
        let (mut size, mut files) = (0u64, 0u64);
        for entry in entries.iter().filter(|e| e.kind == Kind::File) {
            let (hash, len) = tree::hash_file(&draft.scratch.join(&entry.rel))?;
            manifest.insert(&entry.rel, &hash)?;
            size += len;
            files += 1;
        }
        // Every file but META counts, SHA256SUMS too: ArangoDB's tests sum a backup's files
        // that way (`countIncludesFilesOnly`).
        let sums = manifest.to_text();
        size += sums.len() as u64;
        files += 1;
        let meta = Meta {
            nr_db_servers: draft.nr_db_servers,
            ..Meta::new(draft.id.clone(), taken, size, files, draft.inconsistent)
        };
        tree::write_synced(&draft.scratch.join(MANIFEST_FILE), sums.as_bytes())?;
        tree::write_synced(&draft.scratch.join(META_FILE), &meta.to_bytes()?)?;
        let dirs: Vec<Entry> = entries
            .into_iter()
            .filter(|e| e.kind == Kind::Dir)
            .map(|e| Entry {
                path: draft.scratch.join(&e.rel),
                ..e
            })
            .collect();
        tree::sync_dirs(&draft.scratch, &dirs)?;

        let target = self.path(&draft.id);
        fs::rename(&draft.scratch, &target).map_err(|e| match is_taken(&e) {
            true => BackupError::Conflict(format!("backup {} appeared meanwhile", draft.id)),
            false => BackupError::io(&target, e),
        })?;
        tree::sync_dir(&self.root)?;
        tracing::info!(id = %draft.id, files, bytes = size, inconsistent = draft.inconsistent, "hot backup created");
        Ok(meta)
    }
}

/// Mirrors the data directory into the scratch directory (links and copies); returns what
/// was mirrored. A file that vanishes meanwhile is an error, unless the backup is taken
/// without the lock anyway.
fn mirror(draft: &Draft<'_>, options: &CreateOptions) -> Result<Vec<Entry>> {
    let entries = tree::walk(draft.data_dir, &[LOCK_FILE])?;
    let mut mirrored = Vec::with_capacity(entries.len());
    for entry in entries {
        if entry.rel == META_FILE || entry.rel == MANIFEST_FILE {
            return Err(BackupError::Io {
                source: io::Error::new(
                    io::ErrorKind::InvalidData,
                    "a data directory must not hold a top-level META or SHA256SUMS: a backup needs these names",
                ),
                path: entry.path,
            });
        }
        let dst = draft.scratch.join(&entry.rel);
        let done = match entry.kind {
            Kind::Dir => fs::create_dir(&dst).map_err(BackupError::at(&dst)),
            Kind::File if options.is_immutable(&entry.rel) => {
                tree::link_or_copy(&entry.path, &dst).map(drop)
            }
            Kind::File => tree::copy_synced(&entry.path, &dst),
        };
        match done {
            Ok(()) => mirrored.push(entry),
            Err(BackupError::Io { path, source })
                if draft.inconsistent
                    && source.kind() == io::ErrorKind::NotFound
                    && path == entry.path =>
            {
                tracing::warn!(path = %path.display(), "vanished while the backup was taken: left out");
            }
            Err(e) => return Err(e),
        }
    }
    Ok(mirrored)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn immutable_patterns() {
        let o = CreateOptions {
            immutable: vec!["*.sst".into(), "CURRENT".into()],
            ..CreateOptions::default()
        };
        assert!(o.is_immutable("engine-rocksdb/000123.sst"));
        assert!(o.is_immutable("CURRENT"));
        assert!(!o.is_immutable("a/CURRENT.bak"));
        assert!(!o.is_immutable("MANIFEST-000001"));
        assert!(!o.is_immutable("x.sst.tmp"));
        assert!(CreateOptions::default().is_immutable("1.sst"));
    }
}
