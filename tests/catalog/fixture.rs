//! A repository filled the way Ferry fills one: backups taken locally (data files,
//! `SHA256SUMS`, `META`) and sent with Ferry's own upload, which copies content another
//! complete backup already holds server-side.

use std::path::PathBuf;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use ferry::backup::{BackupDir, BackupId, MANIFEST_FILE, META_FILE, Manifest, Meta};
use ferry::catalog::Catalog;
use ferry::engine::{Context, Options};
use ferry::jobs::{BackupTransfer, Direction};
use ferry::store::Location;
use sha2::{Digest, Sha256};

pub fn sha(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

pub fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("{s:?}: {e}"))
        .with_timezone(&Utc)
}

/// The id a backup taken at `taken` with `label` gets.
pub fn id(taken: DateTime<Utc>, label: &str) -> String {
    format!("{}_{label}", taken.format("%Y-%m-%dT%H.%M.%SZ"))
}

/// A backup's files: path and content.
pub type Files<'a> = &'a [(&'a str, &'a [u8])];

#[derive(Debug)]
pub struct Fixture {
    pub repo: Location,
    pub catalog: Catalog,
    backups: PathBuf,
    state: PathBuf,
    _tmp: tempfile::TempDir,
}

impl Fixture {
    pub fn new(repo: Location) -> Fixture {
        let tmp = tempfile::tempdir().expect("tempdir");
        Fixture {
            catalog: Catalog::new(repo.clone()),
            repo,
            backups: tmp.path().join("backups"),
            state: tmp.path().join("state"),
            _tmp: tmp,
        }
    }

    /// Takes backup `id` of `files` locally and uploads it; returns the id.
    pub async fn backup(&self, id: &str, taken: DateTime<Utc>, files: &[(&str, &[u8])]) -> String {
        let backup_id = self.take(id, taken, files);
        self.upload(&self.backups, backup_id, None).await;
        id.to_owned()
    }

    /// Takes cluster backup `id` of `servers` DB servers with one piece per `(server id,
    /// files)`, each in a backup directory of its own, and uploads every piece as its DB
    /// server does (to `<id>/<server id>/`); returns the id.
    pub async fn cluster_backup(
        &self,
        id: &str,
        taken: DateTime<Utc>,
        pieces: &[(&str, Files<'_>)],
        servers: u32,
    ) -> String {
        for (server, files) in pieces {
            let backups = self.backups.with_file_name(format!("backups-{server}"));
            let backup_id = take_in(&backups, id, taken, files, servers);
            self.upload(&backups, backup_id, Some(server)).await;
        }
        id.to_owned()
    }

    async fn upload(&self, backups: &std::path::Path, id: BackupId, piece: Option<&str>) {
        let job = BackupTransfer {
            backups: BackupDir::new(backups),
            repository: self.repo.clone(),
            id,
            piece: piece.map(str::to_owned),
            options: Options::default(),
            context: Context::new().with_state_dir(&self.state),
        };
        job.run(Direction::Upload).await.expect("upload");
    }

    /// The local backup directory [`Fixture::take`] writes to (`--backup-dir`).
    pub fn backups(&self) -> &std::path::Path {
        &self.backups
    }

    /// Takes backup `id` of `files` in the local backup directory only.
    pub fn take(&self, id: &str, taken: DateTime<Utc>, files: &[(&str, &[u8])]) -> BackupId {
        take_in(&self.backups, id, taken, files, 1)
    }

    /// A backup whose upload stopped before `META`.
    pub async fn incomplete(&self, id: &str, taken: DateTime<Utc>, files: &[(&str, &[u8])]) {
        self.backup(id, taken, files).await;
        self.delete(&format!("{id}/{META_FILE}")).await;
    }

    /// Full key of `rel` (relative to the repository).
    pub fn key(&self, rel: &str) -> String {
        self.repo.key(rel)
    }

    pub async fn delete(&self, rel: &str) {
        self.repo
            .backend
            .delete(&self.key(rel))
            .await
            .expect("delete");
    }

    /// Replaces object `rel` with `data`, the store recording `claimed` as its SHA-256 (a
    /// store that rots keeps the metadata of what was written).
    pub async fn replace(&self, rel: &str, data: &[u8], claimed: &str) {
        self.repo
            .backend
            .put(&self.key(rel), Bytes::copy_from_slice(data), claimed)
            .await
            .expect("put");
    }

    /// Every object of the repository with its size and content hash.
    pub async fn snapshot(&self) -> Vec<(String, u64, String)> {
        let mut out = Vec::new();
        for o in self.repo.backend.list(&self.repo.root).await.expect("list") {
            let data = if o.size == 0 {
                Bytes::new()
            } else {
                self.repo
                    .backend
                    .get_range(&self.key(&o.key), 0..o.size, None)
                    .await
                    .expect("read")
            };
            out.push((o.key, o.size, sha(&data)));
        }
        out.sort();
        out
    }
}

/// Takes backup `id` of `files` in `backups`, its META saying `servers` DB servers.
fn take_in(
    backups: &std::path::Path,
    id: &str,
    taken: DateTime<Utc>,
    files: &[(&str, &[u8])],
    servers: u32,
) -> BackupId {
    let dir = backups.join(id);
    let mut manifest = Manifest::new();
    for (path, data) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, data).expect("write");
        manifest.insert(path, &sha(data)).expect("manifest");
    }
    std::fs::write(dir.join(MANIFEST_FILE), manifest.to_text()).expect("sums");
    let bytes = files.iter().map(|(_, d)| d.len() as u64).sum();
    let backup_id = BackupId::parse(id).expect("id");
    let mut meta = Meta::new(backup_id.clone(), taken, bytes, files.len() as u64, false);
    meta.nr_db_servers = servers;
    meta.nr_pieces_present = servers;
    std::fs::write(dir.join(META_FILE), meta.to_bytes().expect("meta")).expect("meta");
    backup_id
}
