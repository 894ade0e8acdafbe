//! Transfers caught in the middle (docs/hot-backup-api.md §4.5-§5): abort, and `kill -9` of the
//! server with a restart on the same directories. The storage server (moto) is reached through
//! a bandwidth-limited proxy, so "the middle" lasts seconds on any machine.

use serde_json::{Value, json};

use crate::common::{bytes, tree_digest, write};
use crate::harness::{Kind, Options, Server, job_state, progress, success};
use crate::s3::{S3, random_prefix, remote_digest, remove_prefix};
use crate::throttle::Throttle;

/// Bytes per second through the proxy.
const RATE: u64 = 8 << 20;

/// Size of the big file.
const BIG: u64 = 32 << 20;

/// A server (one file at a time) with a 32 MiB `*.sst` in its data directory.
async fn big_server() -> Server {
    let server = Server::with(Options {
        args: vec!["--transfers".into(), "1".into()],
        ..Options::default()
    })
    .await;
    write(
        &server.data.join("engine-rocksdb/big.sst"),
        &bytes(8, BIG as usize),
    );
    server
}

/// The S3 config with the endpoint replaced by the proxy's.
fn through(s3: &S3, proxy: &Throttle) -> Value {
    let mut config = s3.config();
    config["S3"]["endpoint"] = json!(proxy.endpoint());
    config["S3"]["chunk_size"] = json!("5M");
    config
}

/// Part of the big file is done (the small files together are far less than 6 MiB).
fn midway(status: &Value) -> bool {
    progress(status, "DoneBytes") >= 6 << 20
}

/// Whether the remote backup has its `META` (is complete).
async fn has_meta(s3: &S3, prefix: &str, id: &str) -> bool {
    let location = s3.location(prefix).child(id);
    location
        .backend
        .stat(&location.key("META"))
        .await
        .expect("stat")
        .is_some()
}

async fn abort(server: &Server, kind: Kind, job: &str) {
    let (code, answer) = server
        .post(kind.path(), json!({ kind.id_attr(): job, "abort": true }))
        .await;
    assert_eq!(code, 202, "{answer}");
    let status = success(&answer, 202);
    crate::harness::check_status(kind, job, &status);
    assert_eq!(status["Cancelled"], true, "{status}");
    let end = server.wait_job(kind, job).await;
    assert_eq!(job_state(&end), "CANCELLED", "{end}");
    assert_eq!(end["Cancelled"], true, "{end}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abort_mid_transfer() {
    let s3 = S3::moto();
    let proxy = Throttle::start(&s3.endpoint, RATE).await;
    let server = big_server().await;
    let id = server.create_id("abort").await;
    let original = tree_digest(&server.backups.join(&id));
    let prefix = random_prefix("abort");
    let repo = s3.repository(&prefix);

    let job = server
        .start_job(Kind::Upload, &id, &repo, through(&s3, &proxy))
        .await;
    server.wait_until(Kind::Upload, &job, midway).await;
    abort(&server, Kind::Upload, &job).await;
    assert!(
        !has_meta(&s3, &prefix, &id).await,
        "an aborted upload leaves no <id>/META"
    );
    assert_eq!(server.ids().await, [id.as_str()]);

    // Uploaded whole directly, then a download aborted midway.
    server.upload_completed(&id, &repo, s3.config()).await;
    server.ok("delete", json!({ "id": id }), 200).await;
    let job = server
        .start_job(Kind::Download, &id, &repo, through(&s3, &proxy))
        .await;
    server.wait_until(Kind::Download, &job, midway).await;
    abort(&server, Kind::Download, &job).await;
    assert!(server.ids().await.is_empty(), "no half backup listed");
    let left: Vec<String> = crate::transfer::names(&server.backups)
        .into_iter()
        .filter(|n| n.contains(&id))
        .collect();
    assert!(
        left.is_empty(),
        "an aborted download leaves nothing: {left:?}"
    );
    // The remote backup is untouched by the download.
    assert_eq!(
        remote_digest(&s3.location(&prefix).child(&id)).await,
        original
    );
    remove_prefix(&s3, &prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_resumes_after_kill_9() {
    let s3 = S3::moto();
    let proxy = Throttle::start(&s3.endpoint, RATE).await;
    let mut server = big_server().await;
    let id = server.create_id("crash").await;
    let original = tree_digest(&server.backups.join(&id));
    let prefix = random_prefix("crash-up");
    let repo = s3.repository(&prefix);

    let job = server
        .start_job(Kind::Upload, &id, &repo, through(&s3, &proxy))
        .await;
    let before = server.wait_until(Kind::Upload, &job, midway).await;
    server.kill();
    assert!(!has_meta(&s3, &prefix, &id).await, "not complete yet");
    proxy.new_generation();
    server.launch().await;

    let end = server.wait_completed(Kind::Upload, &job).await;
    let resent = proxy.bytes(true);
    assert!(
        resent < BIG - (4 << 20),
        "the upload resumed rather than started over: {resent} bytes sent after the restart"
    );
    assert_eq!(end["Timestamp"], before["Timestamp"], "the same job");
    assert_eq!(end["BackupId"], id.as_str());
    assert_eq!(
        remote_digest(&s3.location(&prefix).child(&id)).await,
        original,
        "the resumed upload is byte-identical"
    );
    remove_prefix(&s3, &prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn download_resumes_after_kill_9() {
    let s3 = S3::moto();
    let proxy = Throttle::start(&s3.endpoint, RATE).await;
    let mut server = big_server().await;
    let id = server.create_id("crash").await;
    let original = tree_digest(&server.backups.join(&id));
    let prefix = random_prefix("crash-down");
    let repo = s3.repository(&prefix);
    server.upload_completed(&id, &repo, s3.config()).await;
    server.ok("delete", json!({ "id": id }), 200).await;

    let job = server
        .start_job(Kind::Download, &id, &repo, through(&s3, &proxy))
        .await;
    server.wait_until(Kind::Download, &job, midway).await;
    assert!(
        !server.ids().await.contains(&id),
        "a backup being downloaded is not listed"
    );
    server.kill();
    proxy.new_generation();
    server.launch().await;
    assert!(
        !server.ids().await.contains(&id)
            || job_state(&server.status(Kind::Download, &job).await) == "COMPLETED",
        "a half download is never listed"
    );
    server.wait_completed(Kind::Download, &job).await;
    let refetched = proxy.bytes(false);
    assert!(
        refetched < BIG - (4 << 20),
        "the download resumed rather than started over: {refetched} bytes fetched after the restart"
    );
    assert_eq!(server.ids().await, [id.as_str()]);
    assert_eq!(tree_digest(&server.backups.join(&id)), original);
    assert_eq!(crate::transfer::names(&server.backups), [id]);
    remove_prefix(&s3, &prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aborted_job_stays_aborted_across_a_crash() {
    let s3 = S3::moto();
    let proxy = Throttle::start(&s3.endpoint, RATE).await;
    let mut server = big_server().await;
    let id = server.create_id("abort-crash").await;
    let prefix = random_prefix("abort-crash");
    let repo = s3.repository(&prefix);
    let job = server
        .start_job(Kind::Upload, &id, &repo, through(&s3, &proxy))
        .await;
    server.wait_until(Kind::Upload, &job, midway).await;
    let (code, answer) = server
        .post(Kind::Upload.path(), json!({"uploadId": job, "abort": true}))
        .await;
    assert_eq!(code, 202, "{answer}");
    assert_eq!(success(&answer, 202)["Cancelled"], true, "{answer}");
    // Killed before the job has wound down.
    server.kill();
    server.launch().await;
    let end = server.wait_job(Kind::Upload, &job).await;
    assert_eq!(
        job_state(&end),
        "CANCELLED",
        "an aborted job is not resumed: {end}"
    );
    assert_eq!(end["Cancelled"], true, "{end}");
    assert!(!has_meta(&s3, &prefix, &id).await, "no <id>/META");
    remove_prefix(&s3, &prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_downloads_of_one_backup_at_once_never_merge() {
    let s3 = S3::moto();
    let proxy = Throttle::start(&s3.endpoint, 4 * RATE).await;
    let server = big_server().await;
    let id = server.create_id("twice").await;
    let original = tree_digest(&server.backups.join(&id));
    let prefix = random_prefix("twice");
    let repo = s3.repository(&prefix);
    server.upload_completed(&id, &repo, s3.config()).await;
    server.ok("delete", json!({ "id": id }), 200).await;

    let body = json!({"id": id, "remoteRepository": repo, "config": through(&s3, &proxy)});
    let (a, b) = tokio::join!(
        server.post(Kind::Download.path(), body.clone()),
        server.post(Kind::Download.path(), body)
    );
    let mut completed = 0;
    for (code, answer) in [a, b] {
        if code == 202 {
            let job = answer["result"]["downloadId"].as_str().expect("downloadId");
            let end = server.wait_job(Kind::Download, job).await;
            if job_state(&end) == "COMPLETED" {
                completed += 1;
            } else {
                assert_eq!(job_state(&end), "FAILED", "{end}");
            }
        } else {
            crate::harness::error(&answer, 400, 7011);
        }
    }
    assert!(completed >= 1, "one of the downloads completes");
    assert_eq!(server.ids().await, [id.as_str()]);
    assert_eq!(
        tree_digest(&server.backups.join(&id)),
        original,
        "the published backup is exactly the remote one, nothing merged in"
    );
    assert_eq!(crate::transfer::names(&server.backups), [id.as_str()]);
    remove_prefix(&s3, &prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_restart_mid_transfer_keeps_the_job() {
    let s3 = S3::moto();
    let proxy = Throttle::start(&s3.endpoint, RATE).await;
    let mut server = big_server().await;
    let id = server.create_id("term").await;
    let original = tree_digest(&server.backups.join(&id));
    let prefix = random_prefix("term");
    let repo = s3.repository(&prefix);
    let job = server
        .start_job(Kind::Upload, &id, &repo, through(&s3, &proxy))
        .await;
    server.wait_until(Kind::Upload, &job, midway).await;
    server.restart().await;
    server.wait_completed(Kind::Upload, &job).await;
    assert_eq!(
        remote_digest(&s3.location(&prefix).child(&id)).await,
        original
    );
    remove_prefix(&s3, &prefix).await;
}
