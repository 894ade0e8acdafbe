//! A cluster's transfers over S3 repositories, and processes killed in their middle: a DB
//! server (its piece resumes from its journal when it is back), the coordinator (its job is
//! still there and ends), a Garage node (replication 3: the transfer completes). "The
//! middle" is made to last by a bandwidth-limited proxy in front of the store, and found by
//! the job's own progress, never by the clock. The kills go through moto (as
//! tests/server/slow.rs does): s3s-fs answers 500 to some PUTs that arrive this slowly.

use serde_json::{Value, json};

use crate::check::data_digest;
use crate::fixture::Cluster;
use crate::harness::Kind;
use crate::remote::{Garage, S3, prefix};
use crate::throttle::Throttle;
use crate::transfer::{start_with, status, wait_all_completed, wait_entry};

/// Bytes per second through the proxy, all DB servers together.
const RATE: u64 = 8 << 20;

/// The big file of DB server 0: seconds through the proxy.
const BIG: usize = 24 << 20;

/// Part of the big piece has gone (DB server 0's small files are far less).
const MIDWAY: u64 = 4 << 20;

async fn big_cluster() -> Cluster {
    let cluster = Cluster::start(3).await;
    crate::common::write(
        &cluster.dbservers[0].data.join("engine-rocksdb/big.sst"),
        &crate::common::bytes(7, BIG),
    );
    cluster
}

fn done_bytes(entry: &Value) -> u64 {
    entry["Progress"]["DoneBytes"].as_u64().unwrap_or_default()
}

/// The `META` of the whole backup, written last, and each piece's.
async fn check_uploaded(s3: &S3, prefix: &str, id: &str, cluster: &Cluster) {
    let overview = s3.json(prefix, &format!("{id}/META")).await;
    assert_eq!(overview["nrDBServers"], 3, "{overview}");
    for i in 0..3 {
        let prmr = cluster.prmr_id(i).await;
        assert!(s3.has(prefix, &format!("{id}/{prmr}/META")).await, "{prmr}");
        assert!(
            s3.has(prefix, &format!("{id}/{prmr}/SHA256SUMS")).await,
            "{prmr}"
        );
    }
}

/// Every piece deleted locally, downloaded from `config`'s store, and restored: the data
/// directories are as they were when the backup was taken.
async fn download_and_restore(cluster: &Cluster, id: &str, repo: &str, config: Value) {
    let before: Vec<_> = cluster
        .dbservers
        .iter()
        .map(|s| data_digest(&s.data))
        .collect();
    let c = &cluster.coordinator;
    c.ok("delete", json!({"id": id}), 200).await;
    let job = start_with(c, Kind::Download, id, repo, config).await;
    wait_all_completed(c, Kind::Download, &job, 3).await;
    let entry = c.list().await["list"][id].clone();
    assert_eq!(entry["available"], true, "{entry}");
    for s in &cluster.dbservers {
        crate::common::write(&s.data.join("engine-rocksdb/later.sst"), b"after");
    }
    let restored = c.ok("restore", json!({"id": id}), 200).await;
    assert_eq!(restored["isCluster"], true, "{restored}");
    for (s, digest) in cluster.dbservers.iter().zip(&before) {
        assert_eq!(data_digest(&s.data), *digest);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_list_upload_download_restore_on_s3s_fs() {
    let s3 = S3::from_env("S3S");
    let cluster = Cluster::start(3).await;
    let c = &cluster.coordinator;
    let id = c.create_id("s3s").await;
    let entry = c.list().await["list"][id.as_str()].clone();
    assert_eq!(entry["nrPiecesPresent"], 3, "{entry}");
    let prefix = prefix("s3s");
    let repo = s3.repository(&prefix);
    let job = start_with(c, Kind::Upload, &id, &repo, s3.config()).await;
    wait_all_completed(c, Kind::Upload, &job, 3).await;
    check_uploaded(&s3, &prefix, &id, &cluster).await;
    download_and_restore(&cluster, &id, &repo, s3.config()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_db_server_killed_mid_upload_resumes_from_its_journal() {
    let s3 = S3::from_env("MOTO");
    let proxy = Throttle::start(&s3.endpoint, RATE).await;
    let mut cluster = big_cluster().await;
    let id = cluster.coordinator.create_id("killed").await;
    let prmr = cluster.prmr_id(0).await;
    let prefix = prefix("killed-dbserver");
    let repo = s3.repository(&prefix);
    let config = s3.config_at(&proxy.endpoint());
    let c = &cluster.coordinator;
    let job = start_with(c, Kind::Upload, &id, &repo, config.clone()).await;
    wait_entry(c, Kind::Upload, &job, &prmr, |e| done_bytes(e) >= MIDWAY).await;

    cluster.dbservers[0].kill();
    let down = status(&cluster.coordinator, Kind::Upload, &job).await;
    let entry = &down["DBServers"][prmr.as_str()];
    assert_eq!(entry["Status"], "FAILED", "{down}");
    assert_eq!(entry["Error"], 7012, "{down}");
    // No cluster backup in the repository while a piece is missing: no META of the whole.
    assert!(!s3.has(&prefix, &format!("{id}/META")).await);
    let other = Cluster::start(3).await;
    let body = json!({"id": id, "remoteRepository": repo, "config": s3.config()});
    other.coordinator.fails("download", body, 404, 7007).await;

    cluster.dbservers[0].launch_here().await;
    let c = &cluster.coordinator;
    let done = wait_all_completed(c, Kind::Upload, &job, 3).await;
    let entry = &done["DBServers"][prmr.as_str()];
    assert_eq!(
        entry["Progress"]["DoneBytes"], entry["Progress"]["TotalBytes"],
        "{done}"
    );
    check_uploaded(&s3, &prefix, &id, &cluster).await;
    download_and_restore(&cluster, &id, &repo, s3.config()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_coordinator_killed_mid_download_finishes_after_its_restart() {
    let s3 = S3::from_env("MOTO");
    let proxy = Throttle::start(&s3.endpoint, RATE).await;
    let mut cluster = big_cluster().await;
    let id = cluster.coordinator.create_id("coordinator").await;
    let before: Vec<_> = cluster
        .dbservers
        .iter()
        .map(|s| data_digest(&s.data))
        .collect();
    let prmr = cluster.prmr_id(0).await;
    let prefix = prefix("killed-coordinator");
    let repo = s3.repository(&prefix);
    let c = &cluster.coordinator;
    let job = start_with(c, Kind::Upload, &id, &repo, s3.config()).await;
    wait_all_completed(c, Kind::Upload, &job, 3).await;
    c.ok("delete", json!({"id": id}), 200).await;

    let config = s3.config_at(&proxy.endpoint());
    let job = start_with(c, Kind::Download, &id, &repo, config).await;
    wait_entry(c, Kind::Download, &job, &prmr, |e| done_bytes(e) >= MIDWAY).await;
    cluster.coordinator.kill();
    cluster.coordinator.launch().await;

    let c = &cluster.coordinator;
    let done = wait_all_completed(c, Kind::Download, &job, 3).await;
    assert_eq!(done["DownloadId"], job.as_str(), "{done}");
    let entry = c.list().await["list"][id.as_str()].clone();
    assert_eq!(entry["available"], true, "{entry}");
    c.ok("restore", json!({"id": id}), 200).await;
    for (s, digest) in cluster.dbservers.iter().zip(&before) {
        assert_eq!(data_digest(&s.data), *digest);
    }
}

/// A repository that is itself distributed: create, upload, download and restore against a
/// three-node Garage cluster, one node SIGKILLed in the middle of the upload.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_garage_node_killed_mid_upload_the_transfer_completes_and_verifies() {
    let garage = tokio::task::spawn_blocking(Garage::start)
        .await
        .expect("garage");
    let s3 = garage.s3.clone();
    let proxy = Throttle::start(&garage.endpoints[0], RATE).await;
    let cluster = big_cluster().await;
    let c = &cluster.coordinator;
    let id = c.create_id("garage").await;
    let prmr = cluster.prmr_id(0).await;
    let prefix = prefix("garage");
    let repo = s3.repository(&prefix);
    let job = start_with(c, Kind::Upload, &id, &repo, s3.config_at(&proxy.endpoint())).await;
    wait_entry(c, Kind::Upload, &job, &prmr, |e| done_bytes(e) >= MIDWAY).await;
    garage.kill(2);
    wait_all_completed(c, Kind::Upload, &job, 3).await;
    check_uploaded(&s3, &prefix, &id, &cluster).await;
    download_and_restore(&cluster, &id, &repo, s3.config()).await;
}
