//! A store held in memory, for tests that need a remote backend and no server (like
//! `object_store`'s `InMemory`).
//!
//! It behaves as a strict S3: objects carry a version tag that changes on every write and the
//! SHA-256 they were written with; a chunked upload keeps its parts apart until it is
//! completed (nothing is visible before), lists among the pending uploads with the time it
//! began, and is refused at completion unless its parts are the ones stored, contiguous, of
//! the store's minimum size but the last, and exactly the size announced at its creation.
//! Unlike S3 it reads an unfinished upload back ([`Backend::read_staged`]), as the local
//! backend does, since its parts are at hand.
//!
//! Its [`Capabilities`] are a remote store's (`local: false`, server-side copy, stored
//! SHA-256), so the engine takes the same paths as against S3: chunked uploads above the
//! cutoff, server-side copies of known content, verification of what was published.
//! [`MemoryBackend::with_capabilities`] lowers the part size for small test files.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use chrono::{DateTime, Utc};

use super::{Backend, Capabilities, Location, ObjectInfo, PendingUpload, SharedBackend, Stat};
use crate::{Error, Result};

/// One stored object.
#[derive(Debug, Clone)]
struct Object {
    data: Bytes,
    etag: String,
    sha256: String,
}

/// One part of an unfinished upload.
#[derive(Debug, Clone)]
struct Part {
    id: String,
    offset: u64,
    data: Bytes,
}

/// A chunked upload begun and neither completed nor aborted.
#[derive(Debug)]
struct Upload {
    key: String,
    size: u64,
    sha256: String,
    initiated: DateTime<Utc>,
    parts: BTreeMap<u64, Part>,
}

#[derive(Debug, Default)]
struct State {
    objects: BTreeMap<String, Object>,
    uploads: HashMap<String, Upload>,
    /// Source of version tags, upload ids and part ids: every write draws a new one.
    generation: u64,
}

impl State {
    fn next(&mut self) -> u64 {
        self.generation += 1;
        self.generation
    }

    fn insert(&mut self, key: &str, data: Bytes, sha256: String) {
        let etag = format!("\"{}\"", self.next());
        self.objects
            .insert(key.to_owned(), Object { data, etag, sha256 });
    }

    /// The upload `upload` of `key`; S3's NoSuchUpload otherwise.
    fn upload(&mut self, key: &str, upload: &str) -> Result<&mut Upload> {
        self.uploads
            .get_mut(upload)
            .filter(|u| u.key == key)
            .ok_or_else(|| Error::NotFound(format!("memory: upload {upload:?} of {key:?}")))
    }
}

/// A bucket in memory. Clones of the [`Arc`] share the same objects.
#[derive(Debug)]
pub struct MemoryBackend {
    state: Mutex<State>,
    capabilities: Capabilities,
}

impl Default for MemoryBackend {
    fn default() -> Self {
        Self::new()
    }
}

/// Refuses what S3 and `object_store` refuse: empty keys and segments, `.` and `..`.
fn check_key(key: &str) -> Result<()> {
    let bad = key.is_empty()
        || key
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == "..");
    if bad {
        return Err(Error::BadParameter(format!(
            "memory: invalid object key {key:?}"
        )));
    }
    Ok(())
}

/// Where a request to a real store waits for the network: every operation yields once, so
/// that the engine meets the same suspension points (a cancel landing between two requests)
/// as against a server, instead of running a whole transfer in one poll.
async fn round_trip() {
    tokio::task::yield_now().await;
}

/// A request the store will refuse however often it is sent (S3's 4xx).
fn refused(op: &str, key: &str, message: String) -> Error {
    Error::Storage {
        context: format!("memory {op} {key:?}"),
        message,
        retryable: false,
    }
}

impl MemoryBackend {
    /// An empty store with S3's part limits (5 MiB minimum part, 10,000 parts).
    pub fn new() -> Self {
        Self::with_capabilities(Capabilities {
            parallel_parts: true,
            min_part_size: 5 << 20,
            max_parts: 10_000,
            part_alignment: 1,
            server_side_copy: true,
            stores_sha256: true,
            local: false,
        })
    }

    /// An empty store declaring `capabilities` (and enforcing its part limits).
    pub fn with_capabilities(capabilities: Capabilities) -> Self {
        MemoryBackend {
            state: Mutex::new(State::default()),
            capabilities,
        }
    }

    /// A location below `root` (`""` for the whole store) in this store.
    pub fn location(self: &Arc<Self>, root: &str) -> Location {
        let backend: SharedBackend = self.clone();
        Location {
            backend,
            root: root.trim_matches('/').to_owned(),
            display: format!("memory:{}", root.trim_matches('/')),
            hints: Default::default(),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves no half-made change: every change is one
        // insert or remove.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Checks the parts named by a completion against the upload and joins them.
    fn assemble(&self, key: &str, upload: &Upload, parts: &[String]) -> Result<Bytes> {
        let caps = &self.capabilities;
        if parts.len() != upload.parts.len() || parts.len() as u64 > caps.max_parts {
            return Err(refused(
                "complete upload",
                key,
                format!(
                    "{} parts named, {} stored (at most {})",
                    parts.len(),
                    upload.parts.len(),
                    caps.max_parts
                ),
            ));
        }
        let mut out = BytesMut::with_capacity(upload.size as usize);
        for (i, (id, (index, part))) in parts.iter().zip(&upload.parts).enumerate() {
            let last = i + 1 == parts.len();
            let len = part.data.len() as u64;
            let problem = if *index != i as u64 || *id != part.id {
                Some(format!("part {i} is {id:?}, the store holds {:?}", part.id))
            } else if part.offset != out.len() as u64 {
                Some(format!(
                    "part {i} starts at {}, not {}",
                    part.offset,
                    out.len()
                ))
            } else if !last
                && (len < caps.min_part_size || !len.is_multiple_of(caps.part_alignment))
            {
                Some(format!("part {i} has {len} bytes: too small or unaligned"))
            } else {
                None
            };
            if let Some(problem) = problem {
                return Err(refused("complete upload", key, problem));
            }
            out.extend_from_slice(&part.data);
        }
        if out.len() as u64 != upload.size {
            return Err(refused(
                "complete upload",
                key,
                format!("{} bytes where {} were announced", out.len(), upload.size),
            ));
        }
        Ok(out.freeze())
    }
}

/// `range` of `data`, or an error if it does not lie inside.
fn slice(data: &Bytes, range: Range<u64>, op: &str, key: &str) -> Result<Bytes> {
    if range.start > range.end || range.end > data.len() as u64 {
        return Err(refused(
            op,
            key,
            format!("range {range:?} outside {} bytes", data.len()),
        ));
    }
    Ok(data.slice(range.start as usize..range.end as usize))
}

#[async_trait]
impl Backend for MemoryBackend {
    fn capabilities(&self) -> Capabilities {
        self.capabilities
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>> {
        round_trip().await;
        let strip = if prefix.is_empty() {
            String::new()
        } else {
            check_key(prefix)?;
            format!("{prefix}/")
        };
        Ok(self
            .state()
            .objects
            .range(strip.clone()..)
            .take_while(|(k, _)| k.starts_with(&strip))
            .map(|(k, o)| ObjectInfo {
                key: k[strip.len()..].to_owned(),
                size: o.data.len() as u64,
            })
            .collect())
    }

    async fn stat(&self, key: &str) -> Result<Option<Stat>> {
        round_trip().await;
        check_key(key)?;
        Ok(self.state().objects.get(key).map(|o| Stat {
            size: o.data.len() as u64,
            etag: Some(o.etag.clone()),
            sha256: Some(o.sha256.clone()),
            modified: None,
        }))
    }

    async fn get_range(&self, key: &str, range: Range<u64>, etag: Option<&str>) -> Result<Bytes> {
        round_trip().await;
        check_key(key)?;
        let state = self.state();
        let object = state
            .objects
            .get(key)
            .ok_or_else(|| Error::NotFound(format!("memory: {key}")))?;
        if let Some(etag) = etag.filter(|e| *e != object.etag) {
            return Err(refused(
                "get",
                key,
                format!(
                    "precondition failed: version {} is not {etag}: the object changed",
                    object.etag
                ),
            ));
        }
        slice(&object.data, range, "get", key)
    }

    async fn put(&self, key: &str, data: Bytes, sha256: &str) -> Result<()> {
        round_trip().await;
        check_key(key)?;
        self.state().insert(key, data, sha256.to_owned());
        Ok(())
    }

    async fn create_upload(&self, key: &str, size: u64, sha256: &str) -> Result<String> {
        round_trip().await;
        check_key(key)?;
        let mut state = self.state();
        let id = format!("upload-{}", state.next());
        state.uploads.insert(
            id.clone(),
            Upload {
                key: key.to_owned(),
                size,
                sha256: sha256.to_owned(),
                initiated: Utc::now(),
                parts: BTreeMap::new(),
            },
        );
        Ok(id)
    }

    async fn put_part(
        &self,
        key: &str,
        upload: &str,
        index: u64,
        offset: u64,
        data: Bytes,
    ) -> Result<String> {
        round_trip().await;
        let mut state = self.state();
        let generation = state.next();
        let upload = state.upload(key, upload)?;
        if index >= self.capabilities.max_parts || offset + data.len() as u64 > upload.size {
            return Err(refused(
                "put part",
                key,
                format!(
                    "part {index} at {offset} of {} bytes is outside the upload",
                    data.len()
                ),
            ));
        }
        // A part sent again replaces the earlier one, under a new id (S3's ETag).
        let id = format!("part-{index}-{generation}");
        let part = Part {
            id: id.clone(),
            offset,
            data,
        };
        upload.parts.insert(index, part);
        Ok(id)
    }

    async fn complete_upload(&self, key: &str, upload: &str, parts: Vec<String>) -> Result<()> {
        round_trip().await;
        let mut state = self.state();
        let data = self.assemble(key, state.upload(key, upload)?, &parts)?;
        let done = state.uploads.remove(upload).expect("looked up above");
        state.insert(key, data, done.sha256);
        Ok(())
    }

    async fn read_staged(
        &self,
        key: &str,
        upload: &str,
        range: Range<u64>,
    ) -> Result<Option<Bytes>> {
        round_trip().await;
        let mut state = self.state();
        let upload = state.upload(key, upload)?;
        // Served from the one part holding the whole range; else the caller reads the source.
        let part = upload
            .parts
            .values()
            .find(|p| p.offset <= range.start && range.end <= p.offset + p.data.len() as u64);
        Ok(part.map(|p| {
            let start = (range.start - p.offset) as usize;
            p.data
                .slice(start..start + (range.end - range.start) as usize)
        }))
    }

    async fn abort_upload(&self, key: &str, upload: &str) -> Result<()> {
        round_trip().await;
        let mut state = self.state();
        // Aborting an upload that is gone is done, as on S3 through `object_store`.
        if state.upload(key, upload).is_ok() {
            state.uploads.remove(upload);
        }
        Ok(())
    }

    async fn pending_uploads(&self, prefix: &str) -> Result<Option<Vec<PendingUpload>>> {
        round_trip().await;
        let mut pending: Vec<PendingUpload> = self
            .state()
            .uploads
            .iter()
            .filter(|(_, u)| u.key.starts_with(prefix))
            .map(|(id, u)| PendingUpload {
                key: u.key.clone(),
                upload: id.clone(),
                initiated: Some(u.initiated),
            })
            .collect();
        pending.sort_by(|a, b| (&a.key, a.initiated).cmp(&(&b.key, b.initiated)));
        Ok(Some(pending))
    }

    async fn copy(&self, from: &str, to: &str) -> Result<()> {
        round_trip().await;
        check_key(from)?;
        check_key(to)?;
        let mut state = self.state();
        let object = state
            .objects
            .get(from)
            .cloned()
            .ok_or_else(|| Error::NotFound(format!("memory: {from}")))?;
        state.insert(to, object.data, object.sha256);
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<()> {
        round_trip().await;
        check_key(key)?;
        self.state().objects.remove(key);
        Ok(())
    }
}
