//! create, list, delete and restore through the coordinator.

use serde_json::{Value, json};

use crate::check::data_digest;
use crate::fixture::Cluster;

#[tokio::test]
async fn create_lists_one_backup_of_every_piece_and_delete_removes_them() {
    let cluster = Cluster::start(3).await;
    let c = &cluster.coordinator;
    // python-arango sends its requests under /_db/_system.
    let (code, answer) = c
        .post(
            "/_db/_system/_admin/backup/create",
            json!({"label": "nightly"}),
        )
        .await;
    assert_eq!(code, 201, "{answer}\n{}", c.stderr());
    let created = crate::check::success(&answer, 201);
    let id = created["id"].as_str().expect("id").to_owned();
    assert!(id.ends_with("_nightly"), "{created}");
    assert_eq!(created["nrDBServers"], 3);
    assert!(
        created.get("potentiallyInconsistent").is_none(),
        "{created}"
    );

    let (mut size, mut files) = (0, 0);
    for i in 0..3 {
        let piece = cluster
            .local_entry(i, &id)
            .await
            .expect("a piece on every DB server");
        assert_eq!(piece["nrDBServers"], 3, "{piece}");
        assert_eq!(piece["id"], id.as_str());
        size += piece["sizeInBytes"].as_u64().expect("size");
        files += piece["nrFiles"].as_u64().expect("files");
        crate::check::sha256sum_check(&cluster.piece(i, &id));
    }
    assert_eq!(created["sizeInBytes"], size);
    assert_eq!(created["nrFiles"], files);

    let list = c.list().await;
    assert!(
        list.get("server").is_none(),
        "no server key on a coordinator: {list}"
    );
    let entry = &list["list"][id.as_str()];
    assert_eq!(entry["nrPiecesPresent"], 3, "{entry}");
    assert_eq!(entry["available"], true, "{entry}");
    assert_eq!(entry["sizeInBytes"], size);
    assert_eq!(entry["nrFiles"], files);
    assert_eq!(entry["nrDBServers"], 3);
    let one = c.ok("list", json!({"id": id}), 200).await;
    assert_eq!(one["list"][id.as_str()], *entry);

    let deleted = c.ok("delete", json!({"id": id}), 200).await;
    assert_eq!(deleted, json!({"id": [id]}));
    for i in 0..3 {
        assert!(cluster.local_entry(i, &id).await.is_none());
    }
    assert_eq!(c.list().await["list"], json!({}));
    c.fails("delete", json!({"id": id}), 404, 14).await;
    c.fails("list", json!({"id": id}), 404, 404).await;
}

#[tokio::test]
async fn a_missing_piece_makes_the_backup_unavailable_for_restore() {
    let cluster = Cluster::start(3).await;
    let c = &cluster.coordinator;
    let id = c.create_id("partial").await;
    cluster.dbservers[1]
        .ok("delete", json!({"id": id}), 200)
        .await;
    let entry = c.list().await["list"][id.as_str()].clone();
    assert_eq!(entry["nrPiecesPresent"], 2, "{entry}");
    assert_eq!(entry["available"], false, "{entry}");
    c.fails("restore", json!({"id": id}), 400, 7002).await;
    // The delete of what remains still works, and says so.
    c.ok("delete", json!({"id": id}), 200).await;
    assert_eq!(c.list().await["list"], json!({}));
}

#[tokio::test]
async fn restore_puts_every_piece_back() {
    let cluster = Cluster::start(3).await;
    let c = &cluster.coordinator;
    let before: Vec<_> = cluster
        .dbservers
        .iter()
        .map(|s| data_digest(&s.data))
        .collect();
    let id = c.create_id("before").await;
    for s in &cluster.dbservers {
        crate::common::write(&s.data.join("engine-rocksdb/later.sst"), b"written after");
        std::fs::remove_file(s.data.join("SERVER")).expect("rm");
    }
    let restored = c.ok("restore", json!({"id": id}), 200).await;
    assert_eq!(restored["isCluster"], true, "{restored}");
    assert!(restored["previous"].is_string(), "{restored}");
    for (s, digest) in cluster.dbservers.iter().zip(&before) {
        assert_eq!(data_digest(&s.data), *digest);
    }
    c.fails(
        "restore",
        json!({"id": "2026-01-01T00.00.00Z_none"}),
        404,
        7007,
    )
    .await;
}

#[tokio::test]
async fn fewer_db_servers_than_pieces_is_a_topology_mismatch() {
    let cluster = Cluster::start(3).await;
    let id = cluster.coordinator.create_id("three").await;
    let smaller = Cluster::coordinator_of(&cluster.dbservers[..2], &[]).await;
    let entry = smaller.list().await["list"][id.as_str()].clone();
    assert_eq!(entry["nrPiecesPresent"], 2, "{entry}");
    assert_eq!(entry["available"], false, "{entry}");
    let message = smaller.fails("restore", json!({"id": id}), 400, 7003).await;
    assert!(
        message.contains("(3)") && message.contains("(2)"),
        "{message}"
    );
}

#[tokio::test]
async fn a_piece_that_fails_removes_the_others() {
    let cluster = Cluster::start(3).await;
    // A data directory may not hold a top-level META: that DB server's snapshot fails.
    crate::common::write(&cluster.dbservers[2].data.join("META"), b"{}");
    let (code, answer) = cluster
        .coordinator
        .post("/_admin/backup/create", json!({}))
        .await;
    assert!(code >= 400, "{answer}");
    assert_eq!(answer["error"], true, "{answer}");
    for s in &cluster.dbservers {
        assert_eq!(s.list().await["list"], json!({}), "{}", s.stderr());
    }
    assert_eq!(cluster.coordinator.list().await["list"], json!({}));
}

#[tokio::test]
async fn a_held_write_lock_times_out_or_gives_an_inconsistent_backup() {
    let cluster = Cluster::start(3).await;
    let c = &cluster.coordinator;
    // A writer of one DB server's data directory that does not finish.
    let writer = ferry::backup::WriteLock::shared(&cluster.dbservers[1].data).expect("lock");
    c.fails("create", json!({"timeout": 3}), 408, 18).await;
    assert_eq!(c.list().await["list"], json!({}));
    let created = c
        .ok(
            "create",
            json!({"timeout": 3, "allowInconsistent": true}),
            201,
        )
        .await;
    assert_eq!(created["potentiallyInconsistent"], true, "{created}");
    let id = created["id"].as_str().expect("id");
    let entry: Value = c.list().await["list"][id].clone();
    assert_eq!(entry["potentiallyInconsistent"], true, "{entry}");
    drop(writer);
    // Once the writer is gone, the locks are free again: a consistent backup.
    let created = c.ok("create", json!({"timeout": 30}), 201).await;
    assert!(
        created.get("potentiallyInconsistent").is_none(),
        "{created}"
    );
}

#[tokio::test]
async fn db_server_ids_are_stable_and_distinct() {
    let mut cluster = Cluster::start(2).await;
    let (a, b) = (cluster.prmr_id(0).await, cluster.prmr_id(1).await);
    assert!(a.starts_with("PRMR-") && b.starts_with("PRMR-"), "{a} {b}");
    assert_ne!(a, b);
    cluster.dbservers[0].restart().await;
    assert_eq!(cluster.prmr_id(0).await, a);
}
