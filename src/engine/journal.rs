//! The resume journal: what a transfer has durably done, so a restart continues from there.
//!
//! An append-only file of JSON lines, each fsynced before the work it records is relied on:
//! `intent` (a chunked upload is about to be created, and when: written before the request,
//! so that an upload whose id never reached the journal can still be found), `begin` (a
//! chunked upload was created: its id, size, SHA-256 and chunk size), `part` (one part is
//! stored at the destination, with its id) and `end` (the file is published, or its upload
//! given up). After a crash the journal is folded into the uploads still open and the intents
//! not ended; finished parts are not sent again, so a resume re-sends at most the parts that
//! were in flight, and uploads begun after an intent and not the journalled one are aborted
//! (see `super::orphans`). A torn last line (power loss mid-write) is ignored; a record of a
//! kind this version does not know is skipped. The file is removed when the transfer
//! completes or is aborted.

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
    Intent {
        key: String,
        /// Milliseconds since the Unix epoch, this machine's clock.
        at: i64,
    },
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
    /// Intents an earlier run left without an `end`: key → earliest time.
    earlier_intents: BTreeMap<String, i64>,
    /// Intents not ended now (earlier ones and this run's): key → earliest time.
    intents: Mutex<BTreeMap<String, i64>>,
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
        let mut intents: BTreeMap<String, i64> = BTreeMap::new();
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
                        Record::Intent { key, at } => {
                            let earliest = intents.entry(key).or_insert(at);
                            *earliest = (*earliest).min(at);
                        }
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
                            intents.remove(&key);
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
            earlier_intents: intents.clone(),
            intents: Mutex::new(intents),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Uploads an earlier run left open.
    pub fn open_uploads(&self) -> &BTreeMap<String, OpenUpload> {
        &self.open
    }

    /// Intents to create an upload that an earlier run left without an `end`: key → time
    /// (milliseconds since the Unix epoch). The earlier run may have created an upload whose
    /// id it never journalled.
    pub fn earlier_intents(&self) -> &BTreeMap<String, i64> {
        &self.earlier_intents
    }

    /// Intents not ended yet, an earlier run's and this run's: key → earliest time.
    pub fn intents(&self) -> BTreeMap<String, i64> {
        self.intents
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
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

    /// Records, durably, that an upload of `key` is about to be created; returns its time.
    /// Call it before `create_upload`, and `begin` once the id is known.
    pub fn intent(&self, key: &str) -> Result<i64> {
        let at = chrono::Utc::now().timestamp_millis();
        self.intent_at(key, at)?;
        Ok(at)
    }

    /// [`Journal::intent`] with a given time (milliseconds since the Unix epoch).
    pub fn intent_at(&self, key: &str, at: i64) -> Result<()> {
        self.append(&Record::Intent {
            key: key.to_owned(),
            at,
        })?;
        let mut intents = self.intents.lock().unwrap_or_else(|p| p.into_inner());
        let earliest = intents.entry(key.to_owned()).or_insert(at);
        *earliest = (*earliest).min(at);
        Ok(())
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
        })?;
        self.intents
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
        Ok(())
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

    fn small_upload() -> OpenUpload {
        OpenUpload {
            size: 10,
            sha256: "ab".into(),
            chunk: 5,
            upload: "u1".into(),
            parts: BTreeMap::new(),
        }
    }

    #[test]
    fn folds_records_and_ignores_torn_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("j");
        let j = Journal::open(&path).expect("open");
        let up = small_upload();
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

    #[test]
    fn intents_survive_until_ended() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("j");
        let j = Journal::open(&path).expect("open");
        let up = small_upload();
        j.intent_at("a", 2000).expect("intent");
        // Killed before the id came back: no begin for "a".
        j.intent_at("b", 1000).expect("intent");
        j.begin("b", &up).expect("begin");
        j.intent_at("b", 3000).expect("second intent of b");
        j.intent_at("c", 1000).expect("intent");
        j.end("c").expect("end");
        assert_eq!(j.intents().len(), 2, "{:?}", j.intents());
        drop(j);
        // A record a later version may add is skipped.
        let mut f = OpenOptions::new().append(true).open(&path).expect("reopen");
        f.write_all(b"{\"op\":\"future\",\"key\":\"a\"}\n")
            .expect("append");
        let j = Journal::open(&path).expect("open again");
        let earlier = j.earlier_intents();
        assert_eq!(earlier.get("a"), Some(&2000));
        assert_eq!(earlier.get("b"), Some(&1000), "the earliest intent counts");
        assert!(!earlier.contains_key("c"));
        assert_eq!(j.open_uploads()["b"].upload, "u1");
        j.end("a").expect("end");
        assert!(!j.intents().contains_key("a"));
        assert_eq!(j.earlier_intents().len(), 2, "what the earlier run left");
        let at = j.intent("d").expect("intent now");
        assert_eq!(j.intents().get("d"), Some(&at));
    }
}
