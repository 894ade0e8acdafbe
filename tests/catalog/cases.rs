//! The cases every repository passes, local or on a real server.

use ferry::backup::{BackupId, MANIFEST_FILE};
use ferry::catalog::{
    BackupState, Count, Policy, Problem, PruneAction, PruneRules, Span, VerifyOptions, VerifyReport,
};
use ferry::store::Location;

use super::fixture::{Fixture, at, id, sha};

const BIG: usize = (5 << 20) + 123;

fn data(seed: u64, len: usize) -> Vec<u8> {
    super::common::bytes(seed, len)
}

async fn verify(f: &Fixture, id: &str, read_data: bool) -> VerifyReport {
    let options = VerifyOptions {
        read_data,
        max_in_flight: 8 << 20,
        ..VerifyOptions::default()
    };
    let id = BackupId::parse(id).expect("id");
    f.catalog.verify(&id, &options).await.expect("verify runs")
}

/// Complete, incomplete and damaged backups, scratch names and foreign objects side by side.
pub async fn listing_states(repo: Location) {
    let f = Fixture::new(repo);
    let (a, b) = (data(1, 1000), data(2, BIG));
    let t = at("2026-03-01T10:00:00Z");
    let complete = f
        .backup(&id(t, "complete"), t, &[("a.sst", &a), ("dir/b.sst", &b)])
        .await;
    let incomplete = id(t, "incomplete");
    f.incomplete(&incomplete, t, &[("a.sst", &a)]).await;
    let missing = f
        .backup(&id(t, "missing"), t, &[("a.sst", &a), ("c", b"c")])
        .await;
    f.delete(&format!("{missing}/c")).await;
    let extra = f.backup(&id(t, "extra"), t, &[("a.sst", &a)]).await;
    f.replace(&format!("{extra}/stray"), b"stray", &sha(b"stray"))
        .await;
    let no_sums = f.backup(&id(t, "nosums"), t, &[("a.sst", &a)]).await;
    f.delete(&format!("{no_sums}/{MANIFEST_FILE}")).await;
    let resized = f.backup(&id(t, "resized"), t, &[("a.sst", &a)]).await;
    f.replace(&format!("{resized}/a.sst"), &a[..10], &sha(&a[..10]))
        .await;
    f.replace("notes.txt", b"not a backup", &sha(b"not a backup"))
        .await;
    f.replace(".scratch/x", b"in flight", &sha(b"in flight"))
        .await;

    let listing = f.catalog.list().await.expect("list");
    let ids: Vec<&str> = listing.backups.iter().map(|b| b.id.as_str()).collect();
    let mut want = vec![&complete, &incomplete, &missing, &extra, &no_sums, &resized];
    want.sort();
    assert_eq!(ids, want);
    assert_eq!(listing.other, vec!["notes.txt".to_owned()]);

    let entry = |id: &str| listing.get(id).expect("listed");
    let c = entry(&complete);
    assert_eq!(
        (c.state, c.files, c.bytes),
        (BackupState::Complete, 2, (1000 + BIG) as u64)
    );
    assert_eq!(c.datetime, Some(t));
    assert!(c.problems.is_empty(), "{:?}", c.problems);
    assert_eq!(entry(&incomplete).state, BackupState::Incomplete);
    assert_eq!(entry(&incomplete).datetime, Some(t), "from the id");
    let m = entry(&missing);
    assert_eq!(m.state, BackupState::Damaged);
    assert!(
        m.problems.contains(&Problem::Missing("c".into())),
        "{:?}",
        m.problems
    );
    let e = entry(&extra);
    assert_eq!(e.state, BackupState::Damaged);
    assert!(
        e.problems.contains(&Problem::NotListed("stray".into())),
        "{:?}",
        e.problems
    );
    let n = entry(&no_sums);
    assert_eq!(n.state, BackupState::Damaged);
    assert!(
        n.problems
            .iter()
            .any(|p| p.to_string().contains("no SHA256SUMS"))
    );

    let r = entry(&resized);
    assert_eq!(r.state, BackupState::Damaged);
    assert_eq!(
        r.problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        vec!["META says 1 files of 1000 bytes; the repository holds 1 of 10"]
    );
    assert_eq!(
        m.problems,
        vec![Problem::Missing("c".into())],
        "only the missing file"
    );

    let json = serde_json::to_value(&listing.backups).expect("json");
    assert_eq!(json[0]["id"], complete.as_str());
    assert_eq!(json[0]["datetime"], "2026-03-01T10:00:00Z");
    assert_eq!(json[0]["files"], 2);
    assert_eq!(json[0]["bytes"], (1000 + BIG) as u64);
    assert_eq!(json[0]["state"], "complete");
}

/// A missing file and flipped bytes, with and without reading the data.
pub async fn verify_finds_damage(repo: Location) {
    let f = Fixture::new(repo.clone());
    let stores_hash = repo.capabilities().stores_sha256;
    let (a, b, c) = (data(3, 4000), data(4, BIG), data(5, 10));
    let t = at("2026-03-02T10:00:00Z");
    let files: [(&str, &[u8]); 3] = [("a", &a), ("big.sst", &b), ("c", &c)];
    // All taken before any is damaged: an upload copies content from the backups with META
    // server-side, and does not expect one of them to have lost a file.
    let whole = f.backup(&id(t, "whole"), t, &files).await;
    let gone = f.backup(&id(t, "gone"), t, &files).await;
    let rewritten = f.backup(&id(t, "rewritten"), t, &files).await;
    let rotten = f.backup(&id(t, "rotten"), t, &files).await;
    for read_data in [false, true] {
        let r = verify(&f, &whole, read_data).await;
        assert!(r.is_whole(), "{:?}", r.problems);
        assert_eq!(r.files, 3);
        if read_data || !stores_hash {
            assert_eq!(
                (r.checked_by_reading, r.bytes_read),
                (3, (4010 + BIG) as u64)
            );
        } else {
            assert_eq!((r.checked_by_stored_hash, r.bytes_read), (3, 0));
        }
    }

    // A missing file.
    f.delete(&format!("{gone}/c")).await;
    for read_data in [false, true] {
        let r = verify(&f, &gone, read_data).await;
        assert!(
            r.problems.contains(&Problem::Missing("c".into())),
            "{:?}",
            r.problems
        );
    }

    // A flipped byte that the store knows of (the object was rewritten, with its hash).
    let mut flipped = b.clone();
    flipped[BIG / 2] ^= 0x01;
    f.replace(&format!("{rewritten}/big.sst"), &flipped, &sha(&flipped))
        .await;
    for read_data in [false, true] {
        let r = verify(&f, &rewritten, read_data).await;
        assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
        let Problem::HashDiffers {
            path,
            expected,
            actual,
            ..
        } = &r.problems[0]
        else {
            panic!("{:?}", r.problems);
        };
        assert_eq!(
            (path.as_str(), expected, actual),
            ("big.sst", &sha(&b), &sha(&flipped))
        );
    }

    // A flipped byte under metadata that still claims the old content (rot): only reading
    // finds it where the store keeps hashes; a local repository is always read.
    f.replace(&format!("{rotten}/big.sst"), &flipped, &sha(&b))
        .await;
    let plain = verify(&f, &rotten, false).await;
    assert_eq!(plain.is_whole(), stores_hash, "{:?}", plain.problems);
    let read = verify(&f, &rotten, true).await;
    assert_eq!(
        read.problems,
        vec![Problem::HashDiffers {
            path: "big.sst".into(),
            expected: sha(&b),
            actual: sha(&flipped),
            read: true,
        }]
    );

    let unknown = BackupId::parse(&id(t, "unknown")).expect("id");
    let err = f
        .catalog
        .verify(&unknown, &VerifyOptions::default())
        .await
        .expect_err("no such backup");
    assert!(err.is_not_found(), "{err}");
}

fn rules(policy: Policy, dry_run: bool) -> PruneRules {
    PruneRules {
        policy,
        max_age: None,
        now: at("2026-04-01T00:00:00Z"),
        dry_run,
    }
}

/// A calendar of backups sharing content by server-side copy; a dry run, then the prune.
pub async fn prune_by_policy(repo: Location) {
    let f = Fixture::new(repo);
    let shared = data(6, BIG);
    let mut ids = Vec::new();
    // Two a day on March 1st to 5th; each holds the shared file and one of its own.
    for day in 1..=5 {
        for hour in [6, 18] {
            let t = at(&format!("2026-03-{day:02}T{hour:02}:00:00Z"));
            let own = data(100 + day * 24 + hour, 2000);
            ids.push(
                f.backup(&id(t, "n"), t, &[("shared.sst", &shared), ("own", &own)])
                    .await,
            );
        }
    }
    // A backup whose id extends that of one to be deleted (its META's datetime, which is
    // what the policy goes by, is the newest).
    let longer = format!("{}1", ids[0]);
    let longer = f
        .backup(
            &longer,
            at("2026-03-06T00:00:00Z"),
            &[("shared.sst", &shared)],
        )
        .await;

    let policy = Policy {
        daily: Count::N(3),
        ..Policy::default()
    };
    let before = f.snapshot().await;
    let dry = f
        .catalog
        .prune(&rules(policy.clone(), true))
        .await
        .expect("dry run");
    assert_eq!(f.snapshot().await, before, "a dry run changes nothing");
    assert_eq!(dry.deleted_objects, 0);

    let report = f.catalog.prune(&rules(policy, false)).await.expect("prune");
    assert_eq!(
        report.decisions, dry.decisions,
        "the dry run said what happens"
    );
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    // Kept: the newest backup of the 6th, 5th and 4th.
    let kept: Vec<&str> = report
        .decisions
        .iter()
        .filter(|d| matches!(d.action, PruneAction::Keep(_)))
        .map(|d| d.id.as_str())
        .collect();
    let mut want = vec![ids[9].as_str(), ids[7].as_str(), longer.as_str()];
    want.sort();
    assert_eq!(kept, want);
    assert_eq!(report.deleted().count(), 8);
    let listing = f.catalog.list().await.expect("list");
    let left: Vec<&str> = listing.backups.iter().map(|b| b.id.as_str()).collect();
    assert_eq!(left, want);
    for id in &want {
        let r = verify(&f, id, true).await;
        assert!(r.is_whole(), "{id}: {:?}", r.problems);
    }
}

/// Incomplete backups go only when older than --max-age; damaged ones never.
pub async fn prune_incomplete_and_damaged(repo: Location) {
    let f = Fixture::new(repo);
    let a = data(7, 3000);
    let old = at("2026-03-01T00:00:00Z");
    let young = at("2026-03-31T23:00:00Z");
    let keep = f.backup(&id(young, "kept"), young, &[("a", &a)]).await;
    f.incomplete(&id(old, "stale"), old, &[("a", &a)]).await;
    f.incomplete(&id(young, "running"), young, &[("a", &a)])
        .await;
    let damaged = f
        .backup(&id(old, "damaged"), old, &[("a", &a), ("b", b"b")])
        .await;
    f.delete(&format!("{damaged}/b")).await;

    let mut r = rules(
        Policy {
            last: Count::N(1),
            ..Policy::default()
        },
        false,
    );
    let without = f.catalog.prune(&r).await.expect("prune");
    assert_eq!(without.deleted().count(), 0, "{:?}", without.decisions);
    r.max_age = Some(std::time::Duration::from_secs(86_400));
    let report = f.catalog.prune(&r).await.expect("prune");
    let deleted: Vec<&str> = report.deleted().map(|d| d.id.as_str()).collect();
    assert_eq!(deleted, vec![id(old, "stale")]);
    let left: Vec<String> = f
        .catalog
        .list()
        .await
        .expect("list")
        .backups
        .into_iter()
        .map(|b| b.id)
        .collect();
    let mut want = vec![keep, id(young, "running"), damaged];
    want.sort();
    assert_eq!(left, want);
}

/// Every rule through a real repository in a dry run: what prune says it keeps is what the
/// policy keeps, and nothing changes.
pub async fn dry_run_every_policy(repo: Location) {
    let f = Fixture::new(repo);
    let mut times = Vec::new();
    for (i, t) in [
        "2025-12-31T23:00:00Z",
        "2026-01-01T01:00:00Z",
        "2026-01-01T01:30:00Z",
        "2026-01-05T12:00:00Z",
        "2026-02-14T08:00:00Z",
        "2026-02-14T09:00:00Z",
        "2026-03-30T10:00:00Z",
        "2026-03-31T10:00:00Z",
    ]
    .iter()
    .enumerate()
    {
        let t = at(t);
        f.backup(&id(t, "cal"), t, &[("f", &data(200 + i as u64, 100))])
            .await;
        times.push(t);
    }
    let before = f.snapshot().await;
    let span = |s| Span::parse(s).expect("span");
    let policies = [
        Policy {
            last: Count::N(2),
            ..Policy::default()
        },
        Policy {
            hourly: Count::N(3),
            ..Policy::default()
        },
        Policy {
            daily: Count::N(2),
            ..Policy::default()
        },
        Policy {
            weekly: Count::N(2),
            ..Policy::default()
        },
        Policy {
            monthly: Count::Unlimited,
            ..Policy::default()
        },
        Policy {
            yearly: Count::N(1),
            ..Policy::default()
        },
        Policy {
            within: span("1m"),
            ..Policy::default()
        },
        Policy {
            within_daily: span("2m"),
            within_yearly: span("5y"),
            ..Policy::default()
        },
        Policy::default(),
    ];
    for policy in policies {
        let report = f
            .catalog
            .prune(&rules(policy.clone(), true))
            .await
            .expect("dry run");
        let want: Vec<String> = policy
            .apply(
                times.iter().map(|t| (*t, *t, 0)).collect(),
                at("2026-04-01T00:00:00Z"),
            )
            .into_iter()
            .filter(|v| v.keep())
            .map(|v| id(v.item, "cal"))
            .collect();
        let mut got: Vec<String> = report
            .decisions
            .iter()
            .filter(|d| matches!(d.action, PruneAction::Keep(_)))
            .map(|d| d.id.clone())
            .collect();
        got.reverse();
        assert_eq!(got, want, "{policy:?}");
    }
    assert_eq!(f.snapshot().await, before, "dry runs change nothing");
}
