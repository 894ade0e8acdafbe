//! docs/hot-backup-api.md §4.5-§5, jobs over a local repository: ids across restarts,
//! concurrent jobs, aborts, downloads that must fail without leaving anything behind.

use std::fs;

use serde_json::json;

use crate::common::{bytes, tree_digest, write};
use crate::harness::{Kind, Options, Server, job_state, local_config, local_repo, success};
use crate::transfer::names;

fn number(job: &str) -> u64 {
    job.parse()
        .unwrap_or_else(|_| panic!("job id {job:?} is not decimal"))
}

/// Whatever under `dir` is a download's leftover: the backup itself or a scratch name.
pub fn leftovers(dir: &std::path::Path, id: &str) -> Vec<String> {
    names(dir).into_iter().filter(|n| n.contains(id)).collect()
}

#[tokio::test]
async fn job_ids_grow_and_jobs_are_kept_across_restarts() {
    let mut server = Server::start().await;
    let id = server.create_id("jobs").await;
    let repo = local_repo(&server.root.path().join("repo"));
    let mut jobs = Vec::new();
    for _ in 0..2 {
        let job = server
            .start_job(Kind::Upload, &id, &repo, local_config())
            .await;
        let status = server.wait_completed(Kind::Upload, &job).await;
        jobs.push((job, status));
    }
    server.restart().await;
    for (job, before) in &jobs {
        let after = server.status(Kind::Upload, job).await;
        assert_eq!(job_state(&after), "COMPLETED", "{after}");
        assert_eq!(after["Timestamp"], before["Timestamp"]);
        assert_eq!(after["BackupId"], before["BackupId"]);
    }
    let job = server
        .start_job(Kind::Upload, &id, &repo, local_config())
        .await;
    server.wait_completed(Kind::Upload, &job).await;
    jobs.push((job, json!(null)));
    server.kill();
    server.launch().await;
    let job = server
        .start_job(Kind::Upload, &id, &repo, local_config())
        .await;
    jobs.push((job, json!(null)));
    let ids: Vec<u64> = jobs.iter().map(|(j, _)| number(j)).collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "job ids unique and increasing across restarts: {ids:?}"
    );
    for (job, _) in &jobs {
        server.wait_completed(Kind::Upload, job).await;
    }
}

#[tokio::test]
async fn three_uploads_at_once_all_complete() {
    let server = Server::start().await;
    write(&server.data.join("big/000100.sst"), &bytes(100, 12 << 20));
    write(&server.data.join("big/other"), &bytes(101, 3 << 20));
    let id = server.create_id("many").await;
    let original = tree_digest(&server.backups.join(&id));
    let repos: Vec<_> = (0..3)
        .map(|i| server.root.path().join(format!("repo{i}")))
        .collect();
    let urls: Vec<String> = repos.iter().map(|r| local_repo(r)).collect();
    let (a, b, c) = tokio::join!(
        server.start_job(Kind::Upload, &id, &urls[0], local_config()),
        server.start_job(Kind::Upload, &id, &urls[1], local_config()),
        server.start_job(Kind::Upload, &id, &urls[2], local_config()),
    );
    let mut distinct = vec![a.clone(), b.clone(), c.clone()];
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 3, "distinct job ids: {a} {b} {c}");
    let (sa, sb, sc) = tokio::join!(
        server.wait_job(Kind::Upload, &a),
        server.wait_job(Kind::Upload, &b),
        server.wait_job(Kind::Upload, &c),
    );
    for status in [sa, sb, sc] {
        assert_eq!(job_state(&status), "COMPLETED", "{status}");
    }
    for repo in &repos {
        assert_eq!(tree_digest(&repo.join(&id)), original, "{}", repo.display());
    }
}

#[tokio::test]
async fn abort_right_after_start_cancels_upload_and_download() {
    let server = Server::with(Options {
        args: vec!["--transfers".into(), "1".into()],
        ..Options::default()
    })
    .await;
    write(
        &server.data.join("engine-rocksdb/big.sst"),
        &bytes(7, 64 << 20),
    );
    let id = server.create_id("abort").await;
    let repo_dir = server.root.path().join("repo");
    let repo = local_repo(&repo_dir);

    let job = server
        .start_job(Kind::Upload, &id, &repo, local_config())
        .await;
    let (code, answer) = server
        .post(Kind::Upload.path(), json!({"uploadId": job, "abort": true}))
        .await;
    assert_eq!(code, 202, "{answer}");
    let aborted = success(&answer, 202);
    crate::harness::check_status(Kind::Upload, &job, &aborted);
    assert_eq!(aborted["Cancelled"], true, "{aborted}");
    let end = server.wait_job(Kind::Upload, &job).await;
    assert_eq!(job_state(&end), "CANCELLED", "{end}");
    assert_eq!(end["Cancelled"], true, "{end}");
    assert!(
        !repo_dir.join(&id).join("META").exists(),
        "an aborted upload is incomplete"
    );
    assert_eq!(server.ids().await, [id.as_str()], "the local backup stays");

    // It can be uploaded again, whole.
    server.upload_completed(&id, &repo, local_config()).await;
    let original = tree_digest(&server.backups.join(&id));
    assert_eq!(tree_digest(&repo_dir.join(&id)), original);

    server.ok("delete", json!({ "id": id }), 200).await;
    let job = server
        .start_job(Kind::Download, &id, &repo, local_config())
        .await;
    let (code, answer) = server
        .post(
            Kind::Download.path(),
            json!({"downloadId": job, "abort": true}),
        )
        .await;
    assert_eq!(code, 202, "{answer}");
    assert_eq!(success(&answer, 202)["Cancelled"], true, "{answer}");
    let end = server.wait_job(Kind::Download, &job).await;
    assert_eq!(job_state(&end), "CANCELLED", "{end}");
    assert!(server.ids().await.is_empty(), "no half backup listed");
    assert_eq!(
        leftovers(&server.backups, &id),
        Vec::<String>::new(),
        "an aborted download leaves nothing behind"
    );
    // And the download can be done afterwards.
    let job = server
        .start_job(Kind::Download, &id, &repo, local_config())
        .await;
    server.wait_completed(Kind::Download, &job).await;
    assert_eq!(tree_digest(&server.backups.join(&id)), original);
}

/// Creates a second local backup that shares no file the tests corrupt with the first (a
/// download would hard-link a shared one instead of fetching it): it must stay untouched.
pub async fn bystander(server: &Server) {
    for file in [
        "engine-rocksdb/MANIFEST-000001",
        "engine-rocksdb/000002.sst",
        "SERVER",
    ] {
        // A new file: `*.sst` files are hard-linked into backups, never changed in place.
        let path = server.data.join(file);
        fs::remove_file(&path).expect("rm");
        write(&path, b"changed after the first backup");
    }
    server.create_id("bystander").await;
}

/// Downloads backup `id` from `repo`, which holds a corrupted `file`: the job fails with 7006
/// naming the file, nothing of it is left, and the local backups are as they were.
pub async fn corrupt_download_fails(
    server: &Server,
    id: &str,
    repo: &str,
    config: serde_json::Value,
    file: &str,
) {
    let before: Vec<_> = server
        .ids()
        .await
        .into_iter()
        .map(|b| (tree_digest(&server.backups.join(&b)), b))
        .collect();
    let job = server.start_job(Kind::Download, id, repo, config).await;
    let end = server.wait_job(Kind::Download, &job).await;
    assert_eq!(job_state(&end), "FAILED", "{end}");
    assert_eq!(end["DBServers"]["SNGL"]["Error"], 7006, "{end}");
    let message = end["DBServers"]["SNGL"]["ErrorMessage"]
        .as_str()
        .expect("ErrorMessage");
    assert!(message.contains(file), "the error names no file: {message}");
    assert!(
        !server.ids().await.contains(&id.to_owned()),
        "a failed download is never listed"
    );
    assert_eq!(
        leftovers(&server.backups, id),
        Vec::<String>::new(),
        "a failed download leaves no half backup behind"
    );
    let after: Vec<_> = server
        .ids()
        .await
        .into_iter()
        .map(|b| (tree_digest(&server.backups.join(&b)), b))
        .collect();
    assert_eq!(after, before, "local backups changed");
}

#[tokio::test]
async fn download_of_a_corrupt_remote_backup_fails_and_leaves_nothing() {
    let server = Server::start().await;
    let id = server.create_id("rot").await;
    bystander(&server).await;
    let repo_dir = server.root.path().join("repo");
    let repo = local_repo(&repo_dir);
    server.upload_completed(&id, &repo, local_config()).await;
    server.ok("delete", json!({ "id": id }), 200).await;

    let file = "engine-rocksdb/MANIFEST-000001";
    let victim = repo_dir.join(&id).join(file);
    let original = fs::read(&victim).expect("read");
    // Same size, one bit flipped: only the checksum can tell. Then a longer file.
    let mut flipped = original.clone();
    flipped[100] ^= 1;
    let mut longer = original.clone();
    longer.extend_from_slice(b"tail");
    for data in [flipped, longer] {
        fs::write(&victim, &data).expect("corrupt");
        corrupt_download_fails(&server, &id, &repo, local_config(), file).await;
    }
}

#[tokio::test]
async fn a_remote_backup_without_meta_is_never_downloaded() {
    let server = Server::start().await;
    let id = server.create_id("half").await;
    let repo_dir = server.root.path().join("repo");
    let repo = local_repo(&repo_dir);
    server.upload_completed(&id, &repo, local_config()).await;
    server.ok("delete", json!({ "id": id }), 200).await;
    fs::remove_file(repo_dir.join(&id).join("META")).expect("rm META");

    let body = json!({"id": id, "remoteRepository": repo, "config": local_config()});
    let (code, answer) = server.post(Kind::Download.path(), body).await;
    if code == 202 {
        let job = success(&answer, 202)["downloadId"]
            .as_str()
            .expect("downloadId")
            .to_owned();
        let end = server.wait_job(Kind::Download, &job).await;
        assert_eq!(job_state(&end), "FAILED", "{end}");
        assert_eq!(end["DBServers"]["SNGL"]["Error"], 7007, "{end}");
    } else {
        assert_eq!(code, 404, "{answer}");
        crate::harness::error(&answer, 404, 7007);
    }
    assert!(server.ids().await.is_empty());
    assert_eq!(leftovers(&server.backups, &id), Vec::<String>::new());
}
