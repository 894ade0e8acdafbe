//! docs/hot-backup-api.md §3-§6 with a local repository: the upload and download examples of
//! ArangoDB's documentation replayed, the remote layout, and every way a transfer request can
//! be refused.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use serde_json::{Value, json};

use crate::common::{staged_files, tree_digest};
use crate::harness::{
    Kind, Options, Server, error, job_state, local_config, local_repo, progress, sha256sum_check,
    success,
};

/// A valid id of no local backup.
const REMOTE_ONLY: &str = "2020-01-01T00.00.00Z_remote";

/// Names directly in `dir`, sorted.
pub fn names(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Asserts a finished job's counters are whole: every file and byte done.
pub fn assert_all_done(status: &Value, created: &Value) {
    let total = progress(status, "Total");
    assert_eq!(progress(status, "Done"), total, "{status}");
    assert!(
        total >= created["nrFiles"].as_u64().expect("nrFiles"),
        "{status}"
    );
    let bytes = progress(status, "TotalBytes");
    assert_eq!(progress(status, "DoneBytes"), bytes, "{status}");
    assert!(
        bytes >= created["sizeInBytes"].as_u64().expect("sizeInBytes"),
        "{status}"
    );
}

#[tokio::test]
async fn seed_examples_upload_then_download_round_trip() {
    let server = Server::start().await;
    // RestBackupUploadBackup: makeDirectory("/tmp/backups"), create, upload.
    let repo_dir = server.root.path().join("tmp/backups");
    fs::create_dir_all(&repo_dir).expect("mkdir");
    let repo = local_repo(&repo_dir);
    assert!(repo.starts_with("local://"), "seed style: {repo}");
    let (code, answer) = server.post_raw("/_admin/backup/create", b"").await;
    assert_eq!(code, 201, "{answer}");
    let created = success(&answer, 201);
    let id = created["id"].as_str().expect("id").to_owned();
    let original = tree_digest(&server.backups.join(&id));

    let before = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let upload = server
        .start_job(Kind::Upload, &id, &repo, local_config())
        .await;
    let after = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    // RestBackupUploadBackupStarted: the status of the upload.
    let status = server.status(Kind::Upload, &upload).await;
    let stamp = status["Timestamp"].as_str().expect("Timestamp");
    assert!(
        before.as_str() <= stamp && stamp <= after.as_str(),
        "Timestamp is the job's creation time: {stamp} not in {before}..{after}"
    );
    assert_eq!(status["BackupId"], id.as_str());
    assert_eq!(status["Cancelled"], false);
    let done = server.wait_completed(Kind::Upload, &upload).await;
    assert_eq!(done["BackupId"], id.as_str());
    assert_eq!(done["Cancelled"], false);
    assert_eq!(
        done["Timestamp"], status["Timestamp"],
        "Timestamp = creation"
    );
    assert_all_done(&done, &created);

    // The remote layout: <repo>/<id>/ holds the same tree byte for byte.
    assert_eq!(names(&repo_dir), [id.as_str()]);
    let remote = repo_dir.join(&id);
    assert_eq!(tree_digest(&remote), original);
    assert!(remote.join("META").is_file() && remote.join("SHA256SUMS").is_file());
    sha256sum_check(&remote);
    assert!(staged_files(&repo_dir).is_empty(), "no staged data left");

    // Job ids are one space (go-driver v1 and v2 rely on it, docs/clients.md): the upload
    // is found at download too, and keeps its own key.
    let found = server
        .ok("download", json!({ "downloadId": upload }), 200)
        .await;
    assert_eq!(found["UploadId"], upload.as_str(), "{found}");
    server
        .fails("download", json!({ "downloadId": "99999999" }), 404, 404)
        .await;
    // Aborting a finished job does not change its outcome.
    let (code, answer) = server
        .post(
            Kind::Upload.path(),
            json!({"uploadId": upload, "abort": true}),
        )
        .await;
    assert_eq!(code, 202, "{answer}");
    assert_eq!(job_state(&success(&answer, 202)), "COMPLETED", "{answer}");

    // RestBackupDownloadBackup: delete the local backup, download it again.
    server.ok("delete", json!({ "id": id }), 200).await;
    let download = server
        .start_job(Kind::Download, &id, &repo, local_config())
        .await;
    assert!(
        download.parse::<u64>().expect("digits") != upload.parse::<u64>().expect("digits"),
        "job ids are unique"
    );
    // RestBackupDownloadBackupStarted.
    let done = server.wait_completed(Kind::Download, &download).await;
    assert_eq!(done["BackupId"], id.as_str());
    assert_all_done(&done, &created);
    assert_eq!(server.ids().await, [id.as_str()]);
    assert_eq!(tree_digest(&server.backups.join(&id)), original);
    assert_eq!(names(&server.backups), [id.as_str()], "no scratch left");
    // go-driver v1 polls downloads this way.
    let found = server
        .ok("upload", json!({ "uploadId": download }), 200)
        .await;
    assert_eq!(found["DownloadId"], download.as_str(), "{found}");

    // A download of a backup that exists locally is refused, and the backup untouched.
    let meta = server.backups.join(&id).join("META");
    let mtime = fs::metadata(&meta)
        .expect("stat")
        .modified()
        .expect("mtime");
    let message = server
        .fails(
            "download",
            json!({"id": id, "remoteRepository": repo, "config": local_config()}),
            400,
            7011,
        )
        .await;
    assert!(message.contains(&id), "{message}");
    assert_eq!(tree_digest(&server.backups.join(&id)), original);
    assert_eq!(
        fs::metadata(&meta).expect("stat").modified().ok(),
        Some(mtime)
    );
    assert_eq!(names(&server.backups), [id]);
}

#[tokio::test]
async fn download_links_files_local_backups_already_have() {
    let server = Server::start().await;
    let repo_dir = server.root.path().join("repo");
    let repo = local_repo(&repo_dir);
    let a = server.create_id("a").await;
    let b = server.create_id("b").await;
    server.upload_completed(&b, &repo, local_config()).await;
    let original = tree_digest(&server.backups.join(&b));
    server.ok("delete", json!({ "id": b }), 200).await;
    let job = server
        .start_job(Kind::Download, &b, &repo, local_config())
        .await;
    server.wait_completed(Kind::Download, &job).await;
    assert_eq!(tree_digest(&server.backups.join(&b)), original);
    // `SERVER` is copied (not linked) by create: equal content, so linked by the download.
    let ino = |id: &str| {
        fs::metadata(server.backups.join(id).join("SERVER"))
            .expect("stat")
            .ino()
    };
    assert_eq!(
        ino(&a),
        ino(&b),
        "identical file hard-linked from backup {a}"
    );
}

#[tokio::test]
async fn unknown_backups_jobs_and_bad_repositories_are_refused() {
    let server = Server::start().await;
    let id = server.create_id("x").await;
    let repo_dir = server.root.path().join("repo");
    let repo = local_repo(&repo_dir);

    let message = server
        .fails(
            "upload",
            json!({"id": "2020-01-01T00.00.00Z_nope", "remoteRepository": repo, "config": local_config()}),
            404,
            7007,
        )
        .await;
    assert!(message.contains("2020-01-01T00.00.00Z_nope"), "{message}");

    // Each rule of docs/hot-backup-api.md §6, for both directions; the message names the rule.
    let cases: Vec<(String, Value, &str)> = vec![
        (String::new(), local_config(), "colon"),
        (":".into(), local_config(), "empty"),
        ("noob:".into(), local_config(), "noob"),
        ("noob:x".into(), local_config(), "noob"),
        ("loc/al:/x".into(), local_config(), "/"),
        ("local:relative/path".into(), local_config(), "absolute"),
        (repo_dir.display().to_string(), local_config(), "colon"),
        (repo.clone(), json!({"local": {"type": "ftp"}}), "ftp"),
        (repo.clone(), json!({"local": {"path": "/x"}}), "type"),
        (repo.clone(), json!({"local": "local"}), "object"),
        (
            "S3:bucket/x".into(),
            json!({"S3": {"type": "s3", "chunk_size": "lots"}}),
            "chunk_size",
        ),
        (
            "S3:bucket/x".into(),
            json!({"S3": {"type": "s3", "force_path_style": "maybe"}}),
            "force_path_style",
        ),
        (
            "S3:bucket/x".into(),
            json!({"S3": {"type": "s3", "upload_concurrency": "many"}}),
            "upload_concurrency",
        ),
        (
            "S3:bucket/x".into(),
            json!({"S3": {"type": "s3", "endpoint": "not a url"}}),
            "endpoint",
        ),
        (
            "S3:bucket/x".into(),
            json!({"S3": {"type": "s3", "chunk_size": {"a": 1}}}),
            "chunk_size",
        ),
    ];
    for (repository, config, rule) in cases {
        // An upload of a local backup, a download of one that is not local.
        for (kind, id) in [(Kind::Upload, id.as_str()), (Kind::Download, REMOTE_ONLY)] {
            let body = json!({"id": id, "remoteRepository": repository, "config": config});
            let (code, answer) = server.post(kind.path(), body).await;
            assert_eq!(code, 400, "{repository:?} {config}: {answer}");
            let message = error(&answer, 400, 7008);
            assert!(
                message.contains(rule),
                "{repository:?} {config}: the message must name {rule:?}: {message}"
            );
        }
    }
    // Ids that are no backup ids never become paths.
    let outside = server.root.path().join("outside");
    for bad in ["../outside", "a/b", "..", ".", "x\u{0}", "/etc", ""] {
        for kind in [Kind::Upload, Kind::Download] {
            let body = json!({"id": bad, "remoteRepository": repo, "config": local_config()});
            let (code, answer) = server.post(kind.path(), body).await;
            assert!(
                code == 400 || code == 404,
                "{kind:?} of id {bad:?}: {answer}"
            );
            assert_eq!(answer["error"], true, "{answer}");
        }
    }
    assert!(!outside.exists());
    assert_eq!(
        names(&server.backups),
        [id.as_str()],
        "no scratch directory made"
    );
    assert!(!repo_dir.exists(), "nothing written for refused requests");

    for (op, attr) in [("upload", "uploadId"), ("download", "downloadId")] {
        for job in ["999999", "abc", "", "../1", "10000"] {
            server.fails(op, json!({ attr: job }), 404, 404).await;
            server
                .fails(op, json!({ attr: job, "abort": true }), 404, 404)
                .await;
        }
    }
    // Required attributes missing: a 400 (bad parameter or bad repository configuration).
    for body in [
        json!({"id": id, "config": local_config()}),
        json!({"id": id, "remoteRepository": repo}),
        json!({"remoteRepository": repo, "config": local_config()}),
        json!({}),
    ] {
        let (code, answer) = server.post(Kind::Upload.path(), body.clone()).await;
        assert_eq!(code, 400, "{body}: {answer}");
        assert!(
            [10, 7008].contains(&answer["errorNum"].as_i64().unwrap_or_default()),
            "{body}: {answer}"
        );
    }
}

#[tokio::test]
async fn local_repositories_must_lie_under_the_local_path_prefix() {
    let root = tempfile::tempdir().expect("tempdir");
    let allowed = root.path().join("allowed");
    let server = Server::with(Options {
        args: vec!["--local-path-prefix".into(), allowed.display().to_string()],
        ..Options::default()
    })
    .await;
    let id = server.create_id("p").await;
    let outside = [
        root.path().join("other"),
        root.path().join("allowed-not"),
        root.path().join("allowed/../other"),
        root.path().to_path_buf(),
        "/".into(),
    ];
    for path in outside {
        for (kind, id) in [(Kind::Upload, id.as_str()), (Kind::Download, REMOTE_ONLY)] {
            let body =
                json!({"id": id, "remoteRepository": local_repo(&path), "config": local_config()});
            let (code, answer) = server.post(kind.path(), body).await;
            assert_eq!(code, 400, "{}: {answer}", path.display());
            let message = error(&answer, 400, 7008);
            assert!(message.contains("prefix"), "{message}");
        }
    }
    assert!(!root.path().join("other").exists());
    // Under the prefix, `..` applied first (docs/hot-backup-api.md §6, rules 3, 4), it works.
    let repo = format!("local:/{}//sub/./x/../repo/", allowed.display());
    server.upload_completed(&id, &repo, local_config()).await;
    assert_eq!(names(&allowed), ["sub"]);
    assert_eq!(
        tree_digest(&allowed.join("sub/repo").join(&id)),
        tree_digest(&server.backups.join(&id))
    );
}

#[tokio::test]
async fn unknown_options_are_ignored_with_a_warning() {
    let server = Server::start().await;
    let id = server.create_id("opt").await;
    let repo_dir = server.root.path().join("repo");
    let config = json!({"local": {"type": "local", "no_such_option_xyz": "1", "copy_links": true}});
    server
        .upload_completed(&id, &local_repo(&repo_dir), config)
        .await;
    assert_eq!(
        tree_digest(&repo_dir.join(&id)),
        tree_digest(&server.backups.join(&id))
    );
    let log = server.stderr();
    assert!(
        log.contains("no_such_option_xyz"),
        "the unknown option is named in the log: {log}"
    );
}
