//! Cluster backups: one piece per DB server at `<id>/<PRMR-…>/`, each with its own data
//! files, `SHA256SUMS` and `META` (whose `nrDBServers` says how many pieces there are), and
//! the coordinator's `META` for the whole backup at `<id>/META`, written last
//! (docs/cluster.md).
//!
//! - **complete**: every piece is complete and there are as many as `nrDBServers`;
//! - **damaged**: a piece is damaged, or the backup is finished (the coordinator's `META`
//!   is there) and a piece is missing or incomplete, or there is more than the pieces say;
//! - **incomplete** otherwise: an upload whose pieces are still arriving.
//!
//! Sizes and file counts are the pieces' summed, as ArangoDB's list does; problems name the
//! piece (`missing: PRMR-…/c`), and the `SHA256SUMS` given to `verify` holds every piece's
//! files under `<piece>/`.

use std::collections::BTreeMap;

use super::listing::{BackupEntry, BackupState, Pieces};
use super::problem::Problem;
use super::{Catalog, parse_datetime, read_small};
use crate::Result;
use crate::backup::{MANIFEST_FILE, META_FILE, Manifest, Meta};
use crate::store::ObjectInfo;

/// How the directory of a DB server's piece starts (its server id, `PRMR-<uuid>`).
const PIECE_PREFIX: &str = "PRMR-";

/// The piece `key` (relative to `<id>/`) lies in, and its key within the piece.
fn piece_of(key: &str) -> Option<(&str, &str)> {
    key.split_once('/')
        .filter(|(piece, _)| piece.starts_with(PIECE_PREFIX))
}

/// Whether a backup's objects are laid out as a cluster backup: a piece's `META` or
/// `SHA256SUMS` one level down, and no `SHA256SUMS` of a single-server backup beside them.
pub(super) fn is_cluster(objects: &[ObjectInfo]) -> bool {
    !objects.iter().any(|o| o.key == MANIFEST_FILE)
        && objects.iter().any(|o| {
            piece_of(&o.key).is_some_and(|(_, rest)| rest == META_FILE || rest == MANIFEST_FILE)
        })
}

/// Whether `key` is a `META`, the backup's or a piece's: a prune deletes those first.
pub(super) fn is_meta(key: &str) -> bool {
    key == META_FILE || piece_of(key).is_some_and(|(_, rest)| rest == META_FILE)
}

/// What the pieces of one backup add up to.
#[derive(Default)]
struct Tally {
    pieces: u32,
    complete: u32,
    /// The pieces' `nrDBServers` (the largest, should they disagree).
    expected: u32,
    damaged: bool,
}

impl Catalog {
    /// The entry of cluster backup `id` from its objects (keys relative to `<id>/`).
    pub(super) async fn inspect_cluster(
        &self,
        id: String,
        objects: Vec<ObjectInfo>,
    ) -> Result<(BackupEntry, Option<Manifest>)> {
        let backup = self.repository.child(&id);
        let mut by_piece: BTreeMap<&str, Vec<ObjectInfo>> = BTreeMap::new();
        let mut top = Vec::new();
        for o in &objects {
            match piece_of(&o.key) {
                Some((piece, rest)) => by_piece.entry(piece).or_default().push(ObjectInfo {
                    key: rest.to_owned(),
                    size: o.size,
                }),
                None => top.push(o.key.as_str()),
            }
        }
        let mut entry = BackupEntry {
            datetime: parse_datetime(&id),
            files: 0,
            bytes: 0,
            state: BackupState::Incomplete,
            problems: Vec::new(),
            pieces: None,
            objects: Vec::new(),
            id,
        };
        let mut manifest: Option<Manifest> = None;
        let mut tally = Tally::default();
        for (piece, objs) in by_piece {
            let label = format!("{}/{piece}", entry.id);
            let (sub, sums) =
                (self.inspect_dir(&backup.child(piece), &label, entry.id.clone(), objs)).await?;
            entry.files += sub.files;
            entry.bytes += sub.bytes;
            tally.pieces += 1;
            tally.expected = tally.expected.max(sub.pieces.map_or(1, |p| p.expected));
            match sub.state {
                BackupState::Complete => tally.complete += 1,
                BackupState::Damaged => tally.damaged = true,
                BackupState::Incomplete => {}
            }
            if sub.state != BackupState::Incomplete {
                entry.datetime = sub.datetime.or(entry.datetime);
            }
            entry
                .problems
                .extend(sub.problems.into_iter().map(|p| p.within(piece)));
            if let Some(sums) = sums {
                let all = manifest.get_or_insert_with(Manifest::new);
                for (path, sha) in sums.iter() {
                    // Paths and hashes were checked when the piece's file was parsed.
                    all.insert(&format!("{piece}/{path}"), sha)
                        .map_err(|e| crate::Error::Other(e.to_string()))?;
                }
            }
        }
        let finished = top.contains(&META_FILE);
        if finished {
            self.check_coordinator_meta(&mut entry, &mut tally).await?;
        }
        for key in top.iter().filter(|k| **k != META_FILE) {
            entry.problems.push(Problem::NotListed((*key).to_owned()));
        }
        if tally.pieces > tally.expected {
            entry.problems.push(Problem::Backup(format!(
                "{} pieces; their META says {}",
                tally.pieces, tally.expected
            )));
        }
        let whole = tally.complete == tally.expected && tally.pieces == tally.expected;
        if finished && !whole && !tally.damaged {
            entry.problems.push(Problem::Backup(format!(
                "{} of {} pieces complete",
                tally.complete, tally.expected
            )));
        }
        entry.state = if tally.damaged || !entry.problems.is_empty() {
            BackupState::Damaged
        } else if whole {
            BackupState::Complete
        } else {
            BackupState::Incomplete
        };
        entry.pieces = Some(Pieces {
            present: tally.complete,
            expected: tally.expected,
        });
        entry.objects = objects;
        Ok((entry, manifest))
    }

    /// Reads the coordinator's `META` at `<id>/META`: its datetime, and the number of DB
    /// servers the backup was taken on.
    async fn check_coordinator_meta(
        &self,
        entry: &mut BackupEntry,
        tally: &mut Tally,
    ) -> Result<()> {
        let dir = self.repository.child(&entry.id);
        let path = format!("{}/{META_FILE}", entry.id);
        let Some(bytes) = read_small(&dir, META_FILE).await? else {
            entry
                .problems
                .push(Problem::Backup(format!("{path} vanished while listing")));
            return Ok(());
        };
        match Meta::from_slice(&bytes, std::path::Path::new(&path)) {
            Err(e) => entry.problems.push(Problem::Backup(e.to_string())),
            Ok(meta) if meta.id.as_str() != entry.id => entry.problems.push(Problem::Backup(
                format!("{path} names backup {}, not {}", meta.id, entry.id),
            )),
            Ok(meta) => {
                tally.expected = tally.expected.max(meta.nr_db_servers);
                entry.datetime = parse_datetime(&meta.datetime).or(entry.datetime);
            }
        }
        Ok(())
    }
}
