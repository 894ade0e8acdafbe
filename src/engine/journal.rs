//! The resume journal: what a transfer has durably done, so a restart continues from there.
//!
//! An append-only file of JSON lines, each fsynced before the work it records is relied on:
//! `begin` (a chunked upload was created: its id, size, SHA-256 and chunk size), `part` (one
//! part is stored at the destination, with its id) and `end` (the file is published). After a
//! crash the journal is folded into the uploads still open; their finished parts are not sent
//! again, so a resume re-sends at most the parts that were in flight. A torn last line (power
//! loss mid-write) is ignored. The file is removed when the transfer completes or is aborted.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "op", rename_all = "lowercase")]
enum Record {
    Begin {
        key: String,
        size: u64,
        sha256: String,
        chunk: u64,
        upload: String,
    },
    Part {
        key: String,
        index: u64,
        part: String,
    },
    End {
        key: String,
    },
}

/// A chunked upload that was begun and not finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenUpload {
    pub size: u64,
    pub sha256: String,
    pub chunk: u64,
    pub upload: String,
    /// Finished parts: index → part id.
    pub parts: BTreeMap<u64, String>,
}

/// One transfer's journal.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: Mutex<Option<File>>,
    open: BTreeMap<String, OpenUpload>,
}

impl Journal {
    /// Opens the journal at `path`, reading what an earlier run left there.
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        file.try_lock().map_err(|_| {
            Error::Other(format!(
                "another transfer is using the journal {}: wait for it or stop it",
                path.display()
            ))
        })?;
        let mut open: BTreeMap<String, OpenUpload> = BTreeMap::new();
        match fs::read_to_string(path) {
            Ok(text) => {
                // A torn last line (power loss mid-append) is cut off, so that the next
                // record does not glue onto it.
                let whole = text.rfind('\n').map_or(0, |i| i + 1);
                if whole < text.len() {
                    file.set_len(whole as u64).map_err(|e| Error::io(path, e))?;
                }
                for line in text[..whole].lines() {
                    let Ok(record) = serde_json::from_str::<Record>(line) else {
                        continue;
                    };
                    match record {
                        Record::Begin {
                            key,
                            size,
                            sha256,
                            chunk,
                            upload,
                        } => {
                            open.insert(
                                key,
                                OpenUpload {
                                    size,
                                    sha256,
                                    chunk,
                                    upload,
                                    parts: BTreeMap::new(),
                                },
                            );
                        }
                        Record::Part { key, index, part } => {
                            if let Some(u) = open.get_mut(&key) {
                                u.parts.insert(index, part);
                            }
                        }
                        Record::End { key } => {
                            open.remove(&key);
                        }
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(path, e)),
        }
        Ok(Journal {
            path: path.to_owned(),
            file: Mutex::new(Some(file)),
            open,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Uploads an earlier run left open.
    pub fn open_uploads(&self) -> &BTreeMap<String, OpenUpload> {
        &self.open
    }

    fn append(&self, record: &Record) -> Result<()> {
        let mut line = serde_json::to_vec(record).map_err(|e| Error::Other(e.to_string()))?;
        line.push(b'\n');
        let mut guard = self.file.lock().unwrap_or_else(|p| p.into_inner());
        let file = guard
            .as_mut()
            .ok_or_else(|| Error::Other("journal already closed".into()))?;
        file.write_all(&line)
            .and_then(|()| file.sync_data())
            .map_err(|e| Error::io(&self.path, e))
    }

    pub fn begin(&self, key: &str, upload: &OpenUpload) -> Result<()> {
        self.append(&Record::Begin {
            key: key.to_owned(),
            size: upload.size,
            sha256: upload.sha256.clone(),
            chunk: upload.chunk,
            upload: upload.upload.clone(),
        })
    }

    pub fn part(&self, key: &str, index: u64, part: &str) -> Result<()> {
        self.append(&Record::Part {
            key: key.to_owned(),
            index,
            part: part.to_owned(),
        })
    }

    pub fn end(&self, key: &str) -> Result<()> {
        self.append(&Record::End {
            key: key.to_owned(),
        })
    }

    /// Removes the journal: the transfer is complete, or aborted and cleaned up.
    pub fn remove(self) -> Result<()> {
        drop(self.file.lock().unwrap_or_else(|p| p.into_inner()).take());
        match fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(&self.path, e)),
        }
    }
}

/// Where the journals live: `$FERRY_STATE_DIR`, else `$XDG_STATE_HOME/ferry`, else
/// `~/.local/state/ferry`.
pub fn default_state_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("FERRY_STATE_DIR") {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("XDG_STATE_HOME") {
        return PathBuf::from(d).join("ferry");
    }
    let home = std::env::var_os("HOME").map_or_else(std::env::temp_dir, PathBuf::from);
    home.join(".local/state/ferry")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_records_and_ignores_torn_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("j");
        let j = Journal::open(&path).expect("open");
        let up = OpenUpload {
            size: 10,
            sha256: "ab".into(),
            chunk: 5,
            upload: "u1".into(),
            parts: BTreeMap::new(),
        };
        j.begin("a", &up).expect("begin");
        j.part("a", 0, "p0").expect("part");
        j.begin("b", &up).expect("begin");
        j.end("b").expect("end");
        drop(j);
        assert!(Journal::open(&path).is_ok(), "lock released on drop");
        let mut f = OpenOptions::new().append(true).open(&path).expect("reopen");
        f.write_all(b"{\"op\":\"part\",\"key\":\"a\",\"ind")
            .expect("torn");
        let j = Journal::open(&path).expect("open again");
        assert!(Journal::open(&path).is_err(), "second opener is refused");
        j.end("zzz").expect("append after torn line");
        let text = fs::read_to_string(&path).expect("read");
        assert!(
            text.ends_with("{\"op\":\"end\",\"key\":\"zzz\"}\n"),
            "{text}"
        );
        let open = j.open_uploads();
        assert_eq!(open.len(), 1);
        assert_eq!(open["a"].parts.get(&0).map(String::as_str), Some("p0"));
        j.remove().expect("remove");
        assert!(!path.exists());
    }
}
