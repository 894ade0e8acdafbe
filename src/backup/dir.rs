//! The backup directory (`--backup-dir`): one subdirectory per backup, named by its id.
//!
//! A subdirectory is a backup when its name is a valid [`BackupId`] and it holds `META`.
//! Everything in flight lives under a scratch name that starts with `.` (`.creating-<id>`,
//! `.downloading-<id>`, `.deleting-<id>`), which no id can have, so it is never listed and
//! never mistaken for a backup; it becomes (or stops being) a backup by one `rename`.
//!
//! All methods block on the file system: async callers run them with `spawn_blocking`.
//! Creating is in [`super::create`], restoring in [`super::restore`].

use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::error::{BackupError, Result};
use super::id::BackupId;
use super::lock::LOCK_FILE;
use super::manifest::{MANIFEST_FILE, Manifest};
use super::meta::{META_FILE, Meta};
use super::tree::{self, Entry, Kind};

/// The directory that holds the local backups.
#[derive(Debug, Clone)]
pub struct BackupDir {
    pub root: PathBuf,
}

/// Whether something (anything, even a dangling link) is at `path`.
pub(crate) fn occupied(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok()
}

/// Whether the rename failure means that the target exists already.
pub(crate) fn is_taken(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::AlreadyExists | io::ErrorKind::DirectoryNotEmpty
    )
}

/// Reads the `SHA256SUMS` of the backup tree at `dir`.
pub fn read_manifest(dir: &Path) -> Result<Manifest> {
    let path = dir.join(MANIFEST_FILE);
    let text = match fs::read(&path) {
        Ok(bytes) => String::from_utf8(bytes).map_err(|_| BackupError::Manifest {
            line: 0,
            message: format!("{} is not UTF-8", path.display()),
        })?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(BackupError::Corrupt {
                path: dir.to_path_buf(),
                message: format!("no {MANIFEST_FILE}: the backup cannot be verified"),
            });
        }
        Err(e) => return Err(BackupError::io(&path, e)),
    };
    Manifest::parse(&text)
}

/// Walks the backup tree at `dir` (parents before children) and hands every directory and
/// data file to `visit`, which returns a file's SHA-256, or `None` for a file it did not
/// read (a restore's hard link; what it returns for a directory is ignored). Every file
/// must be listed in `manifest`, with that digest where it has one, and every listed file
/// must be there. Returns the walk.
pub(crate) fn check_tree(
    dir: &Path,
    manifest: &Manifest,
    mut visit: impl FnMut(&Entry) -> Result<Option<String>>,
) -> Result<Vec<Entry>> {
    let corrupt = |message: String| BackupError::Corrupt {
        path: dir.to_path_buf(),
        message,
    };
    let entries = tree::walk(dir, &[META_FILE, MANIFEST_FILE, LOCK_FILE])?;
    let mut seen = BTreeSet::new();
    for entry in &entries {
        if entry.kind == Kind::Dir {
            visit(entry)?;
            continue;
        }
        let Some(expected) = manifest.get(&entry.rel) else {
            return Err(corrupt(format!(
                "{:?} is not listed in {MANIFEST_FILE}",
                entry.rel
            )));
        };
        let actual = visit(entry)?;
        if let Some(actual) = actual.filter(|actual| actual != expected) {
            return Err(corrupt(format!(
                "{:?}: expected sha256 {expected}, got {actual}",
                entry.rel
            )));
        }
        seen.insert(entry.rel.as_str());
    }
    if let Some((missing, _)) = manifest.iter().find(|(p, _)| !seen.contains(p)) {
        return Err(corrupt(format!(
            "{missing:?} is listed in {MANIFEST_FILE} but missing"
        )));
    }
    Ok(entries)
}

/// The SHA-256 of a walked file (nothing for a directory).
fn hash_entry(entry: &Entry) -> Result<Option<String>> {
    match entry.kind {
        Kind::File => tree::hash_file(&entry.path).map(|(hash, _)| Some(hash)),
        Kind::Dir => Ok(None),
    }
}

/// Hashes every file of the backup tree at `dir` and checks it against its `SHA256SUMS`:
/// the same files, the same digests.
pub fn verify_tree(dir: &Path) -> Result<Manifest> {
    let manifest = read_manifest(dir)?;
    check_tree(dir, &manifest, hash_entry)?;
    Ok(manifest)
}

impl BackupDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        BackupDir { root: root.into() }
    }

    /// The directory of backup `id` (which may not exist).
    pub fn path(&self, id: &BackupId) -> PathBuf {
        self.root.join(id.as_str())
    }

    /// The scratch directory a download of `id` fills before [`Self::publish_download`].
    /// Its name is stable, so an interrupted download resumes into it.
    pub fn scratch_dir(&self, id: &BackupId) -> PathBuf {
        self.root
            .join(format!(".downloading-{}", id.scratch_name()))
    }

    /// Refuses a backup directory inside the data directory: backups would be backed up
    /// with the data, and a restore would move them into the failsafe copy.
    pub(crate) fn check_outside(&self, data_dir: &Path) -> Result<()> {
        let data = fs::canonicalize(data_dir).map_err(BackupError::at(data_dir))?;
        let root = fs::canonicalize(&self.root).map_err(BackupError::at(&self.root))?;
        if root.starts_with(&data) {
            return Err(crate::Error::BadParameter(format!(
                "the backup directory {} is inside the data directory {}",
                root.display(),
                data.display()
            ))
            .into());
        }
        Ok(())
    }

    /// Whether `dir` is a backup: a real directory (not a link) holding `META`.
    fn is_backup(dir: &Path) -> bool {
        fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir()) && occupied(&dir.join(META_FILE))
    }

    /// Every backup, sorted by id, each with its `META` or the error reading it.
    /// A missing backup directory has no backups.
    pub fn list(&self) -> Result<Vec<(BackupId, Result<Meta>)>> {
        let entries = match fs::read_dir(&self.root) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(BackupError::io(&self.root, e)),
        };
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(BackupError::at(&self.root))?;
            // Scratch names start with '.', which no id does.
            let Some(Ok(id)) = entry.file_name().to_str().map(BackupId::parse) else {
                continue;
            };
            let dir = entry.path();
            if Self::is_backup(&dir) {
                out.push((id, Meta::read(&dir.join(META_FILE))));
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    /// The `META` of backup `id`; [`BackupError::NotFound`] when there is no such backup.
    pub fn get(&self, id: &BackupId) -> Result<Meta> {
        let dir = self.path(id);
        if !Self::is_backup(&dir) {
            return Err(BackupError::NotFound(id.to_string()));
        }
        Meta::read(&dir.join(META_FILE))
    }

    /// The `SHA256SUMS` of backup `id`.
    pub fn manifest(&self, id: &BackupId) -> Result<Manifest> {
        self.get(id)?;
        read_manifest(&self.path(id))
    }

    /// Hashes every file of backup `id` and checks it against its `SHA256SUMS`.
    pub fn verify(&self, id: &BackupId) -> Result<Manifest> {
        self.get(id)?;
        verify_tree(&self.path(id))
    }

    /// Deletes backup `id`. It is first renamed to a scratch name, so a delete interrupted
    /// half-way never leaves a half backup in the list.
    pub fn delete(&self, id: &BackupId) -> Result<()> {
        let dir = self.path(id);
        if !Self::is_backup(&dir) {
            return Err(BackupError::NotFound(id.to_string()));
        }
        let trash = self.root.join(format!(".deleting-{}", id.scratch_name()));
        // Left over by an earlier delete of the same id that was interrupted.
        tree::remove_scratch(&trash);
        fs::rename(&dir, &trash).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => BackupError::NotFound(id.to_string()),
            _ => BackupError::io(&dir, e),
        })?;
        tree::sync_dir(&self.root)?;
        if let Err(e) = fs::remove_dir_all(&trash) {
            tracing::warn!(path = %trash.display(), error = %e, "backup deleted, but its files could not all be removed");
        }
        Ok(())
    }

    /// Publishes a finished download: checks that `scratch` holds a `META` naming `id` and
    /// that every file matches `SHA256SUMS`, then renames it to the backup's place, which
    /// must be free: an existing backup is never touched ([`BackupError::Conflict`]).
    pub fn publish_download(&self, scratch: &Path, id: &BackupId) -> Result<Meta> {
        let meta = Meta::read(&scratch.join(META_FILE))?;
        if meta.id != *id {
            return Err(BackupError::Corrupt {
                path: scratch.to_path_buf(),
                message: format!("META names backup {}, not {id}", meta.id),
            });
        }
        let manifest = read_manifest(scratch)?;
        let entries = check_tree(scratch, &manifest, hash_entry)?;
        tree::sync_dirs(scratch, &entries)?;
        let target = self.path(id);
        let conflict = || BackupError::Conflict(format!("backup {id} exists already"));
        if occupied(&target) {
            return Err(conflict());
        }
        fs::rename(scratch, &target).map_err(|e| match is_taken(&e) {
            true => conflict(),
            false => BackupError::io(&target, e),
        })?;
        tree::sync_dir(&self.root)?;
        Ok(meta)
    }

    /// SHA-256 → one file with that content, over the `SHA256SUMS` of every local backup
    /// (backups without a readable one are skipped). A download can hard-link these
    /// instead of fetching the same bytes again.
    pub fn files_by_sha256(&self) -> Result<HashMap<String, PathBuf>> {
        let mut out = HashMap::new();
        for (id, meta) in self.list()? {
            if meta.is_err() {
                continue;
            }
            let dir = self.path(&id);
            let Ok(manifest) = read_manifest(&dir) else {
                continue;
            };
            for (path, hash) in manifest.iter() {
                out.entry(hash.to_owned()).or_insert_with(|| dir.join(path));
            }
        }
        Ok(out)
    }
}
