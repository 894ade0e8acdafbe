//! The one walk of a local directory tree, for local listings ([`super::LocalBackend`]) and
//! for backups (`crate::backup::tree`).
//!
//! Symbolic links below the root are never followed (a link could lead out of the tree) and
//! are skipped with a warning, as are sockets, FIFOs and devices; the root itself may be a
//! link, being what the user named. Names are sorted within each directory, parents come
//! before their children, and a name that is not UTF-8 is an error: no repository could
//! hold it.

use std::io;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

/// What a walk found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Dir,
    File,
}

/// One directory or regular file under the walked root.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// Relative, `/`-separated path.
    pub rel: String,
    pub path: PathBuf,
    pub kind: Kind,
}

/// Why a walk stopped.
#[derive(Debug)]
pub(crate) enum WalkError {
    /// A directory or entry could not be read.
    Io { path: PathBuf, source: io::Error },
    /// A name that is not UTF-8.
    NotUtf8(PathBuf),
}

/// Every directory and regular file under `root`, leaving out the top-level names in
/// `skip_top` with everything below them.
pub(crate) fn walk<'a>(
    root: &'a Path,
    skip_top: &'a [&'a str],
) -> impl Iterator<Item = Result<Entry, WalkError>> + 'a {
    let skipped = move |e: &walkdir::DirEntry| {
        e.depth() == 1
            && e.file_name()
                .to_str()
                .is_some_and(|n| skip_top.contains(&n))
    };
    let mut entries = WalkDir::new(root)
        .min_depth(1)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(move |e| !skipped(e));
    std::iter::from_fn(move || {
        loop {
            let entry = match entries.next()? {
                Ok(entry) => entry,
                Err(e) => {
                    let path = e.path().unwrap_or(root).to_owned();
                    let source = e
                        .into_io_error()
                        .unwrap_or_else(|| io::Error::other("file system loop"));
                    return Some(Err(WalkError::Io { path, source }));
                }
            };
            let path = entry.path();
            let Some(rel) = path.strip_prefix(root).ok().and_then(Path::to_str) else {
                return Some(Err(WalkError::NotUtf8(path.to_owned())));
            };
            // The entry's type as the directory lists it: a link is a link, not its target.
            let kind = entry.file_type();
            let kind = if kind.is_dir() {
                Kind::Dir
            } else if kind.is_file() {
                Kind::File
            } else {
                if kind.is_symlink() {
                    tracing::warn!(path = %path.display(), "symbolic link: not followed, skipped");
                } else {
                    tracing::warn!(path = %path.display(), "not a regular file or directory (socket, FIFO, device): skipped");
                }
                continue;
            };
            return Some(Ok(Entry {
                rel: rel.to_owned(),
                path: path.to_owned(),
                kind,
            }));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::symlink;

    #[test]
    fn skips_links_and_top_level_names() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        fs::create_dir_all(root.join("a/b")).expect("mkdir");
        fs::create_dir_all(root.join("skip/deep")).expect("mkdir");
        fs::write(root.join("a/b/f"), b"x").expect("write");
        fs::write(root.join("a-c"), b"x").expect("write");
        fs::write(root.join("a/skip"), b"x").expect("write");
        symlink("/etc", root.join("link")).expect("symlink");
        symlink("/etc/passwd", root.join("a/flink")).expect("symlink");
        let found: Vec<_> = walk(root, &["skip"])
            .map(|e| e.map(|e| (e.rel, e.kind)))
            .collect::<Result<_, _>>()
            .expect("walk");
        assert_eq!(
            found,
            vec![
                ("a".to_owned(), Kind::Dir),
                ("a/b".to_owned(), Kind::Dir),
                ("a/b/f".to_owned(), Kind::File),
                ("a/skip".to_owned(), Kind::File),
                ("a-c".to_owned(), Kind::File),
            ]
        );
    }

    #[test]
    fn a_name_that_is_not_utf8_is_an_error() {
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let name = std::ffi::OsStr::from_bytes(b"bad\xff");
        fs::write(dir.path().join(name), b"x").expect("write");
        let result: Result<Vec<_>, _> = walk(dir.path(), &[]).collect();
        assert!(matches!(result, Err(WalkError::NotUtf8(_))), "{result:?}");
    }

    #[test]
    fn a_missing_root_is_an_io_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("none");
        let mut found = walk(&missing, &[]);
        match found.next() {
            Some(Err(WalkError::Io { source, .. })) => {
                assert_eq!(source.kind(), io::ErrorKind::NotFound)
            }
            other => panic!("{other:?}"),
        }
    }
}
