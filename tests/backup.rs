//! Local hot backups on real directories: create, list, delete, restore, the write lock, and
//! everything that must leave no trace when it fails.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use ferry::backup::{
    BackupDir, BackupError, BackupId, CreateOptions, LOCK_FILE, MANIFEST_FILE, META_FILE, Meta,
    RestoreOptions, WriteLock,
};
use ferry::error_table::{Operation, error_num};

/// The errorNum `err` is answered with in `operation`.
fn num(err: &BackupError, operation: Operation) -> i64 {
    error_num(err.kind(), operation).code()
}

struct Setup {
    _tmp: tempfile::TempDir,
    data: PathBuf,
    backups: BackupDir,
}

/// A data directory with a few files (two `.sst`, nested, an empty directory) and an empty
/// backup directory.
fn setup() -> Setup {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    fs::create_dir_all(data.join("engine-rocksdb")).expect("mkdir");
    fs::create_dir_all(data.join("journals")).expect("mkdir");
    fs::write(data.join("engine-rocksdb/000001.sst"), vec![7u8; 300_000]).expect("write");
    fs::write(data.join("engine-rocksdb/000002.sst"), b"second table").expect("write");
    fs::write(data.join("engine-rocksdb/CURRENT"), b"MANIFEST-000003\n").expect("write");
    fs::write(data.join("SERVER"), b"{\"id\": 1}").expect("write");
    let backups = BackupDir::new(tmp.path().join("backups"));
    Setup {
        _tmp: tmp,
        data,
        backups,
    }
}

/// Relative path → content of every file under `dir` (the lock file aside); directories
/// map to `None`.
fn read_tree(dir: &Path) -> BTreeMap<String, Option<Vec<u8>>> {
    fn go(root: &Path, dir: &Path, out: &mut BTreeMap<String, Option<Vec<u8>>>) {
        for entry in fs::read_dir(dir).expect("read_dir") {
            let path = entry.expect("entry").path();
            let rel = path
                .strip_prefix(root)
                .expect("under root")
                .to_string_lossy()
                .into_owned();
            if rel == LOCK_FILE {
                continue;
            }
            if path.is_dir() {
                out.insert(rel, None);
                go(root, &path, out);
            } else {
                out.insert(rel, Some(fs::read(&path).expect("read")));
            }
        }
    }
    let mut out = BTreeMap::new();
    go(dir, dir, &mut out);
    out
}

/// Names in a directory (empty if it does not exist).
fn names(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn create(s: &Setup, label: &str) -> Meta {
    s.backups
        .create(&s.data, Some(label), &CreateOptions::default())
        .expect("create")
}

fn quick(timeout_ms: u64, allow_inconsistent: bool) -> CreateOptions {
    CreateOptions {
        timeout: Duration::from_millis(timeout_ms),
        allow_inconsistent,
        ..CreateOptions::default()
    }
}

fn has_sha256sum() -> bool {
    Command::new("sha256sum")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn create_list_get_delete() {
    let s = setup();
    let before = read_tree(&s.data);
    let meta = create(&s, "Today's Hot Backup");
    assert!(
        meta.id.as_str().ends_with("Z_Today.s_Hot_Backup"),
        "{}",
        meta.id
    );
    // ArangoDB's release tests: every file of the backup but META counts (SHA256SUMS too).
    let dir = s.backups.path(&meta.id);
    let sums = fs::metadata(dir.join(MANIFEST_FILE))
        .expect("SHA256SUMS")
        .len();
    assert_eq!(meta.nr_files, 4 + 1, "data files and SHA256SUMS");
    assert_eq!(meta.size_in_bytes, 300_000 + 12 + 16 + 9 + sums);
    assert!(!meta.potentially_inconsistent);
    assert!(meta.count_includes_files_only && meta.available);
    assert_eq!(meta.datetime.len(), "2026-08-04T15:27:49Z".len());

    // The backup holds the data files, SHA256SUMS and META; no lock file, no scratch.
    let dir = s.backups.path(&meta.id);
    let mut expected = before.clone();
    expected.insert(META_FILE.into(), Some(meta.to_bytes().expect("meta")));
    let tree = read_tree(&dir);
    let mut without_sums = tree.clone();
    without_sums.remove(MANIFEST_FILE);
    assert_eq!(without_sums, expected);
    assert!(!dir.join(LOCK_FILE).exists());
    assert_eq!(names(&s.backups.root), vec![meta.id.to_string()]);
    assert_eq!(
        read_tree(&s.data),
        before,
        "the data directory is unchanged"
    );

    let listed = s.backups.list().expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].0, meta.id);
    assert_eq!(listed[0].1.as_ref().expect("meta"), &meta);
    assert_eq!(s.backups.get(&meta.id).expect("get"), meta);
    assert_eq!(s.backups.verify(&meta.id).expect("verify").len(), 4);

    s.backups.delete(&meta.id).expect("delete");
    assert!(s.backups.list().expect("list").is_empty());
    assert!(names(&s.backups.root).is_empty(), "no trash left");
    let err = s.backups.delete(&meta.id).expect_err("gone");
    assert!(matches!(err, BackupError::NotFound(_)));
    assert!(matches!(
        s.backups.get(&meta.id),
        Err(BackupError::NotFound(_))
    ));
}

#[test]
fn sha256sum_accepts_the_manifest() {
    if !has_sha256sum() {
        eprintln!("sha256sum not installed: skipped");
        return;
    }
    let s = setup();
    fs::write(s.data.join("back\\slash"), b"1").expect("write");
    fs::write(s.data.join("new\nline"), b"2").expect("write");
    fs::write(s.data.join("sp ace"), b"3").expect("write");
    let meta = create(&s, "odd");
    let out = Command::new("sha256sum")
        .args(["-c", "--strict", MANIFEST_FILE])
        .current_dir(s.backups.path(&meta.id))
        .output()
        .expect("run sha256sum");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).matches(": OK").count(),
        7
    );
}

#[test]
fn immutable_files_are_hard_linked_the_rest_copied() {
    let s = setup();
    let meta = create(&s, "links");
    let dir = s.backups.path(&meta.id);
    let ino = |p: PathBuf| fs::metadata(p).expect("stat").ino();
    for sst in ["engine-rocksdb/000001.sst", "engine-rocksdb/000002.sst"] {
        assert_eq!(ino(s.data.join(sst)), ino(dir.join(sst)), "{sst} is linked");
    }
    for copied in ["engine-rocksdb/CURRENT", "SERVER"] {
        assert_ne!(
            ino(s.data.join(copied)),
            ino(dir.join(copied)),
            "{copied} is copied"
        );
    }
}

#[test]
fn restore_round_trip() {
    let s = setup();
    let original = read_tree(&s.data);
    let meta = create(&s, "before");
    fs::write(s.data.join("SERVER"), b"changed").expect("write");
    fs::write(s.data.join("new-file"), b"new").expect("write");
    fs::remove_file(s.data.join("engine-rocksdb/000002.sst")).expect("rm");
    fs::remove_dir(s.data.join("journals")).expect("rmdir");
    let changed = read_tree(&s.data);

    let failsafe = s.backups.restore(&meta.id, &s.data).expect("restore");
    assert!(failsafe.starts_with("data.failsafe-"), "{failsafe}");
    assert_eq!(read_tree(&s.data), original);
    let parent = s.data.parent().expect("parent");
    assert_eq!(read_tree(&parent.join(&failsafe)), changed);
    assert!(
        s.data.join(LOCK_FILE).exists(),
        "the data directory has its lock file"
    );
    assert_eq!(names(parent), vec!["backups", "data", failsafe.as_str()]);

    // Immutable files are the backup's own (hard links); the rest are copies, and writing
    // them never changes the backup.
    let backup = s.backups.path(&meta.id);
    let ino = |p: PathBuf| fs::metadata(p).expect("stat").ino();
    for sst in ["engine-rocksdb/000001.sst", "engine-rocksdb/000002.sst"] {
        assert_eq!(ino(s.data.join(sst)), ino(backup.join(sst)), "{sst} linked");
    }
    for copied in ["engine-rocksdb/CURRENT", "SERVER"] {
        assert_ne!(
            ino(s.data.join(copied)),
            ino(backup.join(copied)),
            "{copied}"
        );
    }
    fs::write(s.data.join("SERVER"), b"written after the restore").expect("write");
    fs::write(s.data.join("engine-rocksdb/CURRENT"), b"MANIFEST-000009\n").expect("write");
    // What RocksDB does with a table it no longer needs.
    fs::remove_file(s.data.join("engine-rocksdb/000001.sst")).expect("rm");
    assert_eq!(
        fs::read(backup.join("SERVER")).expect("read"),
        b"{\"id\": 1}"
    );
    s.backups.verify(&meta.id).expect("backup intact");

    // Writers and backups work on the restored directory; a second restore gets its own
    // failsafe name.
    drop(WriteLock::shared(&s.data).expect("shared lock"));
    let again = s.backups.restore(&meta.id, &s.data).expect("restore again");
    assert_ne!(again, failsafe);
    assert_eq!(
        read_tree(&s.data),
        original,
        "the backup restores whole again"
    );
    s.backups.verify(&meta.id).expect("backup still intact");
    create(&s, "after");
}

#[test]
fn restore_copies_every_file_without_immutable_patterns() {
    let s = setup();
    let original = read_tree(&s.data);
    let meta = create(&s, "copies");
    let options = RestoreOptions {
        immutable: Vec::new(),
        ..RestoreOptions::default()
    };
    s.backups
        .restore_with(&meta.id, &s.data, &options)
        .expect("restore");
    assert_eq!(read_tree(&s.data), original);
    let backup = s.backups.path(&meta.id);
    let ino = |p: PathBuf| fs::metadata(p).expect("stat").ino();
    let sst = "engine-rocksdb/000001.sst";
    assert_ne!(ino(s.data.join(sst)), ino(backup.join(sst)), "a copy");
    fs::write(s.data.join(sst), b"overwritten in place").expect("write");
    s.backups.verify(&meta.id).expect("backup intact");
}

#[test]
fn corrupt_copied_file_fails_the_restore_but_a_linked_one_is_not_read() {
    let s = setup();
    let meta = create(&s, "rot");
    let backup = s.backups.path(&meta.id);
    let current = read_tree(&s.data);
    // The same size, other bytes: only hashing tells.
    fs::write(backup.join("engine-rocksdb/CURRENT"), b"MANIFEST-000004\n").expect("write");
    let err = s
        .backups
        .restore(&meta.id, &s.data)
        .expect_err("corrupt copy");
    assert!(err.to_string().contains("expected sha256"), "{err}");
    assert_eq!(read_tree(&s.data), current, "data directory untouched");
    fs::write(backup.join("engine-rocksdb/CURRENT"), b"MANIFEST-000003\n").expect("write");

    // A linked file is the one hashed when the backup was taken: listed and present is
    // what the restore checks of it (`verify` reads it).
    fs::remove_file(backup.join("engine-rocksdb/000002.sst")).expect("rm");
    let err = s
        .backups
        .restore(&meta.id, &s.data)
        .expect_err("missing table");
    assert!(err.to_string().contains("missing"), "{err}");
    assert_eq!(read_tree(&s.data), current, "data directory untouched");
}

#[test]
fn corrupt_backup_is_not_restored() {
    let s = setup();
    let meta = create(&s, "x");
    let dir = s.backups.path(&meta.id);
    fs::write(s.data.join("SERVER"), b"current").expect("write");
    let current = read_tree(&s.data);
    let parent = s.data.parent().expect("parent").to_path_buf();

    let check = |what: &str| {
        let err = s.backups.restore(&meta.id, &s.data).expect_err(what);
        assert_eq!(num(&err, Operation::Restore), 7002, "{what}: {err}");
        assert!(
            matches!(&err, BackupError::Restore(inner) if matches!(**inner, BackupError::Corrupt { .. })),
            "{what}: {err}"
        );
        assert_eq!(
            read_tree(&s.data),
            current,
            "{what}: data directory untouched"
        );
        assert_eq!(
            names(&parent),
            vec!["backups", "data"],
            "{what}: nothing left"
        );
    };

    // Changed content (SERVER is a copy, so this does not touch the data directory).
    fs::write(dir.join("SERVER"), b"{\"id\": 2}").expect("write");
    check("changed file");
    assert!(s.backups.verify(&meta.id).is_err());
    fs::write(dir.join("SERVER"), b"{\"id\": 1}").expect("write");
    s.backups.verify(&meta.id).expect("repaired");

    fs::write(dir.join("extra"), b"?").expect("write");
    check("extra file");
    fs::remove_file(dir.join("extra")).expect("rm");

    fs::rename(dir.join("SERVER"), s.data.parent().expect("p").join("s")).expect("mv");
    check_missing(&s, &meta.id, &current);
    fs::rename(s.data.parent().expect("p").join("s"), dir.join("SERVER")).expect("mv");

    fs::remove_file(dir.join(MANIFEST_FILE)).expect("rm");
    check("no SHA256SUMS");
}

fn check_missing(s: &Setup, id: &BackupId, current: &BTreeMap<String, Option<Vec<u8>>>) {
    let err = s.backups.restore(id, &s.data).expect_err("missing file");
    assert!(err.to_string().contains("missing"), "{err}");
    assert_eq!(&read_tree(&s.data), current);
}

#[test]
fn restore_of_unknown_backup_is_7007() {
    let s = setup();
    let id = BackupId::parse("2026-08-04T15.27.49Z_nope").expect("id");
    let err = s.backups.restore(&id, &s.data).expect_err("unknown");
    assert!(matches!(err, BackupError::NotFound(_)));
    assert_eq!(num(&err, Operation::Restore), 7007);
}

#[test]
fn restore_waits_for_writers_and_times_out() {
    let s = setup();
    let meta = create(&s, "x");
    let before = read_tree(&s.data);
    let writer = WriteLock::shared(&s.data).expect("shared");
    let err = s
        .backups
        .restore_with(
            &meta.id,
            &s.data,
            &RestoreOptions {
                timeout: Duration::from_millis(200),
                ..RestoreOptions::default()
            },
        )
        .expect_err("locked");
    assert_eq!(num(&err, Operation::Restore), 18);
    assert_eq!(read_tree(&s.data), before);
    assert_eq!(
        names(s.data.parent().expect("parent")),
        vec!["backups", "data"]
    );
    drop(writer);
}

#[test]
fn lock_timeout_is_18_unless_inconsistency_is_allowed() {
    let s = setup();
    let data = s.data.clone();
    let (held_tx, held_rx) = std::sync::mpsc::channel();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let writer = std::thread::spawn(move || {
        let guard = WriteLock::shared(&data).expect("shared");
        held_tx.send(()).expect("send");
        let _ = done_rx.recv();
        drop(guard);
    });
    held_rx.recv().expect("writer holds the lock");

    let err = s
        .backups
        .create(&s.data, Some("t"), &quick(1000, false))
        .expect_err("timeout");
    assert!(matches!(err, BackupError::LockTimeout { .. }));
    assert_eq!(num(&err, Operation::Create), 18);
    assert_eq!(error_num(err.kind(), Operation::Create).http_status(), 408);
    assert!(names(&s.backups.root).is_empty(), "nothing created");

    let meta = s
        .backups
        .create(&s.data, Some("t"), &quick(1000, true))
        .expect("inconsistent backup");
    assert!(meta.potentially_inconsistent);
    let listed = s.backups.get(&meta.id).expect("get");
    assert!(listed.potentially_inconsistent);

    done_tx.send(()).expect("send");
    writer.join().expect("writer");
    assert!(!create(&s, "t2").potentially_inconsistent);
}

#[test]
fn same_second_same_label_gives_distinct_backups() {
    let s = setup();
    // Occupy the ids of the next few seconds with foreign backups, which must stay as they are.
    let now = chrono::Utc::now();
    let mut foreign = Vec::new();
    for secs in 0..5 {
        let id = BackupId::generate(now + chrono::Duration::seconds(secs), Some("same"));
        let dir = s.backups.path(&id);
        fs::create_dir_all(&dir).expect("mkdir");
        let meta = Meta::new(id.clone(), now, 0, 0, false);
        fs::write(dir.join(META_FILE), meta.to_bytes().expect("meta")).expect("write");
        fs::write(dir.join("marker"), b"foreign").expect("write");
        foreign.push((id, read_tree(&dir)));
    }
    let meta = create(&s, "same");
    assert!(meta.id.as_str().ends_with("_same_2"), "{}", meta.id);
    for (id, tree) in &foreign {
        assert_eq!(&read_tree(&s.backups.path(id)), tree, "{id} untouched");
    }

    // Concurrent creates with one label: all distinct, all whole.
    let ids: Vec<BackupId> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| create(&s, "race").id))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    let mut distinct = ids.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 4, "{ids:?}");
    for id in &ids {
        s.backups.verify(id).expect("whole");
    }
    assert_eq!(s.backups.list().expect("list").len(), 5 + 1 + 4);
}

#[test]
fn failed_create_leaves_nothing() {
    let s = setup();
    let missing = s.data.join("nope");
    assert!(
        s.backups
            .create(&missing, Some("x"), &quick(100, false))
            .is_err()
    );
    assert!(names(&s.backups.root).is_empty());

    // Fails half-way through the snapshot: a name no repository can hold.
    let bad = <std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(b"bad\xff");
    fs::write(s.data.join("journals").join(bad), b"x").expect("write");
    let err = s
        .backups
        .create(&s.data, Some("x"), &quick(100, false))
        .expect_err("non-UTF-8");
    assert!(err.to_string().contains("UTF-8"), "{err}");
    assert!(names(&s.backups.root).is_empty(), "scratch removed");
    fs::remove_file(s.data.join("journals").join(bad)).expect("rm");

    fs::write(s.data.join(META_FILE), b"{}").expect("write");
    assert!(
        s.backups
            .create(&s.data, Some("x"), &quick(100, false))
            .is_err()
    );
    assert!(names(&s.backups.root).is_empty(), "scratch removed");
}

#[test]
fn symlinks_are_not_followed() {
    let s = setup();
    let outside = s.data.parent().expect("parent").join("outside");
    fs::create_dir(&outside).expect("mkdir");
    fs::write(outside.join("secret"), b"s").expect("write");
    std::os::unix::fs::symlink(&outside, s.data.join("link-dir")).expect("symlink");
    std::os::unix::fs::symlink(outside.join("secret"), s.data.join("link-file")).expect("symlink");
    let meta = create(&s, "links");
    assert_eq!(meta.nr_files, 4 + 1, "data files and SHA256SUMS");
    let dir = s.backups.path(&meta.id);
    assert!(fs::symlink_metadata(dir.join("link-dir")).is_err());
    assert!(fs::symlink_metadata(dir.join("link-file")).is_err());
}

#[test]
fn scratch_and_foreign_entries_are_not_listed() {
    let s = setup();
    let meta = create(&s, "real");
    let root = &s.backups.root;
    let copy_meta = |name: &str| {
        fs::create_dir_all(root.join(name)).expect("mkdir");
        fs::copy(
            s.backups.path(&meta.id).join(META_FILE),
            root.join(name).join(META_FILE),
        )
        .expect("copy");
    };
    for name in [
        ".creating-x",
        ".downloading-y",
        ".deleting-z",
        "has space",
        "a:b",
    ] {
        copy_meta(name);
    }
    fs::create_dir(root.join("2026-01-01T00.00.00Z_no-meta")).expect("mkdir");
    fs::write(root.join("2026-01-01T00.00.00Z_file"), b"x").expect("write");
    std::os::unix::fs::symlink(
        s.backups.path(&meta.id),
        root.join("2026-01-01T00.00.00Z_link"),
    )
    .expect("symlink");
    let listed: Vec<_> = s
        .backups
        .list()
        .expect("list")
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(listed, vec![meta.id.clone()]);
}

#[test]
fn corrupt_meta_is_an_error_entry() {
    let s = setup();
    let good = create(&s, "good");
    let bad = create(&s, "bad");
    fs::write(s.backups.path(&bad.id).join(META_FILE), b"{\"id\": tru").expect("write");
    let listed = s.backups.list().expect("list");
    assert_eq!(listed.len(), 2);
    let by_id: BTreeMap<_, _> = listed.into_iter().collect();
    assert_eq!(by_id[&good.id].as_ref().expect("good"), &good);
    let err = by_id[&bad.id].as_ref().expect_err("bad");
    assert!(matches!(err, BackupError::Meta { .. }), "{err}");
    assert!(matches!(
        s.backups.get(&bad.id),
        Err(BackupError::Meta { .. })
    ));
}

#[test]
fn ids_with_path_tricks_are_rejected() {
    for id in [
        "..",
        ".",
        "../data",
        "a/b",
        "/etc",
        "a\0b",
        ".creating-x",
        "",
    ] {
        let err = BackupId::parse(id).expect_err(id);
        assert_eq!(num(&err, Operation::StartTransfer), 10, "{id:?}");
    }
    assert!(BackupId::parse(&"a".repeat(255)).is_err());
}

#[test]
fn publish_download() {
    let s = setup();
    let meta = create(&s, "dl");
    let scratch = s.backups.scratch_dir(&meta.id);
    assert!(
        scratch
            .file_name()
            .expect("name")
            .to_string_lossy()
            .starts_with('.')
    );
    let copy_to = |dst: &Path| {
        let status = Command::new("cp")
            .arg("-a")
            .arg(s.backups.path(&meta.id))
            .arg(dst)
            .status()
            .expect("cp");
        assert!(status.success());
    };

    // The id exists: the download is refused and the existing backup untouched.
    copy_to(&scratch);
    fs::write(scratch.join("SERVER"), b"different").expect("write");
    let err = s
        .backups
        .publish_download(&scratch, &meta.id)
        .expect_err("corrupt");
    assert!(matches!(err, BackupError::Corrupt { .. }), "{err}");
    fs::write(scratch.join("SERVER"), b"{\"id\": 1}").expect("write");
    let err = s
        .backups
        .publish_download(&scratch, &meta.id)
        .expect_err("exists");
    assert_eq!(num(&err, Operation::Download), 7011);
    s.backups.verify(&meta.id).expect("existing backup intact");

    // Deleted locally: the download is published and listed.
    s.backups.delete(&meta.id).expect("delete");
    assert!(
        s.backups.list().expect("list").is_empty(),
        "scratch not listed"
    );
    let published = s
        .backups
        .publish_download(&scratch, &meta.id)
        .expect("publish");
    assert_eq!(published, meta);
    assert!(!scratch.exists());
    assert_eq!(s.backups.list().expect("list").len(), 1);
    let files = s.backups.files_by_sha256().expect("files");
    assert_eq!(files.len(), 4);
    assert!(
        files
            .values()
            .all(|p| p.starts_with(s.backups.path(&meta.id)))
    );
}

#[test]
fn writers_wait_while_a_backup_holds_the_lock() {
    let s = setup();
    let backup = WriteLock::exclusive(&s.data, Duration::ZERO)
        .expect("lock")
        .expect("free");
    let data = s.data.clone();
    let writer = std::thread::spawn(move || {
        let guard = WriteLock::shared(&data).expect("shared");
        fs::write(data.join("written"), b"w").expect("write");
        drop(guard);
    });
    std::thread::sleep(Duration::from_millis(200));
    assert!(!s.data.join("written").exists(), "the writer waits");
    drop(backup);
    writer.join().expect("writer");
    assert!(s.data.join("written").exists());
}

#[test]
fn backup_dir_inside_the_data_dir_is_refused() {
    let s = setup();
    let inside = BackupDir::new(s.data.join("backups"));
    let err = inside
        .create(&s.data, Some("x"), &quick(100, false))
        .expect_err("inside");
    assert_eq!(num(&err, Operation::Create), 10, "{err}");
    assert!(names(&inside.root).is_empty());
}
