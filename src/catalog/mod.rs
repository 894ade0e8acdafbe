//! What a remote repository holds: list, verify and prune the backups under its path, on any
//! [`Backend`](crate::store::Backend).
//!
//! A repository is a plain tree, `<root>/<id>/` per backup, holding the data files,
//! `SHA256SUMS` and, written last, `META` (docs/hot-backup-api.md §3). From that alone:
//!
//! - [`Catalog::list`]: every backup and its state, from *one* listing of the repository plus
//!   the two small files of each backup (`META`, `SHA256SUMS`); no data file is read.
//! - [`Catalog::verify`]: one backup against its `SHA256SUMS`, by the hashes the store keeps
//!   (no download), or by reading and hashing every byte ([`VerifyOptions::read_data`]).
//! - [`Catalog::prune`]: restic's `forget` policy ([`policy`]) over the complete backups,
//!   and incomplete ones older than a maximum age; a backup with an object under a
//!   retention lock ([`Catalog::lock`]) is left alone.
//!
//! Deleting a backup deletes exactly the keys under `<root>/<id>/` that the listing showed.
//! Files that an incremental upload copied server-side from another backup are objects of
//! their own (a store's copy is not a reference), so no other backup loses anything.
//!
//! Cluster backups hold one piece per DB server, `<root>/<id>/<PRMR-…>/`, each laid out as
//! a single-server backup (`pieces`); [`BackupEntry::pieces`] counts them.

mod listing;
mod lock;
mod pieces;
pub mod policy;
mod problem;
mod prune;
mod verify;

use bytes::Bytes;

pub use listing::{BackupEntry, BackupState, Listing, Pieces};
pub use policy::{Count, Policy, Span, Verdict};
pub use problem::Problem;
pub use prune::{PruneAction, PruneDecision, PruneReport, PruneRules};
pub use verify::{VerifyOptions, VerifyReport};

use crate::store::Location;
use crate::{Error, Result};

/// `META` and `SHA256SUMS` larger than this are not read: no real backup has such files, and
/// a hostile repository must not make Ferry allocate without bound.
const SMALL_FILE_MAX: u64 = 64 << 20;

/// Backups whose small files are read at once while listing.
const READS_IN_FLIGHT: usize = 16;

/// Requests (stat, delete) in flight at once for one backup's files.
const REQUESTS_IN_FLIGHT: usize = 32;

/// The backups of one repository.
#[derive(Debug, Clone)]
pub struct Catalog {
    /// The repository root: backups are `<root>/<id>/`.
    pub repository: Location,
}

impl Catalog {
    pub fn new(repository: Location) -> Self {
        Catalog { repository }
    }
}

/// The whole object `key` (relative to `location`), when it exists and is small.
async fn read_small(location: &Location, key: &str) -> Result<Option<Bytes>> {
    let abs = location.key(key);
    let Some(stat) = location.backend.stat(&abs).await? else {
        return Ok(None);
    };
    if stat.size > SMALL_FILE_MAX {
        return Err(Error::Other(format!(
            "{}/{key}: {} bytes is too large for a {key}",
            location.display, stat.size
        )));
    }
    if stat.size == 0 {
        return Ok(Some(Bytes::new()));
    }
    match location
        .backend
        .get_range(&abs, 0..stat.size, stat.etag.as_deref())
        .await
    {
        Ok(data) => Ok(Some(data)),
        // Deleted between the stat and the read (a prune running elsewhere).
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// `2026-08-04T15:27:49Z`, or the dotted form of backup ids (`2026-08-04T15.27.49Z`), which
/// ArangoDB's own examples also show in `META`.
fn parse_datetime(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let (date, time) = (s.get(..11)?, s.get(11..20)?);
    let normal = format!("{date}{}", time.replace('.', ":"));
    chrono::DateTime::parse_from_rfc3339(&normal)
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}

/// Formats a datetime the way `META` does.
fn format_datetime(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes_in_both_forms() {
        let t = parse_datetime("2026-08-04T15:27:49Z").expect("colons");
        assert_eq!(format_datetime(t), "2026-08-04T15:27:49Z");
        assert_eq!(parse_datetime("2026-08-04T15.27.49Z_label"), Some(t));
        assert_eq!(parse_datetime("2026-08-04T15.27.49"), None);
        assert_eq!(parse_datetime("garbage-garbage-garbage"), None);
        assert_eq!(parse_datetime("2026-13-04T15.27.49Z_x"), None);
        assert_eq!(parse_datetime("2026-08-04Té5.27.49Z_x"), None);
    }
}
