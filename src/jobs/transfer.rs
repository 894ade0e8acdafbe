//! Moving one hot backup between the backup directory and a repository, on the engine.
//!
//! Upload: data files (each verified against the backup's `SHA256SUMS` on the way, and
//! copied server-side when another backup in the repository already holds the same bytes),
//! then `SHA256SUMS`, then `META` last: a remote backup without `META` is incomplete.
//!
//! Download: only a remote backup with `META` is fetched. Files go to the backup directory's
//! scratch place; a file identical to one of a local backup is hard-linked instead of
//! fetched; every file is verified against `SHA256SUMS` before the backup is published by
//! one rename, which never replaces an existing backup.
//!
//! An abort is honoured in every phase: the engine stops its own transfers, and every
//! store request outside it (listings, `META` and `SHA256SUMS` reads and writes) is given up
//! the moment the job is aborted ([`BackupTransfer::abortable`]), so a job stalled on a
//! server that never answers ends `CANCELLED` at once. Nothing is published after an abort.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;

use super::present::{self, Extra, WithExtra};
use crate::backup::{BackupDir, BackupError, BackupId, MANIFEST_FILE, META_FILE, Manifest, Meta};
use crate::engine::digest::sha256_hex;
use crate::engine::{Context, FileSpec, Options, Summary, Transfer};
use crate::store::Location;
use crate::{Error, ErrorKind};

use super::JobError;

/// Which way a backup moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Upload,
    Download,
}

/// Whether `name` may name a piece of a cluster backup: one plain path segment
/// (`PRMR-<uuid>`, or whatever a DB server's id is), never `.` or `..`.
pub fn is_piece_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// Everything one backup transfer needs.
#[derive(Debug, Clone)]
pub struct BackupTransfer {
    pub backups: BackupDir,
    /// The repository root (`<section>:<path>` resolved); backups are `<root>/<id>/`.
    pub repository: Location,
    pub id: BackupId,
    /// A DB server's piece of a cluster backup: its files are `<root>/<id>/<piece>/`, and
    /// the pieces of the same server in other backups are the known content.
    pub piece: Option<String>,
    pub options: Options,
    /// The job's journal, budget, progress and abort switch.
    pub context: Context,
}

/// Backup-directory work on the blocking pool; its failure fails the job.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, BackupError> + Send + 'static,
) -> Result<T, JobError> {
    crate::blocking::blocking(move || f().map_err(JobError::from)).await
}

impl From<crate::blocking::TaskFailed> for JobError {
    fn from(e: crate::blocking::TaskFailed) -> Self {
        JobError::new(ErrorKind::Internal, e.to_string())
    }
}

impl BackupTransfer {
    pub async fn run(&self, direction: Direction) -> Result<Summary, JobError> {
        match direction {
            Direction::Upload => self.upload().await,
            Direction::Download => self.download().await,
        }
    }

    fn remote(&self) -> Location {
        self.of_backup(self.id.as_str())
    }

    /// Where backup `id`'s files are under the root: `<id>`, or this piece of it.
    fn rel_of(&self, id: &str) -> String {
        match &self.piece {
            Some(piece) => format!("{id}/{piece}"),
            None => id.to_owned(),
        }
    }

    fn of_backup(&self, id: &str) -> Location {
        self.repository.child(&self.rel_of(id))
    }

    /// `work`, given up as soon as the job is aborted (before it starts, too).
    async fn abortable<T>(
        &self,
        work: impl std::future::Future<Output = Result<T, JobError>>,
    ) -> Result<T, JobError> {
        let cancel = self.context.cancel();
        tokio::select! {
            biased;
            () = cancel.cancelled() => Err(Error::Cancelled.into()),
            done = work => done,
        }
    }

    /// Lists `location`, abortably.
    async fn list(&self, location: &Location) -> Result<Vec<crate::store::ObjectInfo>, JobError> {
        self.abortable(async {
            (location.backend.list(&location.root).await).map_err(JobError::from)
        })
        .await
    }

    /// Runs the engine from `src` to `dst`, with `known` content for server-side copies;
    /// `extra` is what the job makes present besides (counted in its progress).
    async fn copy(
        &self,
        src: &Location,
        dst: &Location,
        (known, extra): (HashMap<String, String>, Extra),
        files: Vec<FileSpec>,
    ) -> Result<Summary, JobError> {
        let progress = WithExtra {
            inner: self.context.shared_progress(),
            extra,
        };
        Transfer::new(
            src,
            dst,
            &self.options,
            self.context.clone().with_progress(Arc::new(progress)),
        )
        .with_known(known)
        .copy_files(files)
        .await
        .map_err(JobError::from)
    }

    async fn put_small(&self, key: &str, data: Vec<u8>) -> Result<(), JobError> {
        let data = Bytes::from(data);
        let sha = sha256_hex(data.clone()).await.map_err(JobError::from)?;
        let remote = self.remote();
        let (abs, size) = (remote.key(key), data.len() as u64);
        let put = async { (remote.backend.put(&abs, data, &sha).await).map_err(JobError::from) };
        self.abortable(put).await?;
        present::done(self.context.progress(), key, size);
        Ok(())
    }

    async fn get_small(&self, location: &Location, key: &str) -> Result<Option<Bytes>, JobError> {
        self.abortable(self.get_small_now(location, key)).await
    }

    async fn get_small_now(
        &self,
        location: &Location,
        key: &str,
    ) -> Result<Option<Bytes>, JobError> {
        let abs = location.key(key);
        let Some(stat) = location.backend.stat(&abs).await.map_err(JobError::from)? else {
            return Ok(None);
        };
        if stat.size > 64 << 20 {
            return Err(JobError::new(
                ErrorKind::Integrity,
                format!("{abs}: {} bytes is too large for a {key}", stat.size),
            ));
        }
        if stat.size == 0 {
            return Ok(Some(Bytes::new()));
        }
        let data = location
            .backend
            .get_range(&abs, 0..stat.size, stat.etag.as_deref())
            .await
            .map_err(JobError::from)?;
        Ok(Some(data))
    }

    /// SHA-256 → full key of every file of the *complete* backups (with `META`) already in
    /// the repository, from their `SHA256SUMS`.
    async fn repository_content(&self) -> Result<HashMap<String, String>, JobError> {
        let repo = &self.repository;
        let listing = self.list(repo).await?;
        let meta = match &self.piece {
            Some(piece) => format!("/{piece}/{META_FILE}"),
            None => format!("/{META_FILE}"),
        };
        let complete: std::collections::HashSet<&str> = listing
            .iter()
            .filter_map(|o| o.key.strip_suffix(&meta))
            .filter(|b| !b.contains('/') && *b != self.id.as_str())
            .collect();
        let present: std::collections::HashSet<&str> =
            listing.iter().map(|o| o.key.as_str()).collect();
        let mut known = HashMap::new();
        for backup in complete {
            let sums = self.of_backup(backup);
            let Some(text) = self.get_small(&sums, MANIFEST_FILE).await? else {
                continue;
            };
            let Ok(manifest) = std::str::from_utf8(&text)
                .map_err(|_| ())
                .and_then(|t| Manifest::parse(t).map_err(|_| ()))
            else {
                tracing::warn!(
                    backup,
                    "unreadable SHA256SUMS in the repository: not used for incremental upload"
                );
                continue;
            };
            // Only files the listing shows: a damaged backup's SHA256SUMS names files that are
            // gone, and a copy from one of those would fail the whole upload.
            for (path, sha) in manifest.iter() {
                if present.contains(format!("{}/{path}", self.rel_of(backup)).as_str()) {
                    known
                        .entry(sha.to_owned())
                        .or_insert_with(|| sums.key(path));
                }
            }
        }
        Ok(known)
    }

    async fn upload(&self) -> Result<Summary, JobError> {
        let (backups, id) = (self.backups.clone(), self.id.clone());
        let (meta, manifest, sizes) = blocking(move || {
            let meta = backups.get(&id)?;
            let manifest = backups.manifest(&id)?;
            let dir = backups.path(&id);
            let mut sizes = HashMap::new();
            for (path, _) in manifest.iter() {
                let p = dir.join(path);
                let len = std::fs::metadata(&p).map_err(BackupError::at(&p))?.len();
                sizes.insert(path.to_owned(), len);
            }
            Ok((meta, manifest, sizes))
        })
        .await?;
        let files = manifest
            .iter()
            .map(|(path, sha)| FileSpec {
                key: path.to_owned(),
                size: sizes[path],
                sha256: Some(sha.to_owned()),
            })
            .collect();
        let known = self.repository_content().await?;
        let local = Location::local(self.backups.path(&self.id));
        let sums = manifest.to_text().into_bytes();
        let meta_bytes = meta.to_bytes().map_err(JobError::from)?;
        let extra = Extra {
            files: 2,
            bytes: (sums.len() + meta_bytes.len()) as u64,
        };
        extra.plan(self.context.progress());
        let summary = self
            .copy(&local, &self.remote(), (known, extra), files)
            .await?;
        if self.context.cancel().is_cancelled() {
            // Aborted after the data went: without META the remote backup stays incomplete.
            return Err(Error::Cancelled.into());
        }
        self.put_small(MANIFEST_FILE, sums).await?;
        self.put_small(META_FILE, meta_bytes).await?;
        Ok(summary)
    }

    /// Downloads; a failed or aborted download removes its staged files (a crash keeps them,
    /// for the resume).
    async fn download(&self) -> Result<Summary, JobError> {
        let result = self.download_staged().await;
        if result.is_err() {
            let scratch = self.backups.scratch_dir(&self.id);
            let removed =
                tokio::task::spawn_blocking(move || match std::fs::remove_dir_all(&scratch) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
                    _ => Ok(()),
                })
                .await;
            if !matches!(removed, Ok(Ok(()))) {
                tracing::warn!(backup = %self.id, "could not remove the staged files of a failed download");
            }
        }
        result
    }

    async fn download_staged(&self) -> Result<Summary, JobError> {
        let remote = self.remote();
        let meta_bytes = self.get_small(&remote, META_FILE).await?.ok_or_else(|| {
            JobError::new(
                ErrorKind::NoSuchBackup,
                format!(
                    "no complete backup {} in {} (no META)",
                    self.id, self.repository.display
                ),
            )
        })?;
        let meta = Meta::from_slice(&meta_bytes, std::path::Path::new(META_FILE))
            .map_err(JobError::from)?;
        if meta.id != self.id {
            return Err(JobError::new(
                ErrorKind::Integrity,
                format!("remote META names backup {}, not {}", meta.id, self.id),
            ));
        }
        let sums = self
            .get_small(&remote, MANIFEST_FILE)
            .await?
            .ok_or_else(|| {
                JobError::new(
                    ErrorKind::Integrity,
                    format!(
                        "backup {} in the repository has no {MANIFEST_FILE}",
                        self.id
                    ),
                )
            })?;
        let manifest = std::str::from_utf8(&sums)
            .map_err(|_| {
                JobError::new(
                    ErrorKind::Integrity,
                    format!("{MANIFEST_FILE} is not UTF-8"),
                )
            })
            .and_then(|t| Manifest::parse(t).map_err(JobError::from))?;
        let listing = self.list(&remote).await?;
        let sizes: HashMap<String, u64> = listing.into_iter().map(|o| (o.key, o.size)).collect();

        // Stage: hard links for content local backups already have, the engine for the rest.
        let (backups, id) = (self.backups.clone(), self.id.clone());
        let wanted: Vec<(String, String)> = manifest
            .iter()
            .map(|(p, s)| (p.to_owned(), s.to_owned()))
            .collect();
        let (scratch, linked) = blocking(move || {
            if backups.get(&id).is_ok() {
                return Err(BackupError::Conflict(format!("backup {id} exists already")));
            }
            let scratch = backups.scratch_dir(&id);
            // Ferry never makes a link there: one would send the download elsewhere.
            if std::fs::symlink_metadata(&scratch).is_ok_and(|m| m.file_type().is_symlink()) {
                tracing::warn!(path = %scratch.display(), "a symbolic link at the scratch place of a download: removed");
                std::fs::remove_file(&scratch).map_err(BackupError::at(&scratch))?;
            }
            std::fs::create_dir_all(&scratch).map_err(BackupError::at(&scratch))?;
            let staged = crate::store::local::LocalBackend::new(&scratch);
            let local = backups.files_by_sha256()?;
            let mut linked = std::collections::HashSet::new();
            for (path, sha) in &wanted {
                let Some(existing) = local.get(sha) else {
                    continue;
                };
                // Refuses links in a scratch directory left by an earlier run.
                let target = staged.file(path)?;
                if let Some(dir) = target.parent() {
                    std::fs::create_dir_all(dir).map_err(BackupError::at(dir))?;
                }
                let _ = std::fs::remove_file(&target);
                if std::fs::hard_link(existing, &target).is_ok() {
                    linked.insert(path.clone());
                }
            }
            Ok((scratch, linked))
        })
        .await?;
        let mut files = Vec::new();
        let mut extra = Extra {
            files: 2,
            bytes: (sums.len() + meta_bytes.len()) as u64,
        };
        for (path, _) in manifest.iter().filter(|(p, _)| linked.contains(*p)) {
            extra.files += 1;
            extra.bytes += sizes.get(path).copied().unwrap_or_default();
        }
        extra.plan(self.context.progress());
        for (path, sha) in manifest.iter() {
            if linked.contains(path) {
                present::done(
                    self.context.progress(),
                    path,
                    sizes.get(path).copied().unwrap_or_default(),
                );
                continue;
            }
            let size = *sizes.get(path).ok_or_else(|| {
                JobError::new(
                    ErrorKind::Integrity,
                    format!("{path} is listed in {MANIFEST_FILE} but missing in the repository"),
                )
            })?;
            files.push(FileSpec {
                key: path.to_owned(),
                size,
                sha256: Some(sha.to_owned()),
            });
        }
        let local = Location::local(&scratch);
        let summary = self
            .copy(&remote, &local, (HashMap::new(), extra), files)
            .await?;

        // Verify everything and publish by one rename; an aborted download publishes nothing.
        if self.context.cancel().is_cancelled() {
            return Err(Error::Cancelled.into());
        }
        let (backups, id) = (self.backups.clone(), self.id.clone());
        let sums = sums.to_vec();
        let meta_bytes = meta_bytes.to_vec();
        let (sums_len, meta_len) = (sums.len() as u64, meta_bytes.len() as u64);
        blocking(move || {
            for (name, data) in [(MANIFEST_FILE, &sums), (META_FILE, &meta_bytes)] {
                let p = scratch.join(name);
                std::fs::write(&p, data).map_err(BackupError::at(&p))?;
            }
            backups.publish_download(&scratch, &id)
        })
        .await?;
        present::done(self.context.progress(), MANIFEST_FILE, sums_len);
        present::done(self.context.progress(), META_FILE, meta_len);
        Ok(summary)
    }
}
