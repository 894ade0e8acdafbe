//! Small files that must survive a crash whole: a job record, a stored async answer.
//!
//! A file is written under a temporary name next to its place, fsynced, renamed over the
//! old one and its directory fsynced: after a crash a reader finds the old file or the
//! whole new one, never a part, and the rename itself is on disk. The local store stages
//! its large files the same way, in place (`crate::store::local`); what is here is for
//! files written in one piece.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::{Error, Result};

/// Writes `data` as `dir/name`, atomically and durably, readable by the owner only (mode
/// 0600: records and answers may hold credentials or paths). The temporary file is
/// `dir/.<name>.tmp`; `dir` must exist.
pub fn write_private(dir: &Path, name: &str, data: &[u8]) -> Result<()> {
    let path = dir.join(name);
    let tmp = dir.join(format!(".{name}.tmp"));
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(|e| Error::io(&tmp, e))?;
    file.write_all(data)
        .and_then(|()| file.sync_all())
        .map_err(|e| Error::io(&tmp, e))?;
    std::fs::rename(&tmp, &path).map_err(|e| Error::io(&path, e))?;
    sync_dir(dir)
}

/// Flushes the whole file system `dir` is on (`syncfs(2)`): every file written and every
/// directory changed there reaches the disk, one call instead of an fsync of each. It reports
/// the file system's write-back errors since `dir` was opened (Linux 5.8 and later keep an
/// error sequence per super block), so open `dir` before the writes it must answer for.
pub fn syncfs(dir: &File) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: a plain system call on a descriptor this function borrows for its duration.
    #[allow(unsafe_code)]
    let rc = unsafe { libc::syncfs(dir.as_raw_fd()) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// fsyncs a directory so that a rename or create in it survives power loss.
pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(dir, e))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn replaces_the_file_whole_and_private() {
        let dir = tempfile::tempdir().expect("tempdir");
        write_private(dir.path(), "a.json", b"first").expect("write");
        write_private(dir.path(), "a.json", b"second").expect("rewrite");
        let path = dir.path().join("a.json");
        assert_eq!(std::fs::read(&path).expect("read"), b"second");
        let mode = std::fs::metadata(&path).expect("stat").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, ["a.json"], "no temporary file is left");
    }

    #[test]
    fn a_missing_directory_fails_naming_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let gone = dir.path().join("gone");
        let e = write_private(&gone, "a.json", b"x").expect_err("no directory");
        assert!(e.to_string().contains(".a.json.tmp"), "{e}");
    }
}
