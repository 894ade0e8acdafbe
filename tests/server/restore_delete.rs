//! docs/hot-backup-api.md §4.3, §4.4: delete and restore.

use std::fs;
use std::io::{Seek, SeekFrom, Write};

use serde_json::json;

use crate::common::{bytes, write};
use crate::harness::{Server, backup_data_digest, data_digest, sha256sum_check};

/// Names next to the data directory (failsafe copies, restore scratch directories).
fn siblings(server: &Server) -> Vec<String> {
    let mut out: Vec<String> = fs::read_dir(server.data.parent().expect("parent"))
        .expect("read_dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("data.") || n.starts_with(".data"))
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn delete_removes_the_backup() {
    let server = Server::start().await;
    let keep = server.create_id("keep").await;
    let id = server.create_id("doomed").await;
    let result = server.ok("delete", json!({ "id": id }), 200).await;
    assert_eq!(result, json!({}));
    assert_eq!(server.ids().await, [keep.as_str()]);
    assert!(!server.backups.join(&id).exists(), "directory removed");
    server.fails("list", json!({ "id": id }), 404, 404).await;
    server.fails("delete", json!({ "id": id }), 404, 14).await;
    server
        .fails(
            "delete",
            json!({"id": "2020-01-01T00.00.00Z_never"}),
            404,
            14,
        )
        .await;
    // Nothing left behind under a scratch name, the other backup intact.
    let names: Vec<String> = fs::read_dir(&server.backups)
        .expect("read_dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("doomed"))
        .collect();
    assert!(names.is_empty(), "{names:?}");
    sha256sum_check(&server.backups.join(&keep));
}

#[tokio::test]
async fn delete_and_restore_need_an_id() {
    let server = Server::start().await;
    for op in ["delete", "restore"] {
        let message = server.fails(op, json!({}), 400, 10).await;
        assert!(message.contains("id"), "{op}: {message}");
        let (code, answer) = server.post_raw(&format!("/_admin/backup/{op}"), b"").await;
        assert_eq!(code, 400, "{op}: {answer}");
        crate::harness::error(&answer, 400, 10);
    }
}

#[tokio::test]
async fn restore_swaps_in_the_backup_and_keeps_a_failsafe() {
    let server = Server::start().await;
    let original = data_digest(&server.data);
    let id = server.create_id("before").await;

    // Change the data directory every way: rewrite, add, remove.
    write(&server.data.join("SERVER"), b"changed");
    write(
        &server.data.join("engine-rocksdb/000003.sst"),
        &bytes(9, 5_000),
    );
    write(&server.data.join("new dir/new file"), b"new");
    fs::remove_file(server.data.join("engine-rocksdb/000002.sst")).expect("rm");
    let changed = data_digest(&server.data);
    assert_ne!(changed, original);

    let result = server
        .ok("restore", json!({"id": id, "ignoreVersion": true}), 200)
        .await;
    let keys: Vec<&String> = result.as_object().expect("object").keys().collect();
    assert_eq!(keys, ["previous", "isCluster"], "{result}");
    assert_eq!(result["isCluster"], false);
    let previous = result["previous"].as_str().expect("previous").to_owned();
    assert!(
        !previous.is_empty() && !previous.contains('/'),
        "{previous}"
    );

    // Ferry answers after the restore: the data directory is the backup now.
    assert_eq!(data_digest(&server.data), original);
    assert_eq!(backup_data_digest(&server.backups.join(&id)), original);
    let failsafe = server.data.parent().expect("parent").join(&previous);
    assert!(
        failsafe.is_dir(),
        "failsafe {previous} next to the data dir"
    );
    assert_eq!(
        data_digest(&failsafe),
        changed,
        "the failsafe holds the old data"
    );

    // An immutable file (`--immutable`, default `*.sst`) is the backup's own, hard-linked;
    // the database only ever removes it. Writing a mutable restored file in place, and
    // removing an immutable one, must not change the backup.
    let ino = |p: std::path::PathBuf| {
        std::os::unix::fs::MetadataExt::ino(&fs::metadata(p).expect("stat"))
    };
    let (sst, backup) = ("engine-rocksdb/000001.sst", server.backups.join(&id));
    assert_eq!(ino(server.data.join(sst)), ino(backup.join(sst)), "linked");
    assert_ne!(
        ino(server.data.join("SERVER")),
        ino(backup.join("SERVER")),
        "copied"
    );
    let mut f = fs::OpenOptions::new()
        .write(true)
        .open(server.data.join("SERVER"))
        .expect("open");
    f.seek(SeekFrom::Start(0)).expect("seek");
    f.write_all(b"overwritten in place").expect("write");
    fs::remove_file(server.data.join(sst)).expect("rm");
    sha256sum_check(&server.backups.join(&id));
    assert_eq!(backup_data_digest(&server.backups.join(&id)), original);

    // A second restore of the same backup: another failsafe, the same result.
    let again = server.ok("restore", json!({ "id": id }), 200).await;
    assert_ne!(again["previous"], result["previous"]);
    assert_eq!(data_digest(&server.data), original);
    assert_eq!(server.ids().await, [id]);
    assert!(
        !siblings(&server).iter().any(|n| n.contains("restoring")),
        "{:?}",
        siblings(&server)
    );
}

#[tokio::test]
async fn restore_of_an_unknown_backup_is_7007() {
    let server = Server::start().await;
    let before = data_digest(&server.data);
    server
        .fails(
            "restore",
            json!({"id": "2020-01-01T00.00.00Z_nope"}),
            404,
            7007,
        )
        .await;
    let id = server.create_id("typed").await;
    let message = server
        .fails("restore", json!({"id": id, "ignoreVersion": "no"}), 400, 10)
        .await;
    assert!(message.contains("ignoreVersion"), "{message}");
    assert_eq!(data_digest(&server.data), before);
    assert!(siblings(&server).is_empty(), "{:?}", siblings(&server));
}

#[tokio::test]
async fn failed_restore_leaves_the_data_directory_as_it_was() {
    let server = Server::start().await;
    let id = server.create_id("rotten").await;
    // `SERVER` is copied into the backup (not an *.sst): corrupt the backup's copy.
    write(&server.backups.join(&id).join("SERVER"), b"bit rot");
    write(&server.data.join("SERVER"), b"current");
    let before = data_digest(&server.data);

    let (code, answer) = server
        .post("/_admin/backup/restore", json!({ "id": id }))
        .await;
    assert!(code >= 400, "a corrupt backup must not restore: {answer}");
    assert_eq!(answer["error"], true, "{answer}");
    assert_eq!(
        data_digest(&server.data),
        before,
        "data directory untouched"
    );
    assert!(siblings(&server).is_empty(), "{:?}", siblings(&server));
}
