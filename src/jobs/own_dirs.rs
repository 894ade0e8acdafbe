//! Local repositories that the server must refuse whatever the local path prefix allows
//! (issue 12, item 6).
//!
//! - A path with a control character (newline, carriage return, tab, escape, ...): such a
//!   name splits log lines and listings, and no operator means one.
//! - A path in one of the server's own directories (data, backups, state), by name or
//!   through symbolic links: uploading into `<backup-dir>/<id>` made that backup
//!   unrestorable while `list` still called it available, and a download from there would
//!   read what the server writes.

use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// The server's own directories, each with what to call it.
#[derive(Debug, Clone, Default)]
pub struct OwnDirs {
    pub dirs: Vec<(&'static str, PathBuf)>,
}

/// Where `path` really is: its deepest existing ancestor resolved, the rest appended.
fn real(path: &Path) -> PathBuf {
    let mut rest = Vec::new();
    let mut at = path;
    loop {
        if let Ok(found) = std::fs::canonicalize(at) {
            return rest.iter().rev().fold(found, |p, part| p.join(part));
        }
        match (at.parent(), at.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                at = parent;
            }
            _ => return path.to_path_buf(),
        }
    }
}

impl OwnDirs {
    /// Refuses the absolute, clean local repository `path` (errorNum 7008).
    pub fn check(&self, path: &str) -> Result<()> {
        if let Some(c) = path.chars().find(|c| c.is_control()) {
            return Err(Error::BadConfig(format!(
                "local repository path holds the control character {c:?}: not allowed"
            )));
        }
        let path = real(Path::new(path));
        for (what, dir) in &self.dirs {
            let Ok(dir) = std::fs::canonicalize(dir) else {
                continue;
            };
            if path.starts_with(&dir) {
                return Err(Error::BadConfig(format!(
                    "local repository path {:?} lies in the server's {what} directory: not allowed",
                    path.display().to_string()
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_directories_and_control_characters_are_refused() {
        let root = tempfile::tempdir().expect("tempdir");
        let backups = root.path().join("backups");
        std::fs::create_dir(&backups).expect("mkdir");
        std::os::unix::fs::symlink(&backups, root.path().join("link")).expect("symlink");
        let own = OwnDirs {
            dirs: vec![("backup", backups.clone())],
        };
        let at = |rel: &str| root.path().join(rel).display().to_string();
        for refused in [at("backups"), at("backups/x/y"), at("link/new"), at("link")] {
            let message = own.check(&refused).expect_err(&refused).to_string();
            assert!(message.contains("backup directory"), "{message}");
        }
        for fine in [at("backups-next"), at("repo/backups"), at("")] {
            own.check(&fine).unwrap_or_else(|e| panic!("{fine}: {e}"));
        }
        for c in ['\n', '\r', '\t', '\u{1b}', '\u{7f}', '\u{85}'] {
            let message = own
                .check(&format!("/tmp/a{c}b"))
                .expect_err("control")
                .to_string();
            assert!(message.contains("control character"), "{message}");
            assert!(!message.contains(c), "{message}");
        }
    }
}
