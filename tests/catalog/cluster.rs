//! Cluster backups in a repository: one piece per DB server at `<id>/<PRMR-…>/`, each with
//! its own `SHA256SUMS` and `META` (docs/cluster.md). Listed with sizes and files summed and
//! the pieces present counted; verified piece by piece; pruned whole.

use bytes::Bytes;
use ferry::backup::{BackupId, META_FILE, Meta};
use ferry::catalog::{BackupState, Count, Pieces, Policy, PruneRules, VerifyOptions};
use ferry::store::Location;

use super::fixture::{Fixture, at, id, sha};

const A: &str = "PRMR-0a1b2c3d-0000-4000-8000-00000000000a";
const B: &str = "PRMR-0a1b2c3d-0000-4000-8000-00000000000b";
const C: &str = "PRMR-0a1b2c3d-0000-4000-8000-00000000000c";

pub async fn cluster_backups(repo: Location) {
    let f = Fixture::new(repo);
    let big = super::common::bytes(5, 300_000);
    let files: [(&str, &[u8]); 2] = [("big.sst", &big), ("c", b"c")];
    let three = [(A, &files[..]), (B, &files[..]), (C, &files[..])];
    let t0 = at("2026-03-31T10:00:00Z");
    let whole = f.cluster_backup(&id(t0, "whole"), t0, &three, 3).await;
    let t = at("2026-04-01T10:00:00Z");
    let newer = f.cluster_backup(&id(t, "newer"), t, &three, 3).await;
    // An upload still running: two of three pieces there, no coordinator META.
    let partial = f.cluster_backup(&id(t, "partial"), t, &three[..2], 3).await;
    // A finished backup (coordinator's META written) with a file missing in one piece.
    let broken = f.cluster_backup(&id(t, "broken"), t, &three, 3).await;
    f.delete(&format!("{broken}/{B}/c")).await;
    // A finished backup whose third piece never arrived.
    let short = f.cluster_backup(&id(t, "short"), t, &three, 3).await;
    for key in ["big.sst", "c", "SHA256SUMS", META_FILE] {
        f.delete(&format!("{short}/{C}/{key}")).await;
    }
    for finished in [&broken, &short] {
        let meta = Meta {
            nr_db_servers: 3,
            nr_pieces_present: 3,
            ..Meta::new(BackupId::parse(finished).expect("id"), t, 0, 0, false)
        };
        let bytes = Bytes::from(meta.to_bytes().expect("meta"));
        f.replace(&format!("{finished}/{META_FILE}"), &bytes, &sha(&bytes))
            .await;
    }

    let listing = f.catalog.list().await.expect("list");
    assert!(listing.other.is_empty(), "{:?}", listing.other);
    let get = |id: &str| listing.get(id).unwrap_or_else(|| panic!("{id} listed"));
    let w = get(&whole);
    assert_eq!(w.state, BackupState::Complete, "{w:?}");
    assert_eq!((w.files, w.bytes), (6, 3 * (300_000 + 1)), "{w:?}");
    let pieces = |present, expected| Some(Pieces { present, expected });
    assert_eq!(w.pieces, pieces(3, 3));
    assert_eq!(w.datetime, Some(t0));
    assert_eq!(get(&newer).state, BackupState::Complete);
    let p = get(&partial);
    assert_eq!(p.state, BackupState::Incomplete, "{p:?}");
    assert_eq!(p.pieces, pieces(2, 3), "{p:?}");
    let b = get(&broken);
    assert_eq!(b.state, BackupState::Damaged, "{b:?}");
    let lines: Vec<String> = b.problems.iter().map(ToString::to_string).collect();
    assert_eq!(lines, vec![format!("missing: {B}/c")], "{b:?}");
    assert_eq!(b.pieces, pieces(2, 3));
    let s = get(&short);
    assert_eq!(s.state, BackupState::Damaged, "{s:?}");
    let lines: Vec<String> = s.problems.iter().map(ToString::to_string).collect();
    assert_eq!(lines, vec!["2 of 3 pieces complete".to_owned()], "{s:?}");

    // verify: every piece's files against its own SHA256SUMS, with and without reading.
    let verify = |id: &str, read_data| {
        let options = VerifyOptions {
            read_data,
            ..VerifyOptions::default()
        };
        let id = BackupId::parse(id).expect("id");
        let catalog = f.catalog.clone();
        async move { catalog.verify(&id, &options).await.expect("verify runs") }
    };
    for read_data in [false, true] {
        let report = verify(&whole, read_data).await;
        assert!(report.is_whole(), "{report:?}");
        assert_eq!(report.files, 6, "{report:?}");
    }
    let mut flipped = big.clone();
    flipped[77] ^= 1;
    f.replace(&format!("{whole}/{C}/big.sst"), &flipped, &sha(&big))
        .await;
    let report = verify(&whole, true).await;
    let lines: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
    assert_eq!(lines.len(), 1, "{report:?}");
    assert!(lines[0].contains(&format!("{C}/big.sst")), "{lines:?}");
    let report = verify(&broken, false).await;
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.to_string() == format!("missing: {B}/c")),
        "{report:?}"
    );

    // prune: a cluster backup goes whole, every piece; the others are untouched.
    let before: Vec<_> = (f.snapshot().await.into_iter())
        .filter(|(k, _, _)| !k.starts_with(&whole))
        .collect();
    let rules = PruneRules {
        policy: Policy {
            last: Count::parse("1").expect("count"),
            ..Policy::default()
        },
        max_age: None,
        now: chrono::Utc::now(),
        dry_run: false,
    };
    let report = f.catalog.prune(&rules).await.expect("prune");
    assert!(report.failed.is_empty(), "{report:?}");
    assert_eq!(report.deleted_objects, 3 * 4, "{report:?}");
    assert_eq!(f.snapshot().await, before, "only {whole} went");
}
