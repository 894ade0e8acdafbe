//! The write lock of a data directory: how a backup gets a consistent snapshot.
//!
//! # Protocol
//!
//! The lock is an advisory `flock(2)` lock on the file `<data-dir>/.ferry-write.lock`
//! (created on first use, never part of a backup).
//!
//! - **Writers** of the data directory (any process that creates, changes, renames or deletes
//!   anything in it) take the lock *shared* ([`WriteLock::shared`]) around each write, or
//!   each group of writes that must be seen together, and release it afterwards (drop the
//!   guard). Many writers hold it at once; they only wait while a backup is being taken.
//!   A writer resolves paths in the data directory *after* taking the lock and keeps no
//!   file or directory of the data directory open across a release: after a restore, the
//!   old ones belong to the failsafe copy. `examples/writer.rs` is a complete writer.
//! - **Backup create** takes the lock *exclusively* ([`WriteLock::exclusive`]) with the
//!   request's `timeout`, which waits for the writers in progress to finish and holds new
//!   ones back; it releases the lock as soon as the snapshot (hard links and copies) is
//!   taken, before hashing.
//! - **Restore** swaps whole directories. It takes the old data directory's lock
//!   exclusively, and also holds exclusively the lock file it created in the replacement
//!   directory, then renames: old → failsafe, replacement → data directory. A writer that
//!   was waiting on the old lock file wakes up holding a lock on a file that is no longer at
//!   `<data-dir>/.ferry-write.lock`; both lock functions therefore check, once they hold a
//!   lock, that the file they locked is still the one at that path (same device and inode)
//!   and otherwise start again on the new one, which the restore releases last.
//!
//! Locks are per open file: two guards of the same process exclude each other just as two
//! processes do. The kernel drops a lock when its holder dies, so a crashed writer or
//! backup never leaves the data directory locked.

use std::fs::{File, OpenOptions, TryLockError};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::thread::sleep;
use std::time::{Duration, Instant};

use super::error::{BackupError, Result};

/// Name of the lock file in a data directory.
pub const LOCK_FILE: &str = ".ferry-write.lock";

/// Pause between attempts while waiting for the lock.
const POLL: Duration = Duration::from_millis(20);

/// How long a writer waits for a data directory that is missing (mid-swap of a restore,
/// the two renames apart) before giving up.
const MISSING_GRACE: Duration = Duration::from_secs(2);

/// Entry points of the protocol (see the module documentation).
#[derive(Debug)]
pub enum WriteLock {}

/// The lock held exclusively: nobody writes the data directory until it is dropped.
#[derive(Debug)]
#[must_use = "the lock is released when the guard is dropped"]
pub struct ExclusiveGuard {
    file: File,
    path: PathBuf,
}

/// The lock held shared by a writer: no backup is taken until it is dropped.
#[derive(Debug)]
#[must_use = "the lock is released when the guard is dropped"]
pub struct SharedGuard {
    file: File,
    path: PathBuf,
}

fn open(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
}

/// Whether the locked `file` is still the one at `path`.
fn still_current(file: &File, path: &Path) -> io::Result<bool> {
    let held = file.metadata()?;
    match std::fs::metadata(path) {
        Ok(now) => Ok(held.dev() == now.dev() && held.ino() == now.ino()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

impl WriteLock {
    /// Takes the lock of `data_dir` exclusively, waiting at most `timeout`; `Ok(None)` when
    /// it was not obtained in time. A missing data directory is an error.
    pub fn exclusive(data_dir: &Path, timeout: Duration) -> Result<Option<ExclusiveGuard>> {
        let path = data_dir.join(LOCK_FILE);
        let deadline = Instant::now() + timeout;
        loop {
            let file = open(&path).map_err(BackupError::at(&path))?;
            loop {
                match file.try_lock() {
                    Ok(()) => break,
                    Err(TryLockError::WouldBlock) if Instant::now() < deadline => sleep(POLL),
                    Err(TryLockError::WouldBlock) => return Ok(None),
                    Err(TryLockError::Error(e)) => return Err(BackupError::io(&path, e)),
                }
            }
            if still_current(&file, &path).map_err(BackupError::at(&path))? {
                return Ok(Some(ExclusiveGuard { file, path }));
            }
        }
    }

    /// Takes the lock of `data_dir` shared, waiting as long as a backup holds it.
    pub fn shared(data_dir: &Path) -> Result<SharedGuard> {
        let path = data_dir.join(LOCK_FILE);
        let mut missing_since: Option<Instant> = None;
        loop {
            let file = match open(&path) {
                Ok(file) => file,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    let since = *missing_since.get_or_insert_with(Instant::now);
                    if since.elapsed() > MISSING_GRACE {
                        return Err(BackupError::io(&path, e));
                    }
                    sleep(POLL);
                    continue;
                }
                Err(e) => return Err(BackupError::io(&path, e)),
            };
            file.lock_shared().map_err(BackupError::at(&path))?;
            if still_current(&file, &path).map_err(BackupError::at(&path))? {
                return Ok(SharedGuard { file, path });
            }
        }
    }

    /// Takes the lock file at `path` (which is created) exclusively if nobody holds it;
    /// `Ok(None)` if somebody does. For a directory that is not yet anyone's data directory.
    pub(crate) fn try_exclusive_file(path: &Path) -> Result<Option<ExclusiveGuard>> {
        let file = open(path).map_err(BackupError::at(path))?;
        match file.try_lock() {
            Ok(()) => Ok(Some(ExclusiveGuard {
                file,
                path: path.to_path_buf(),
            })),
            Err(TryLockError::WouldBlock) => Ok(None),
            Err(TryLockError::Error(e)) => Err(BackupError::io(path, e)),
        }
    }
}

impl ExclusiveGuard {
    /// The lock file this guard holds (as named when it was taken).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Releases the lock now (dropping the guard does the same).
    pub fn release(self) {
        drop(self.file);
    }
}

impl SharedGuard {
    /// The lock file this guard holds (as named when it was taken).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Releases the lock now (dropping the guard does the same).
    pub fn release(self) {
        drop(self.file);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_excludes_exclusive_and_not_shared() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = WriteLock::shared(dir.path()).expect("shared");
        let b = WriteLock::shared(dir.path()).expect("second shared");
        let none = WriteLock::exclusive(dir.path(), Duration::from_millis(50)).expect("try");
        assert!(none.is_none());
        drop(a);
        b.release();
        let ex = WriteLock::exclusive(dir.path(), Duration::ZERO).expect("try");
        let ex = ex.expect("free now");
        assert!(ex.path().ends_with(LOCK_FILE));
        let again = WriteLock::exclusive(dir.path(), Duration::ZERO).expect("try");
        assert!(again.is_none());
    }

    #[test]
    fn exclusive_waits_for_writers() {
        let dir = tempfile::tempdir().expect("tempdir");
        let writer = WriteLock::shared(dir.path()).expect("shared");
        let t = std::thread::spawn(move || {
            sleep(Duration::from_millis(100));
            drop(writer);
        });
        let ex = WriteLock::exclusive(dir.path(), Duration::from_secs(5)).expect("lock");
        assert!(ex.is_some());
        t.join().expect("thread");
    }

    #[test]
    fn a_replaced_lock_file_is_not_trusted() {
        let dir = tempfile::tempdir().expect("tempdir");
        let old = WriteLock::exclusive(dir.path(), Duration::ZERO)
            .expect("lock")
            .expect("free");
        // Replace the lock file under the holder, as a restore's swap does.
        std::fs::remove_file(dir.path().join(LOCK_FILE)).expect("rm");
        let new = WriteLock::try_exclusive_file(&dir.path().join(LOCK_FILE))
            .expect("lock")
            .expect("free");
        drop(old);
        // The old file is free, but it is not the current one: still locked out.
        let none = WriteLock::exclusive(dir.path(), Duration::from_millis(50)).expect("try");
        assert!(none.is_none());
        drop(new);
        assert!(WriteLock::shared(dir.path()).is_ok());
    }

    #[test]
    fn missing_data_dir_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let gone = dir.path().join("gone");
        let err = WriteLock::exclusive(&gone, Duration::ZERO).expect_err("missing");
        assert!(matches!(err, BackupError::Io { .. }));
    }
}
