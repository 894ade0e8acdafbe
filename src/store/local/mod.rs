//! A local directory as a backend, written the way a crash cannot corrupt.
//!
//! Every write goes to a staged file next to its target (`.<name>.<tag>.ferry-part`), is
//! fsynced, renamed into place, and the directory fsynced: a reader sees the old file or the
//! whole new one, never a part. A chunked upload is a staged file preallocated to its final
//! size and filled with positional writes, in any order and from any number of tasks, so a
//! transfer interrupted at any moment resumes into the same staged file.
//!
//! This backend uses `std::fs` rather than `object_store`'s `LocalFileSystem`, which has no
//! resumable chunked writes and percent-encodes some file names, so names would not survive a
//! round trip byte for byte.

mod group_sync;
mod walk;

use group_sync::GroupSync;
pub(crate) use walk::{Entry, Kind, WalkError, walk};

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;

use super::{Backend, Capabilities, ObjectInfo, Stat};
use crate::blocking::blocking;
use crate::{Error, Result};

/// Suffix of staged files; listings never show them.
const STAGED_SUFFIX: &str = ".ferry-part";

/// A directory tree on this machine.
#[derive(Debug, Clone)]
pub struct LocalBackend {
    root: PathBuf,
    /// Small writes share their flushes (see [`group_sync`]).
    group: Arc<GroupSync>,
}

/// Whether a file name is one of Ferry's staged files.
pub fn is_staged(name: &str) -> bool {
    name.starts_with('.') && name.ends_with(STAGED_SUFFIX)
}

/// The part of a staged file's name taken from its target's name: the name while short,
/// else its start and a digest, so the staged name fits in 255 bytes like the target's.
fn staged_stem(name: &str) -> String {
    const KEEP: usize = 200;
    if name.len() <= KEEP {
        return name.to_owned();
    }
    use sha2::Digest;
    let mut cut = KEEP - 25;
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    let digest = hex::encode(sha2::Sha256::digest(name.as_bytes()));
    format!("{}~{}", &name[..cut], &digest[..24])
}

pub use crate::durable::sync_dir;

impl LocalBackend {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        LocalBackend {
            root: root.into(),
            group: Arc::default(),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file for `key`. Keys are relative, `/`-separated, with no `.`, `..` or empty
    /// segments: nothing outside the root can be named.
    ///
    /// Nothing below the root may be a symbolic link either: a link can lead anywhere, so
    /// reading or writing through one could touch files outside the tree (a backup directory
    /// with a link to `/etc/shadow`, a destination whose subdirectory links to `/etc`). Such
    /// a key is refused with an error naming the link; listings skip links. The root itself
    /// may be a link: it is what the user named.
    pub fn file(&self, key: &str) -> Result<PathBuf> {
        let bad = key.is_empty()
            || key.contains('\0')
            || key
                .split('/')
                .any(|s| s.is_empty() || s == "." || s == "..");
        if bad {
            return Err(Error::BadParameter(format!("invalid file key {key:?}")));
        }
        let mut at = self.root.clone();
        for segment in key.split('/') {
            at.push(segment);
            match fs::symlink_metadata(&at) {
                Ok(m) if m.file_type().is_symlink() => {
                    return Err(Error::BadParameter(format!(
                        "{}: a symbolic link; Ferry does not read or write through links below {}",
                        at.display(),
                        self.root.display()
                    )));
                }
                Ok(_) => {}
                // The rest does not exist yet (or cannot be looked at): nothing to follow.
                Err(_) => break,
            }
        }
        Ok(self.root.join(key))
    }

    /// The staged file a write of `key` goes to before it is renamed into place.
    fn staged(&self, key: &str, tag: &str) -> Result<PathBuf> {
        let target = self.file(key)?;
        let name = target
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let tag: String = tag
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(16)
            .collect();
        Ok(target.with_file_name(format!(".{}.{tag}{STAGED_SUFFIX}", staged_stem(name))))
    }

    /// The staged file of an upload id, which must be a staged name of `key`'s file.
    fn upload_file(&self, key: &str, upload: &str) -> Result<PathBuf> {
        let target = self.file(key)?;
        let name = target
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let valid = upload.starts_with(&format!(".{}.", staged_stem(name)))
            && upload.ends_with(STAGED_SUFFIX)
            && !upload.contains('/');
        if !valid {
            return Err(Error::BadParameter(format!(
                "invalid upload id for {key:?}"
            )));
        }
        Ok(target.with_file_name(upload))
    }
}

fn ensure_parent(path: &Path) -> Result<()> {
    match path.parent() {
        Some(dir) => fs::create_dir_all(dir).map_err(|e| Error::io(dir, e)),
        None => Ok(()),
    }
}

/// fsync the staged file, rename it to `target`, fsync the directory.
fn publish(staged: &Path, target: &Path) -> Result<()> {
    File::open(staged)
        .and_then(|f| f.sync_all())
        .map_err(|e| Error::io(staged, e))?;
    rename_synced(staged, target)
}

/// Renames a staged file already fsynced into place and fsyncs the directory.
fn rename_synced(staged: &Path, target: &Path) -> Result<()> {
    fs::rename(staged, target).map_err(|e| Error::io(target, e))?;
    sync_dir(target.parent().unwrap_or(Path::new("/")))
}

/// A local file's version: modification time (ns) and size. Any write changes it.
fn version_tag(m: &fs::Metadata) -> String {
    use std::os::unix::fs::MetadataExt;
    format!("{}.{:09}-{}", m.mtime(), m.mtime_nsec(), m.len())
}

/// Opens a file, refusing a symbolic link in its last component (see [`LocalBackend::file`]):
/// a link put in place after the check is not followed either.
fn open_nofollow(path: &Path, options: &mut OpenOptions) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    options.custom_flags(libc::O_NOFOLLOW).open(path)
}

fn read_at(path: &Path, range: Range<u64>) -> Result<Bytes> {
    let mut file =
        open_nofollow(path, OpenOptions::new().read(true)).map_err(|e| Error::io(path, e))?;
    let len = range.end - range.start;
    let want = usize::try_from(len)
        .map_err(|_| Error::Other(format!("{}: read of {len} bytes", path.display())))?;
    // Into the spare room of a (reused) buffer: nothing is zeroed first.
    let mut buf = crate::store::buffer::take(want);
    file.seek(SeekFrom::Start(range.start))
        .and_then(|_| (&file).take(len).read_to_end(&mut buf))
        .map_err(|e| Error::io(path, e))?;
    if buf.len() != want {
        return Err(Error::io(
            path,
            std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!("{} bytes where {want} were expected", buf.len()),
            ),
        ));
    }
    Ok(crate::store::buffer::freeze(buf))
}

/// The regular files under `root` but staged ones, with their sizes; a missing root has none.
fn list_files(root: &Path) -> Result<Vec<ObjectInfo>> {
    let mut out = Vec::new();
    for entry in walk(root, &[]) {
        let entry = match entry {
            Ok(entry) => entry,
            Err(WalkError::Io { path, source }) => {
                if source.kind() == std::io::ErrorKind::NotFound && path == root {
                    return Ok(out);
                }
                return Err(Error::io(path, source));
            }
            Err(WalkError::NotUtf8(path)) => {
                return Err(Error::Other(format!(
                    "{}: file name is not UTF-8; object stores cannot hold it",
                    path.display()
                )));
            }
        };
        let staged = entry
            .path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(is_staged);
        if entry.kind != Kind::File || staged {
            continue;
        }
        let size = fs::symlink_metadata(&entry.path)
            .map_err(|e| Error::io(&entry.path, e))?
            .len();
        out.push(ObjectInfo {
            key: entry.rel,
            size,
        });
    }
    Ok(out)
}

#[async_trait]
impl Backend for LocalBackend {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            parallel_parts: true,
            min_part_size: 1,
            max_parts: u64::MAX,
            part_alignment: 1,
            server_side_copy: true,
            stores_sha256: false,
            local: true,
        }
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>> {
        let root = self.root.clone();
        let prefix = prefix.to_owned();
        let start = if prefix.is_empty() {
            root.clone()
        } else {
            self.file(&prefix)?
        };
        blocking(move || {
            if start.is_file() {
                return Ok(Vec::new());
            }
            let mut out = list_files(&start)?;
            out.sort_by(|a, b| a.key.cmp(&b.key));
            Ok(out)
        })
        .await
    }

    async fn stat(&self, key: &str) -> Result<Option<Stat>> {
        let path = self.file(key)?;
        match fs::metadata(&path) {
            Ok(m) if m.is_file() => Ok(Some(Stat {
                size: m.len(),
                etag: Some(version_tag(&m)),
                sha256: None,
                modified: m.modified().ok().map(crate::store::mtime::of_system),
            })),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(path, e)),
        }
    }

    async fn get_range(&self, key: &str, range: Range<u64>, etag: Option<&str>) -> Result<Bytes> {
        let path = self.file(key)?;
        let etag = etag.map(str::to_owned);
        blocking(move || {
            let data = read_at(&path, range)?;
            // Checked after the read: a change during it shows in the version too.
            if let Some(etag) = etag {
                let now = fs::metadata(&path).map_err(|e| Error::io(&path, e))?;
                if version_tag(&now) != etag {
                    return Err(Error::Other(format!(
                        "{}: the file changed while it was being transferred",
                        path.display()
                    )));
                }
            }
            Ok(data)
        })
        .await
    }

    async fn put(&self, key: &str, data: Bytes, sha256: &str) -> Result<()> {
        let target = self.file(key)?;
        let staged = self.staged(key, sha256)?;
        let (root, group) = (self.root.clone(), self.group.clone());
        // Read here: the blocking thread is outside the task that knows it.
        let modified = crate::store::mtime::being_written();
        let grouped = blocking(move || {
            ensure_parent(&target)?;
            let dir = target.parent().unwrap_or(Path::new("/"));
            let grouped = group.covers(&root, dir)?;
            let mut file = open_nofollow(
                &staged,
                OpenOptions::new().write(true).create(true).truncate(true),
            )
            .map_err(|e| Error::io(&staged, e))?;
            // fsync (when not grouped) through the handle that wrote: no second open.
            file.write_all(&data)
                .and_then(|()| crate::store::mtime::keep(&file, modified))
                .and_then(|()| if grouped { Ok(()) } else { file.sync_all() })
                .map_err(|e| {
                    let _ = fs::remove_file(&staged);
                    Error::io(&staged, e)
                })?;
            drop(file);
            if grouped {
                fs::rename(&staged, &target).map_err(|e| Error::io(&target, e))?;
            } else {
                rename_synced(&staged, &target)?;
            }
            Ok::<_, Error>(grouped)
        })
        .await?;
        // Not yet on disk: return only once a flush that began after the rename is done.
        if grouped {
            self.group.durable().await?;
        }
        Ok(())
    }

    async fn create_upload(&self, key: &str, size: u64, sha256: &str) -> Result<String> {
        let staged = self.staged(key, sha256)?;
        let id = staged
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        blocking(move || {
            ensure_parent(&staged)?;
            let file = open_nofollow(
                &staged,
                OpenOptions::new().create(true).truncate(false).write(true),
            )
            .map_err(|e| Error::io(&staged, e))?;
            file.set_len(size).map_err(|e| Error::io(&staged, e))?;
            Ok(id)
        })
        .await
    }

    async fn put_part(
        &self,
        key: &str,
        upload: &str,
        index: u64,
        offset: u64,
        data: Bytes,
    ) -> Result<String> {
        let staged = self.upload_file(key, upload)?;
        blocking(move || {
            let file = open_nofollow(&staged, OpenOptions::new().write(true))
                .map_err(|e| Error::io(&staged, e))?;
            file.write_all_at(&data, offset)
                .and_then(|()| file.sync_data())
                .map_err(|e| Error::io(&staged, e))?;
            Ok(index.to_string())
        })
        .await
    }

    async fn complete_upload(&self, key: &str, upload: &str, _parts: Vec<String>) -> Result<()> {
        let staged = self.upload_file(key, upload)?;
        let target = self.file(key)?;
        let modified = crate::store::mtime::being_written();
        blocking(move || {
            if modified.is_some() {
                let file = OpenOptions::new()
                    .write(true)
                    .open(&staged)
                    .map_err(|e| Error::io(&staged, e))?;
                crate::store::mtime::keep(&file, modified).map_err(|e| Error::io(&staged, e))?;
            }
            publish(&staged, &target)
        })
        .await
    }

    async fn read_staged(
        &self,
        key: &str,
        upload: &str,
        range: Range<u64>,
    ) -> Result<Option<Bytes>> {
        let staged = self.upload_file(key, upload)?;
        blocking(move || read_at(&staged, range)).await.map(Some)
    }

    async fn abort_upload(&self, key: &str, upload: &str) -> Result<()> {
        let staged = self.upload_file(key, upload)?;
        match fs::remove_file(&staged) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(staged, e)),
        }
    }

    async fn copy(&self, from: &str, to: &str) -> Result<()> {
        let source = self.file(from)?;
        let target = self.file(to)?;
        let staged = self.staged(to, "copy")?;
        blocking(move || {
            ensure_parent(&target)?;
            // fs::copy would write through a link left at the staged name.
            let _ = fs::remove_file(&staged);
            fs::copy(&source, &staged).map_err(|e| Error::io(&source, e))?;
            publish(&staged, &target)
        })
        .await
    }

    async fn delete(&self, key: &str) -> Result<()> {
        let path = self.file(key)?;
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(path, e)),
        }
    }
}
