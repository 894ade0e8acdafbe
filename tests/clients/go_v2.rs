//! go-driver v2 (`github.com/arangodb/go-driver/v2`): `v2/arangodb/client_admin_backup_impl.go`,
//! `clientAdmin.{BackupCreate,BackupList,BackupUpload,BackupDownload,BackupDelete,
//! BackupRestore}` and the transfer monitors (`uploadMonitor`, `downloadMonitor`). Its
//! `downloadMonitor.Abort` sends `{"downloadId", "abort": true}` to `/_admin/backup/upload`.

use serde_json::{Value, json};

use crate::common::{bytes, write};
use crate::harness::{Options, Server, data_digest, local_config, local_repo};
use crate::wire::{check_go_meta, go_report, post, until};

/// `BackupCreate(ctx, &BackupCreateOptions{Label, Timeout: *uint})`: omitempty fields;
/// `case http.StatusCreated`; `BackupResponse` (`datetime` a `time.Time`).
async fn create(server: &Server, label: &str) -> Value {
    let body = json!({"label": label, "timeout": 30});
    let answer = post(server, "/_admin/backup/create", &body).await;
    let result = answer.expect(201).clone();
    let datetime = result["datetime"].as_str().unwrap_or_default();
    assert!(
        chrono::DateTime::parse_from_rfc3339(datetime).is_ok(),
        "{result}"
    );
    result
}

/// `BackupUpload` / `BackupDownload`: 202, then `newUploadMonitor` / `newDownloadMonitor`
/// refuse an empty job id.
async fn start(server: &Server, op: &str, id: &str, repo: &str) -> String {
    let body = json!({"id": id, "remoteRepository": repo, "config": local_config()});
    let answer = post(server, &format!("/_admin/backup/{op}"), &body).await;
    let job = answer.expect(202)[format!("{op}Id").as_str()]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(!job.is_empty(), "jobId must not be empty");
    job
}

/// `{upload,download}Monitor.Progress`: the job's own endpoint and key; 200.
async fn progress(server: &Server, op: &str, job: &str) -> Value {
    let body = json!({ format!("{op}Id"): job });
    let answer = post(server, &format!("/_admin/backup/{op}"), &body).await;
    answer.expect(200).clone()
}

/// `{upload,download}Monitor.Abort`: both at `/_admin/backup/upload`, each with its own key;
/// `case http.StatusAccepted`.
async fn abort(server: &Server, op: &str, job: &str) {
    let body = json!({ format!("{op}Id"): job, "abort": true });
    post(server, "/_admin/backup/upload", &body)
        .await
        .expect(202);
}

async fn wait_for(server: &Server, op: &str, job: &str, state: &str) -> Value {
    until(state, || async {
        let status = progress(server, op, job).await;
        let now = go_report(&status)["Status"].as_str().unwrap_or_default();
        let finished = ["COMPLETED", "FAILED", "CANCELLED"].contains(&now);
        assert!(now == state || !finished, "{status}");
        let reached = now == state;
        reached.then_some(status)
    })
    .await
}

#[tokio::test]
async fn backup_cycle_with_monitors() {
    let server = Server::start().await;
    let original = data_digest(&server.data);
    let repo = local_repo(&server.root.path().join("repo"));
    let created = create(&server, "v2").await;
    let id = created["id"].as_str().expect("id").to_owned();

    // BackupList(ctx, nil): no body; 200; `ListBackupsResponse{server, list}`.
    let answer = crate::wire::send(&server, "POST", "/_admin/backup/list", &[], None).await;
    let list = answer.expect(200);
    assert!(
        list["server"]
            .as_str()
            .is_some_and(|s| s.starts_with("SNGL-")),
        "{list}"
    );
    check_go_meta(&list["list"][id.as_str()], &id);

    let upload = start(&server, "upload", &id, &repo).await;
    let done = wait_for(&server, "upload", &upload, "COMPLETED").await;
    assert_eq!(done["BackupId"], id.as_str(), "{done}");

    // BackupDelete(ctx, id): `{"id"}`; 200.
    post(&server, "/_admin/backup/delete", &json!({ "id": id }))
        .await
        .expect(200);
    let download = start(&server, "download", &id, &repo).await;
    wait_for(&server, "download", &download, "COMPLETED").await;

    // BackupRestore(ctx, id): 200; `BackupRestoreResponse{previous}`.
    write(&server.data.join("after-backup"), b"later");
    let answer = post(&server, "/_admin/backup/restore", &json!({ "id": id })).await;
    assert!(
        answer.expect(200)["previous"].is_string(),
        "{}",
        answer.body
    );
    assert_eq!(data_digest(&server.data), original);
}

#[tokio::test]
async fn download_monitor_aborts_at_upload() {
    let server = Server::with(Options {
        args: vec!["--transfers".into(), "1".into()],
        ..Options::default()
    })
    .await;
    write(
        &server.data.join("engine-rocksdb/big.sst"),
        &bytes(12, 64 << 20),
    );
    let repo = local_repo(&server.root.path().join("repo"));
    let id = create(&server, "abort").await["id"]
        .as_str()
        .expect("id")
        .to_owned();

    let upload = start(&server, "upload", &id, &repo).await;
    abort(&server, "upload", &upload).await;
    let end = wait_for(&server, "upload", &upload, "CANCELLED").await;
    assert_eq!(end["Cancelled"], true, "{end}");

    let upload = start(&server, "upload", &id, &repo).await;
    wait_for(&server, "upload", &upload, "COMPLETED").await;
    post(&server, "/_admin/backup/delete", &json!({ "id": id }))
        .await
        .expect(200);
    // kube-arangodb's finalizer, when a backup is deleted mid-download.
    let download = start(&server, "download", &id, &repo).await;
    abort(&server, "download", &download).await;
    let end = wait_for(&server, "download", &download, "CANCELLED").await;
    assert_eq!(end["Cancelled"], true, "{end}");
}
