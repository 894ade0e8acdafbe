//! Whether two places overlap: one is the other or lies below it. `sync` and `move` refuse
//! such a pair, as rclone's `OverlappingFilterCheck` (fs/operations/operations.go) does
//! with `fs.ErrorOverlapping`: deleting at one would delete what the other is reading.
//!
//! Remote places are compared as rclone does, by the remote's name and the path below it.
//! Local places are compared by their absolute path with symbolic links resolved (as far
//! as the path exists), so `./a` and `/abs/a`, or a link to `a`, count as the same.

use std::path::{Path, PathBuf};

use super::exit::Failure;
use super::plan::Place;

/// rclone's words (`fs.ErrorOverlapping`), which a script may match on.
pub const OVERLAPPING: &str = "can't sync or move files on overlapping remotes (try excluding the destination with a filter rule)";

/// Refuses `src` and `dst` when they overlap (exit 7, a fatal error as in rclone).
pub fn refuse_overlap(src: &Place, dst: &Place) -> Result<(), Failure> {
    if overlaps(src, dst) {
        return Err(Failure::Fatal(OVERLAPPING.into()));
    }
    Ok(())
}

/// True when one place is the other or lies below it.
pub fn overlaps(a: &Place, b: &Place) -> bool {
    match (&a.local, &b.local, &a.remote, &b.remote) {
        (Some(x), Some(y), _, _) => {
            let (x, y) = (resolved(x), resolved(y));
            x.starts_with(&y) || y.starts_with(&x)
        }
        (None, None, Some((na, pa)), Some((nb, pb))) => {
            na == nb && (nested(pa, pb) || nested(pb, pa))
        }
        _ => false,
    }
}

/// `inner` is `outer` or below it, at `/` boundaries (`a/bc` is not below `a/b`).
fn nested(inner: &str, outer: &str) -> bool {
    outer.is_empty()
        || inner == outer
        || inner
            .strip_prefix(outer)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// `path` made absolute, its longest existing ancestor's symbolic links resolved, and the
/// rest (which does not exist yet) appended as written, `.` and `..` folded.
fn resolved(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    let mut missing = Vec::new();
    let mut at = absolute.as_path();
    loop {
        if let Ok(real) = at.canonicalize() {
            let mut out = real;
            for part in missing.iter().rev() {
                out.push(part);
            }
            return fold(&out);
        }
        match (at.parent(), at.file_name()) {
            (Some(parent), Some(name)) => {
                missing.push(name.to_owned());
                at = parent;
            }
            _ => return fold(&absolute),
        }
    }
}

/// Folds `.` and `..` without asking the file system.
fn fold(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_nest_at_slashes() {
        assert!(nested("b/dir", "b"));
        assert!(nested("b", "b"));
        assert!(nested("b/x", ""));
        assert!(!nested("b/dirx", "b/dir"));
        assert!(!nested("b", "b/dir"));
    }

    #[test]
    fn local_paths_are_compared_resolved() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = dir.path().join("a");
        std::fs::create_dir(&a).expect("mkdir");
        assert_eq!(resolved(&a.join("new/../x")), resolved(&a).join("x"));
        assert!(resolved(&a.join("new/deeper")).starts_with(resolved(&a)));
    }
}
