//! Folder markers: the zero-byte objects named `dir/` that the AWS and GCS consoles (and
//! rclone's `--s3-directory-markers`) create to show a directory. They are directories, not
//! files: copied as files, `dir` would be an empty file beside the directory `dir/`, which no
//! local tree can hold, and `check` would miss it at a local destination.
//!
//! `object_store` parses `dir/` into the path `dir`, so in a listing a marker looks like an
//! empty file. One with entries below it is a marker for sure (rclone shows no file and a
//! directory of one name either). One without is told apart by a listing of its parent with
//! a delimiter, where a marker is a common prefix and an empty file is an object: one more
//! request per directory that holds empty files or markers without entries below them.

use std::collections::{BTreeMap, BTreeSet};

use super::ObjectInfo;

/// What a listing's empty entries are, as far as the listing itself can tell.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Sorted {
    /// Keys of empty entries with entries below them: markers.
    pub markers: BTreeSet<String>,
    /// Empty entries without entries below them, by parent (`""` for the top): each is a
    /// marker unless its parent's listing names it as an object.
    pub unsure: BTreeMap<String, Vec<String>>,
}

/// Sorts the empty entries of `files` (keys relative to the listed root).
pub fn sort(files: &[ObjectInfo]) -> Sorted {
    let mut dirs = BTreeSet::new();
    for f in files {
        let mut at = 0;
        while let Some(i) = f.key[at..].find('/') {
            dirs.insert(&f.key[..at + i]);
            at += i + 1;
        }
    }
    let mut sorted = Sorted::default();
    for f in files.iter().filter(|f| f.size == 0) {
        if dirs.contains(f.key.as_str()) {
            sorted.markers.insert(f.key.clone());
        } else {
            let parent = f.key.rsplit_once('/').map_or("", |(p, _)| p);
            sorted
                .unsure
                .entry(parent.to_owned())
                .or_default()
                .push(f.key.clone());
        }
    }
    sorted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_entry_with_entries_below_it_is_a_marker() {
        let f = |key: &str, size| ObjectInfo {
            key: key.into(),
            size,
        };
        let files = [
            f("dir", 0),
            f("dir/a.txt", 5),
            f("dir/deep", 0),
            f("dir/deep/b", 0),
            f("empty.txt", 0),
            f("dir/lone", 0),
            f("full", 3),
        ];
        let sorted = sort(&files);
        assert_eq!(
            sorted.markers.into_iter().collect::<Vec<_>>(),
            ["dir", "dir/deep"]
        );
        let unsure: Vec<_> = sorted.unsure.into_iter().collect();
        assert_eq!(
            unsure,
            [
                ("".to_owned(), vec!["empty.txt".to_owned()]),
                ("dir".to_owned(), vec!["dir/lone".to_owned()]),
                ("dir/deep".to_owned(), vec!["dir/deep/b".to_owned()]),
            ]
        );
    }
}
