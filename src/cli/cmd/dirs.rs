//! Directories as `lsd` and `lsjson` show them. Object stores have none: a directory is a
//! common prefix of keys, so both stores and local trees derive them from the file listing.

use std::collections::BTreeMap;

use ferry::store::ObjectInfo;

/// Every directory below the root that holds a file (at any depth), with the number of
/// files and bytes below it. Keys are `/`-separated paths relative to the root.
pub fn directories(files: &[ObjectInfo]) -> BTreeMap<String, (u64, u64)> {
    let mut dirs: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for f in files {
        let mut at = 0;
        while let Some(i) = f.key[at..].find('/') {
            let entry = dirs.entry(f.key[..at + i].to_owned()).or_default();
            entry.0 += 1;
            entry.1 += f.size;
            at += i + 1;
        }
    }
    dirs
}

/// How deep a path is: `a` is 1, `a/b` is 2.
pub fn depth(path: &str) -> usize {
    path.split('/').count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_become_directories() {
        let f = |key: &str, size| ObjectInfo {
            key: key.into(),
            size,
        };
        let dirs = directories(&[f("top", 1), f("a/x", 2), f("a/b/y", 3), f("c/z", 4)]);
        let got: Vec<_> = dirs.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(got, [("a", (2, 5)), ("a/b", (1, 3)), ("c", (1, 4))]);
        assert_eq!((depth("a"), depth("a/b")), (1, 2));
    }
}
