//! Restoring a backup into a data directory, all or nothing.
//!
//! 1. The backup is mirrored into the scratch directory `<parent>/.<name>.restoring-<id>`
//!    next to the data directory `<parent>/<name>`, so that the final renames stay on one
//!    file system. Files that match the `--immutable` patterns (by default RocksDB's
//!    `*.sst`, which are never written once complete, only deleted) are hard-linked: the
//!    restored file is the backup's own inode, which takes no time and no space, and which
//!    the database only ever unlinks. Every other file is copied (the data directory will
//!    write it, and a write through a link would change the backup), hashed on the way and
//!    checked against the backup's `SHA256SUMS`. Then one `syncfs` puts the whole mirror on
//!    disk (instead of an fsync per file and directory). So a restore's time grows with the
//!    mutable bytes only. A linked file is not read again: it is the very file that was
//!    hashed when the backup was taken or downloaded (`verify` reads every byte); it must
//!    still be listed, and every listed file present. Where a link is impossible (another
//!    file system, the link count limit) the file is copied and hashed like a mutable one.
//!    A corrupt copied file, or a missing or extra one, fails here, before the data
//!    directory is touched.
//! 2. Under the data directory's exclusive write lock: rename the data directory to the
//!    failsafe `<parent>/<name>.failsafe-<timestamp>` ([`super::failsafe`], which also
//!    bounds how many are kept), then the scratch directory to the data directory. If the
//!    second rename fails the first is undone.
//!
//! The lock file lives in the data directory, so the swap replaces it. The scratch
//! directory gets its own lock file, which the restore holds exclusively from the start
//! (that also keeps two restores of the same backup into the same place apart, and marks a
//! scratch directory nobody holds as a left-over to remove). After the swap both locks are
//! released; writers that waited on the old lock file notice that it was replaced and
//! wait on the new one instead (see [`super::lock`]). The failsafe copy keeps the old
//! lock file, which nobody uses any more.

use std::fs;
use std::path::Path;
use std::time::Duration;

use super::create::is_immutable;
use super::dir::{BackupDir, check_tree, occupied};
use super::error::{BackupError, Result};
use super::id::BackupId;
use super::lock::{ExclusiveGuard, LOCK_FILE, WriteLock};
use super::tree::{self, Kind};

/// How long [`BackupDir::restore`] waits for the data directory's write lock.
pub const RESTORE_LOCK_TIMEOUT: Duration = Duration::from_secs(120);

/// Options of a restore.
#[derive(Debug, Clone)]
pub struct RestoreOptions {
    /// How long to wait for the data directory's write lock (default 120 s).
    pub timeout: Duration,
    /// File name patterns of immutable files, hard-linked from the backup instead of
    /// copied: the server's `--immutable`, as for create ([`super::CreateOptions`]).
    pub immutable: Vec<String>,
}

impl Default for RestoreOptions {
    fn default() -> Self {
        RestoreOptions {
            timeout: RESTORE_LOCK_TIMEOUT,
            immutable: super::CreateOptions::default().immutable,
        }
    }
}

impl BackupDir {
    /// Restores backup `id` into `data_dir` (which must exist) with the default options and
    /// returns the name of the failsafe copy of the old data directory, a sibling of
    /// `data_dir`. On failure the data directory is as it was.
    pub fn restore(&self, id: &BackupId, data_dir: &Path) -> Result<String> {
        self.restore_with(id, data_dir, &RestoreOptions::default())
    }

    /// [`Self::restore`] with `options`.
    pub fn restore_with(
        &self,
        id: &BackupId,
        data_dir: &Path,
        options: &RestoreOptions,
    ) -> Result<String> {
        self.restore_inner(id, data_dir, options)
            .map_err(BackupError::in_restore)
    }

    fn restore_inner(
        &self,
        id: &BackupId,
        data_dir: &Path,
        options: &RestoreOptions,
    ) -> Result<String> {
        let manifest = self.manifest(id)?;
        let source = self.path(id);
        self.check_outside(data_dir)?;
        // Resolved, so that a data directory given as a symbolic link is swapped where it is.
        let data_dir = fs::canonicalize(data_dir).map_err(BackupError::at(data_dir))?;
        if !data_dir.is_dir() {
            return Err(BackupError::io(
                &data_dir,
                std::io::Error::from(std::io::ErrorKind::NotADirectory),
            ));
        }
        let parent = tree::parent(&data_dir).to_path_buf();
        let name = data_dir
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| {
                BackupError::io(
                    &data_dir,
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidInput,
                        "the data directory needs a UTF-8 name and a parent",
                    ),
                )
            })?
            .to_owned();
        let scratch = parent.join(format!(".{name}.restoring-{}", id.scratch_name()));
        let scratch_lock = claim_scratch(&scratch)?;
        // Opened before the first write, so that the flush reports any write-back error of
        // the copies (see `crate::durable::syncfs`).
        let flush = fs::File::open(&scratch).map_err(BackupError::at(&scratch))?;

        let result = check_tree(&source, &manifest, |entry| {
            let dst = scratch.join(&entry.rel);
            let copy = || tree::copy_hashing(&entry.path, &dst).map(|(hash, _)| hash);
            match entry.kind {
                Kind::Dir => fs::create_dir(&dst)
                    .map(|()| None)
                    .map_err(BackupError::at(&dst)),
                Kind::File if is_immutable(&options.immutable, &entry.rel) => {
                    tree::link_or_else(&entry.path, &dst, copy)
                }
                Kind::File => copy().map(Some),
            }
        })
        // One flush of the file system for every copy, link and directory: 2,000 small
        // files were 2,000 fsyncs and most of a restore's time on a disk.
        .and_then(|_| crate::durable::syncfs(&flush).map_err(BackupError::at(&scratch)))
        .and_then(|()| swap(&data_dir, &scratch, &parent, &name, options.timeout));
        if result.is_err() {
            tree::remove_scratch(&scratch);
        }
        drop(scratch_lock);
        let failsafe = result?;
        tracing::info!(%id, data_dir = %data_dir.display(), %failsafe, "hot backup restored");
        Ok(failsafe)
    }
}

/// Creates the scratch directory and takes its lock file exclusively. A scratch directory
/// that exists already is a left-over (removed) unless another restore holds its lock.
fn claim_scratch(scratch: &Path) -> Result<ExclusiveGuard> {
    let busy = || BackupError::Conflict(format!("another restore is using {}", scratch.display()));
    if occupied(scratch) {
        match WriteLock::try_exclusive_file(&scratch.join(LOCK_FILE)) {
            Ok(Some(left_over)) => {
                tracing::info!(path = %scratch.display(), "removing an interrupted restore's scratch directory");
                tree::remove_scratch(scratch);
                drop(left_over);
            }
            Ok(None) => return Err(busy()),
            Err(e) => return Err(e),
        }
    }
    fs::create_dir(scratch).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => busy(),
        _ => BackupError::io(scratch, e),
    })?;
    WriteLock::try_exclusive_file(&scratch.join(LOCK_FILE))?.ok_or_else(busy)
}

/// Under the write lock: data directory → failsafe, scratch → data directory. Returns the
/// failsafe's name.
fn swap(
    data_dir: &Path,
    scratch: &Path,
    parent: &Path,
    name: &str,
    timeout: Duration,
) -> Result<String> {
    let Some(lock) = WriteLock::exclusive(data_dir, timeout)? else {
        return Err(BackupError::LockTimeout { timeout });
    };
    let failsafe = super::failsafe::free_path(parent, name);
    fs::rename(data_dir, &failsafe).map_err(BackupError::at(data_dir))?;
    if let Err(e) = fs::rename(scratch, data_dir) {
        if let Err(back) = fs::rename(&failsafe, data_dir) {
            tracing::error!(data_dir = %data_dir.display(), failsafe = %failsafe.display(), error = %back, "restore failed and the data directory could not be put back: it is in the failsafe copy");
        }
        return Err(BackupError::io(data_dir, e));
    }
    if let Err(e) = tree::sync_dir(parent) {
        // The swap is done; only its durability across a power loss is in doubt.
        tracing::warn!(error = %e, "could not fsync the data directory's parent after a restore");
    }
    drop(lock);
    Ok(failsafe
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default())
}
