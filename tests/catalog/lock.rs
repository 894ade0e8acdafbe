//! Retention locks (S3 Object Lock) on LocalStack, which implements them (moto answers
//! GetObjectRetention with a 500, s3s-fs and rclone's `serve s3` have no Object Lock): an
//! upload with `object_lock_retention` locks every object of the backup, and prune leaves
//! a locked backup, saying until when, while it deletes an unlocked one.

use bytes::Bytes;
use ferry::catalog::{Policy, PruneAction, PruneRules};
use ferry::store::LockMode;

use super::common::{ferry, run, text};
use super::fixture::{Fixture, at, id, sha};
use super::servers::{Server, random_prefix};

/// LocalStack with a fresh bucket created with Object Lock enabled (which S3 allows only
/// at creation).
async fn lock_enabled_bucket() -> Server {
    let mut server = Server::s3("localstack", "LOCALSTACK", true);
    let bucket = format!("ferry-lock-{}", uuid::Uuid::new_v4().simple());
    let created = reqwest::Client::new()
        .put(format!("{}/{bucket}", server.endpoint))
        .header("x-amz-bucket-object-lock-enabled", "true")
        .send()
        .await
        .expect("create bucket");
    assert!(created.status().is_success(), "{created:?}");
    server.bucket = bucket;
    server
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_backup_survives_prune() {
    let mut server = lock_enabled_bucket().await;
    let prefix = random_prefix("lock");
    let plain = Fixture::new(server.location(&prefix));
    server.section["object_lock_retention"] = "2d".into();
    let locked = Fixture::new(server.location(&prefix));

    let files: [(&str, &[u8]); 2] = [("a.sst", b"a"), ("b.sst", b"b")];
    let t1 = at("2026-01-01T10:00:00Z");
    let old_plain = plain.backup(&id(t1, "plain"), t1, &files).await;
    let t2 = at("2026-01-02T10:00:00Z");
    let old_locked = locked.backup(&id(t2, "locked"), t2, &files).await;
    let t3 = at("2026-01-03T10:00:00Z");
    let newest = plain.backup(&id(t3, "newest"), t3, &files).await;

    // Every object of the locked backup has the retention; the others none.
    let now = chrono::Utc::now();
    let listing = plain.catalog.list().await.expect("list");
    for b in &listing.backups {
        let lock = plain.catalog.lock(b, now).await.expect("lock");
        assert_eq!(lock.is_some(), b.id == old_locked, "{}: {lock:?}", b.id);
    }
    let dir = plain.repo.child(&old_locked);
    for o in dir.backend.list(&dir.root).await.expect("list") {
        let r = dir
            .backend
            .retention(&dir.key(&o.key))
            .await
            .expect("retention")
            .unwrap_or_else(|| panic!("{} is not locked", o.key));
        assert_eq!(r.mode, LockMode::Governance);
        assert!(r.until > now + chrono::Duration::days(1), "{r:?}");
    }

    let rules = |dry_run| PruneRules {
        policy: Policy {
            last: ferry::catalog::Count::parse("1").expect("count"),
            ..Policy::default()
        },
        max_age: None,
        now,
        dry_run,
    };
    for dry_run in [true, false] {
        let report = plain.catalog.prune(&rules(dry_run)).await.expect("prune");
        let action = |id: &str| {
            report
                .decisions
                .iter()
                .find(|d| d.id == id)
                .map(|d| d.action.clone())
                .expect("decided")
        };
        assert!(matches!(action(&old_plain), PruneAction::Delete(_)));
        assert!(matches!(action(&newest), PruneAction::Keep(_)));
        match action(&old_locked) {
            PruneAction::Leave(why) => {
                assert!(
                    why.contains("locked until") && why.contains("GOVERNANCE"),
                    "{why}"
                )
            }
            other => panic!("a locked backup was {other:?}"),
        }
        assert!(report.failed.is_empty(), "{:?}", report.failed);
    }
    let left: Vec<String> = (plain.catalog.list().await.expect("list").backups)
        .into_iter()
        .map(|b| b.id)
        .collect();
    assert_eq!(left, vec![old_locked, newest]);
}

/// A section that asks for locks on a bucket without Object Lock fails its first write,
/// saying what the bucket needs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_on_a_bucket_without_object_lock_is_refused() {
    let mut server = Server::s3("localstack", "LOCALSTACK", true);
    server.section["object_lock_retention"] = "1d".into();
    let location = server.location(&random_prefix("nolock"));
    let err = location
        .backend
        .put(&location.key("x"), Bytes::from_static(b"x"), &sha(b"x"))
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ferry::ErrorKind::BadConfig, "{err}");
    assert!(err.to_string().contains("Object Lock enabled"), "{err}");
}

/// Through the binary: `ferry upload --lock` locks every object of the backup; `ferry
/// delete` leaves them, names each and exits 1 (a dry run says so and exits 0); `ferry
/// prune` leaves the backup, saying why; the backup stays listed complete.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_locks_an_upload_and_delete_and_prune_leave_it() {
    let server = lock_enabled_bucket().await;
    let prefix = random_prefix("lock-cli");
    let f = Fixture::new(server.location(&prefix));
    let files: [(&str, &[u8]); 2] = [("a.sst", b"a"), ("dir/b.sst", b"b")];
    let t1 = at("2026-02-01T10:00:00Z");
    let locked = id(t1, "locked");
    f.take(&locked, t1, &files);
    let t2 = at("2026-02-02T10:00:00Z");
    let newest = f.backup(&id(t2, "newest"), t2, &files).await;
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = server.config_file(tmp.path());
    let config = config.to_str().expect("utf-8");
    let repo = server.repository(&prefix);
    let ferry = |args: &[&str]| run(ferry(tmp.path()).args(args).args(["--config", config]));
    let backups = f.backups().to_str().expect("utf-8");

    let out = ferry(&[
        "upload",
        &locked,
        &repo,
        "--backup-dir",
        backups,
        "--lock",
        "1d",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let dir = f.repo.child(&locked);
    let objects = dir.backend.list(&dir.root).await.expect("list");
    assert_eq!(objects.len(), files.len() + 2, "{objects:?}"); // + SHA256SUMS, META
    let now = chrono::Utc::now();
    for o in &objects {
        let r = (dir
            .backend
            .retention(&dir.key(&o.key))
            .await
            .expect("retention"))
        .unwrap_or_else(|| panic!("{} is not locked", o.key));
        assert_eq!(r.mode, LockMode::Governance, "{}", o.key);
        assert!(r.holds_at(now + chrono::Duration::hours(23)), "{r:?}");
    }
    let before = f.snapshot().await;

    let target = format!("{repo}/{locked}");
    let out = ferry(&["delete", &target, "--dry-run"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        err.contains("a.sst: would not delete: locked until"),
        "{err}"
    );
    for verb in ["delete", "purge"] {
        let out = ferry(&[verb, &target]);
        assert_eq!(out.status.code(), Some(1), "{verb}: {}", text(&out));
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            err.contains("dir/b.sst: not deleted: locked until")
                && err.contains("(GOVERNANCE retention): Object Lock keeps it")
                && err.contains("4 of 4 files not deleted"),
            "{verb}: {err}"
        );
        assert_eq!(f.snapshot().await, before, "{verb} changed the repository");
    }

    let out = ferry(&["prune", &repo, "--keep-last", "1"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        stdout.contains(&format!("leave        {locked}"))
            && stdout.contains("Object Lock keeps it"),
        "{stdout}"
    );
    let out = ferry(&["backups", &repo, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let states: Vec<(String, String)> = (listed.as_array().expect("array").iter())
        .map(|b| {
            (
                b["id"].as_str().expect("id").into(),
                b["state"].as_str().expect("state").into(),
            )
        })
        .collect();
    let complete = |id: &String| (id.clone(), "complete".to_owned());
    assert_eq!(states, vec![complete(&locked), complete(&newest)]);
}
