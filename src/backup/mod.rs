//! Local hot backups: ids, META, SHA256SUMS, the backup directory, the write lock.
//!
//! A backup is a directory `<backup-dir>/<id>/` holding a snapshot of the data directory, its
//! `SHA256SUMS` and, written last, its `META` (docs/hot-backup-api.md §3). [`BackupDir`] lists,
//! creates, deletes and restores them; [`WriteLock`] is the protocol between writers of the
//! data directory and a backup that needs a consistent snapshot. Everything here blocks on the
//! file system; the server calls it through `spawn_blocking`.

pub mod create;
pub mod dir;
pub mod error;
pub mod failsafe;
pub mod id;
pub mod lock;
pub mod manifest;
pub mod meta;
pub mod restore;
mod tree;

pub use create::CreateOptions;
pub use dir::{BackupDir, read_manifest, verify_tree};
pub use error::BackupError;
pub use id::{BackupId, MAX_ID_LEN, sanitise_label};
pub use lock::{ExclusiveGuard, LOCK_FILE, SharedGuard, WriteLock};
pub use manifest::{MANIFEST_FILE, Manifest};
pub use meta::{KeyInfo, META_FILE, Meta};
pub use restore::{RESTORE_LOCK_TIMEOUT, RestoreOptions};
