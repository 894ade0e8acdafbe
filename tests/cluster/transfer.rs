//! upload and download through the coordinator: one job id, one transfer per DB server,
//! one `DBServers` entry per server, pieces at `<repo>/<id>/<PRMR-…>/`.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::check::{data_digest, local_config, local_repo, sha256sum_check};
use crate::fixture::Cluster;
use crate::harness::{Kind, Server, TIMEOUT};

async fn start(c: &Server, kind: Kind, id: &str, repo: &str) -> String {
    start_with(c, kind, id, repo, local_config()).await
}

/// Starts an upload or download on the coordinator with `config`; its job id.
pub async fn start_with(c: &Server, kind: Kind, id: &str, repo: &str, config: Value) -> String {
    let body = json!({"id": id, "remoteRepository": repo, "config": config});
    let result = c
        .ok(kind.path().trim_start_matches("/_admin/backup/"), body, 202)
        .await;
    result[kind.id_attr()].as_str().expect("job id").to_owned()
}

pub async fn status(c: &Server, kind: Kind, job: &str) -> Value {
    let op = kind.path().trim_start_matches("/_admin/backup/");
    c.ok(op, json!({ kind.id_attr(): job }), 200).await
}

/// Polls until every DB server's entry is COMPLETED; the status. Any FAILED fails the test.
pub async fn wait_all_completed(c: &Server, kind: Kind, job: &str, servers: usize) -> Value {
    let started = Instant::now();
    loop {
        let status = status(c, kind, job).await;
        assert_eq!(status[kind.status_key()], job, "{status}");
        let entries = status["DBServers"].as_object().expect("DBServers").clone();
        assert_eq!(entries.len(), servers, "{status}");
        assert!(
            entries.values().all(|e| e["Status"] != "FAILED"),
            "{status}\n{}",
            c.stderr()
        );
        if entries.values().all(|e| e["Status"] == "COMPLETED") {
            return status;
        }
        assert!(started.elapsed() < TIMEOUT, "not finished: {status}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Polls until DB server `prmr`'s entry satisfies `ready`, while it is still running; the
/// status. An entry that finishes before fails the test.
pub async fn wait_entry(
    c: &Server,
    kind: Kind,
    job: &str,
    prmr: &str,
    ready: impl Fn(&Value) -> bool,
) -> Value {
    let started = Instant::now();
    loop {
        let status = status(c, kind, job).await;
        let entry = &status["DBServers"][prmr];
        if ready(entry) {
            return status;
        }
        assert!(
            !matches!(
                entry["Status"].as_str(),
                Some("COMPLETED" | "FAILED" | "CANCELLED")
            ),
            "{prmr} finished before the awaited point: {status}"
        );
        assert!(
            started.elapsed() < TIMEOUT,
            "awaited point not reached: {status}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test]
async fn upload_then_download_every_piece_and_restore() {
    let mut cluster = Cluster::start(3).await;
    let repo_dir = tempfile::tempdir().expect("tempdir");
    let repo = local_repo(repo_dir.path());
    let id = cluster.coordinator.create_id("moved").await;
    let ids = [
        cluster.prmr_id(0).await,
        cluster.prmr_id(1).await,
        cluster.prmr_id(2).await,
    ];

    let job = start(&cluster.coordinator, Kind::Upload, &id, &repo).await;
    let done = wait_all_completed(&cluster.coordinator, Kind::Upload, &job, 3).await;
    assert_eq!(done["BackupId"], id.as_str());
    for (i, prmr) in ids.iter().enumerate() {
        let entry = &done["DBServers"][prmr.as_str()];
        assert_eq!(
            entry["Progress"]["Done"], entry["Progress"]["Total"],
            "{done}"
        );
        let piece = repo_dir.path().join(&id).join(prmr);
        assert!(piece.join("META").is_file(), "{}", piece.display());
        sha256sum_check(&piece);
        let meta: Value = serde_json::from_slice(&std::fs::read(piece.join("META")).expect("META"))
            .expect("json");
        assert_eq!(meta["nrDBServers"], 3);
        assert_eq!(
            crate::common::tree_digest(&piece),
            crate::common::tree_digest(&cluster.piece(i, &id))
        );
    }

    // The coordinator's META of the whole backup, beside the pieces.
    let overview: Value = serde_json::from_slice(
        &std::fs::read(repo_dir.path().join(&id).join("META")).expect("META"),
    )
    .expect("json");
    assert_eq!(overview["id"], id.as_str(), "{overview}");
    assert_eq!(overview["nrDBServers"], 3, "{overview}");
    assert_eq!(overview["pieces"], json!(ids), "{overview}");
    let sizes: u64 = (0..3)
        .map(|i| {
            let meta = std::fs::read(repo_dir.path().join(&id).join(&ids[i]).join("META"));
            let meta: Value = serde_json::from_slice(&meta.expect("META")).expect("json");
            meta["sizeInBytes"].as_u64().expect("size")
        })
        .sum();
    assert_eq!(overview["sizeInBytes"], sizes, "{overview}");

    // What `ferry backups` and `ferry verify` say of it (src/catalog/pieces.rs): complete,
    // every piece there, every piece's files as its SHA256SUMS says.
    let catalog = ferry::catalog::Catalog::new(ferry::store::Location::local(repo_dir.path()));
    let listing = catalog.list().await.expect("list");
    let entry = listing.get(&id).expect("listed");
    assert_eq!(
        entry.state,
        ferry::catalog::BackupState::Complete,
        "{entry:?}"
    );
    let all = ferry::catalog::Pieces {
        present: 3,
        expected: 3,
    };
    assert_eq!(entry.pieces, Some(all), "{entry:?}");
    let backup_id = ferry::backup::BackupId::parse(&id).expect("id");
    let report = catalog.verify(&backup_id, &Default::default()).await;
    let report = report.expect("verify runs");
    assert!(report.is_whole() && report.files > 0, "{report:?}");

    // A restarted coordinator still answers for its job.
    cluster.coordinator.restart().await;
    let again = wait_all_completed(&cluster.coordinator, Kind::Upload, &job, 3).await;
    assert_eq!(again["UploadId"], job.as_str());

    // Gone locally, back from the repository.
    let before: Vec<_> = cluster
        .dbservers
        .iter()
        .map(|s| data_digest(&s.data))
        .collect();
    cluster
        .coordinator
        .ok("delete", json!({"id": id}), 200)
        .await;
    let job = start(&cluster.coordinator, Kind::Download, &id, &repo).await;
    wait_all_completed(&cluster.coordinator, Kind::Download, &job, 3).await;
    let entry = cluster.coordinator.list().await["list"][id.as_str()].clone();
    assert_eq!(entry["available"], true, "{entry}");
    for s in &cluster.dbservers {
        crate::common::write(
            &s.data.join("engine-rocksdb/later.sst"),
            b"after the backup",
        );
    }
    let restored = cluster
        .coordinator
        .ok("restore", json!({"id": id}), 200)
        .await;
    assert_eq!(restored["isCluster"], true);
    for (s, digest) in cluster.dbservers.iter().zip(&before) {
        assert_eq!(data_digest(&s.data), *digest);
    }

    // Another cluster, whose DB servers have other ids: pieces go by sorted order.
    let other = Cluster::start(3).await;
    let job = start(&other.coordinator, Kind::Download, &id, &repo).await;
    wait_all_completed(&other.coordinator, Kind::Download, &job, 3).await;
    let entry = other.coordinator.list().await["list"][id.as_str()].clone();
    assert_eq!(entry["available"], true, "{entry}");
    let mut pieces: Vec<_> = (0..3)
        .map(|i| crate::common::tree_digest(&other.piece(i, &id)))
        .collect();
    let mut originals: Vec<_> = (0..3)
        .map(|i| crate::common::tree_digest(&cluster.piece(i, &id)))
        .collect();
    pieces.sort();
    originals.sort();
    assert_eq!(pieces, originals);

    // Without the backup's own META (written last) it is not a complete cluster backup.
    let hidden = repo_dir.path().join(&id).join("META.hidden");
    std::fs::rename(repo_dir.path().join(&id).join("META"), &hidden).expect("rename");
    let fresh = Cluster::start(3).await;
    let body = json!({"id": id, "remoteRepository": repo, "config": local_config()});
    fresh.coordinator.fails("download", body, 404, 7007).await;
    std::fs::rename(&hidden, repo_dir.path().join(&id).join("META")).expect("rename");

    // Too few DB servers for the backup's pieces.
    let two = Cluster::start(2).await;
    let body = json!({"id": id, "remoteRepository": repo, "config": local_config()});
    two.coordinator.fails("download", body, 400, 7003).await;
}

#[tokio::test]
async fn unknown_jobs_and_aborts() {
    let cluster = Cluster::start(2).await;
    let c = &cluster.coordinator;
    c.fails("upload", json!({"uploadId": "12345"}), 404, 404)
        .await;
    let repo_dir = tempfile::tempdir().expect("tempdir");
    let repo = local_repo(repo_dir.path());
    // No piece anywhere: the DB servers refuse, no job is left.
    let body = json!({"id": "2026-01-01T00.00.00Z_none", "remoteRepository": repo, "config": local_config()});
    c.fails("upload", body, 404, 7007).await;
    let id = c.create_id("abort").await;
    let job = start(c, Kind::Upload, &id, &repo).await;
    let aborted = c
        .ok("upload", json!({"uploadId": job, "abort": true}), 202)
        .await;
    assert_eq!(aborted["Cancelled"], true, "{aborted}");
    assert_eq!(aborted["DBServers"].as_object().map(|m| m.len()), Some(2));
    let after = status(c, Kind::Upload, &job).await;
    assert_eq!(after["Cancelled"], true, "{after}");
}
