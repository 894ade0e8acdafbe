//! Directory-tree plumbing shared by create, restore and verification: the walk (the one of
//! [`crate::store::local`], which never follows a link) with backup errors, hashing, copies and hard links that reach the disk (fsync), and removal
//! of scratch directories.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

use super::error::{BackupError, Result};
use crate::engine::digest::hash_reader;
use crate::store::local::WalkError;
pub(crate) use crate::store::local::{Entry, Kind};

/// Every directory and regular file under `root`, parents before children, names sorted.
/// Top-level names in `skip_top` are left out. Symbolic links are never followed (a link
/// could lead out of the tree) and are skipped with a warning, as are sockets, FIFOs and
/// devices. A name that is not UTF-8 is an error: it could not be stored in a repository.
pub(crate) fn walk(root: &Path, skip_top: &[&str]) -> Result<Vec<Entry>> {
    crate::store::local::walk(root, skip_top)
        .map(|entry| {
            entry.map_err(|e| match e {
                WalkError::Io { path, source } => BackupError::io(path, source),
                WalkError::NotUtf8(path) => BackupError::Io {
                    source: io::Error::new(
                        io::ErrorKind::InvalidData,
                        "file name is not UTF-8; a backup cannot hold it",
                    ),
                    path,
                },
            })
        })
        .collect()
}

/// SHA-256 (hex) and size of the file at `path`.
pub(crate) fn hash_file(path: &Path) -> Result<(String, u64)> {
    let file = File::open(path).map_err(BackupError::at(path))?;
    hash_reader(file, |e| BackupError::io(path, e), |_| Ok(()))
}

/// Copies `src` to the new file `dst`, hashing the bytes on the way. `dst` is not fsynced:
/// the caller flushes the whole tree once (a restore's one `syncfs`, instead of an fsync per
/// file). Returns the SHA-256 (hex) and size of what was copied.
pub(crate) fn copy_hashing(src: &Path, dst: &Path) -> Result<(String, u64)> {
    let mut from = File::open(src).map_err(BackupError::at(src))?;
    let mut to = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(dst)
        .map_err(BackupError::at(dst))?;
    let (sha256, size) = hash_reader(
        &mut from,
        |e| BackupError::io(src, e),
        |block| to.write_all(block).map_err(BackupError::at(dst)),
    )?;
    if let Ok(meta) = from.metadata() {
        // Keep the mode bits, as `cp -p` and `fs::copy` do.
        let _ = fs::set_permissions(dst, meta.permissions());
    }
    Ok((sha256, size))
}

/// Copies `src` to `dst` and fsyncs the copy.
pub(crate) fn copy_synced(src: &Path, dst: &Path) -> Result<()> {
    match fs::copy(src, dst) {
        Ok(_) => {}
        // A vanished source is reported as such, not as a failure to write `dst`.
        Err(e) if e.kind() == io::ErrorKind::NotFound && !src.exists() => {
            return Err(BackupError::io(src, e));
        }
        Err(e) => return Err(BackupError::io(dst, e)),
    }
    File::open(dst)
        .and_then(|f| f.sync_all())
        .map_err(BackupError::at(dst))
}

/// Hard-links `src` as `dst`, or copies it when linking is impossible (another file
/// system, link count limit, a file system without links). Returns whether it linked.
pub(crate) fn link_or_copy(src: &Path, dst: &Path) -> Result<bool> {
    link_or_else(src, dst, || copy_synced(src, dst)).map(|copied| copied.is_none())
}

/// Hard-links `src` as `dst` (`None`), or when linking is impossible runs `fallback`, which
/// is to copy it, and returns what that gave.
pub(crate) fn link_or_else<T>(
    src: &Path,
    dst: &Path,
    fallback: impl FnOnce() -> Result<T>,
) -> Result<Option<T>> {
    match fs::hard_link(src, dst) {
        Ok(()) => Ok(None),
        Err(e) if e.kind() == io::ErrorKind::NotFound && !src.exists() => {
            Err(BackupError::io(src, e))
        }
        Err(e) => {
            tracing::debug!(src = %src.display(), error = %e, "hard link impossible: copying");
            fallback().map(Some)
        }
    }
}

/// Writes `bytes` to the new file `path` and fsyncs it.
pub(crate) fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(BackupError::at(path))?;
    file.write_all(bytes).map_err(BackupError::at(path))?;
    file.sync_all().map_err(BackupError::at(path))
}

/// fsyncs a directory, so that the entries created or renamed in it survive power loss.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(BackupError::at(dir))
}

/// fsyncs `root` and every directory under it.
pub(crate) fn sync_dirs(root: &Path, entries: &[Entry]) -> Result<()> {
    for entry in entries.iter().filter(|e| e.kind == Kind::Dir) {
        sync_dir(&entry.path)?;
    }
    sync_dir(root)
}

/// The directory `path` is in (`.` for a bare name).
pub(crate) fn parent(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Removes a scratch directory after a failure; a failure to remove is only logged (the
/// error that matters is the one that caused the clean-up).
pub(crate) fn remove_scratch(path: &Path) {
    match fs::remove_dir_all(path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "could not remove scratch directory")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_hashing_matches_hash_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let src = dir.path().join("src");
        // Over several of the hasher's 1 MiB blocks.
        let data: Vec<u8> = (0..(3 << 20) + 17).map(|i| (i % 251) as u8).collect();
        fs::write(&src, &data).expect("write");
        let copied = copy_hashing(&src, &dir.path().join("dst")).expect("copy");
        assert_eq!(copied, hash_file(&src).expect("hash"));
        assert_eq!(copied.1, data.len() as u64);
        assert_eq!(fs::read(dir.path().join("dst")).expect("read"), data);
        assert!(
            copy_hashing(&src, &dir.path().join("dst")).is_err(),
            "never overwrites"
        );
    }
}
