//! go-driver v1 (`github.com/arangodb/go-driver`): `client_admin_backup_impl.go`,
//! `clientBackup.{Create,List,Upload,Download,Progress,Abort,Delete,Restore}`, driven as its
//! own `test/backup_test.go` drives them (`TestBackupCompleteCycle`,
//! `waitForTransferJobCompletion`, `uploadBackupWaitForCompletion`,
//! `TestBackupUploadAbort`). v1 polls and aborts *every* transfer job at
//! `/_admin/backup/upload` with `uploadId`, downloads included.

use serde_json::{Value, json};

use crate::common::{bytes, tree_digest, write};
use crate::harness::{Options, Server, data_digest, local_config, local_repo};
use crate::wire::{check_go_meta, go_report, post, send, until};

/// `Create(ctx, nil)`: no body at all; `CheckStatus(201)`; `ParseBody("result")`.
async fn create(server: &Server) -> String {
    let answer = send(server, "POST", "/_admin/backup/create", &[], None).await;
    let result = answer.expect(201);
    for n in ["nrFiles", "nrDBServers", "sizeInBytes"] {
        assert!(result[n].is_u64(), "{n}: {result}");
    }
    assert!(result["potentiallyInconsistent"].is_boolean(), "{result}");
    result["id"].as_str().expect("id").to_owned()
}

/// `Upload` / `Download`: `{"id","remoteRepository","config"}` (omitempty); 202; the
/// `uploadId` / `downloadId` of `result`.
async fn start(server: &Server, op: &str, id: &str, repo: &str) -> String {
    let body = json!({"id": id, "remoteRepository": repo, "config": local_config()});
    let answer = post(server, &format!("/_admin/backup/{op}"), &body).await;
    let key = format!("{op}Id");
    answer.expect(202)[key.as_str()]
        .as_str()
        .expect("job id")
        .to_owned()
}

/// `Progress(ctx, job)`: `POST /_admin/backup/upload {"uploadId": job}` whatever the job;
/// `CheckStatus(200)`.
async fn progress(server: &Server, job: &str) -> Value {
    let answer = post(server, "/_admin/backup/upload", &json!({ "uploadId": job })).await;
    answer.expect(200).clone()
}

/// `Abort(ctx, job)`: `{"uploadId": job, "abort": true}` at upload; `CheckStatus(202)`.
async fn abort(server: &Server, job: &str) {
    let body = json!({"uploadId": job, "abort": true});
    post(server, "/_admin/backup/upload", &body)
        .await
        .expect(202);
}

/// `waitForTransferJobCompletion`: done when every DBServer is COMPLETED; FAILED is fatal.
async fn wait_completed(server: &Server, job: &str) {
    until("transfer completed", || async {
        let status = progress(server, job).await;
        let report = go_report(&status);
        assert_ne!(report["Status"], "FAILED", "{status}");
        (report["Status"] == "COMPLETED").then_some(())
    })
    .await;
}

/// `TestBackupUploadAbort`'s wait: `Cancelled` and every DBServer CANCELLED.
async fn wait_cancelled(server: &Server, job: &str) {
    until("transfer cancelled", || async {
        let status = progress(server, job).await;
        let report = go_report(&status);
        (status["Cancelled"] == true && report["Status"] == "CANCELLED").then_some(())
    })
    .await;
}

#[tokio::test]
async fn complete_cycle_polls_downloads_at_upload() {
    let server = Server::start().await;
    let original = data_digest(&server.data);
    let repo = local_repo(&server.root.path().join("repo"));
    let id = create(&server).await;

    // List(ctx, &BackupListOptions{ID: id}): `{"id"}`; 200; `result.list`.
    let list = post(&server, "/_admin/backup/list", &json!({ "id": id })).await;
    check_go_meta(&list.expect(200)["list"][id.as_str()], &id);

    // uploadBackupWaitForCompletion: upload, wait, then its deferred Abort of the finished
    // job, which must still answer 202.
    let upload = start(&server, "upload", &id, &repo).await;
    wait_completed(&server, &upload).await;
    abort(&server, &upload).await;

    // Delete(ctx, id): `{"id"}`; 200.
    post(&server, "/_admin/backup/delete", &json!({ "id": id }))
        .await
        .expect(200);
    let download = start(&server, "download", &id, &repo).await;
    wait_completed(&server, &download).await;
    let status = progress(&server, &download).await;
    assert_eq!(status["DownloadId"], download.as_str(), "{status}");
    assert_eq!(status["BackupId"], id.as_str(), "{status}");

    // Restore(ctx, id, nil): `{"id"}`; `CheckStatus(200)`.
    write(
        &server.data.join("after-backup"),
        b"written after the backup",
    );
    post(&server, "/_admin/backup/restore", &json!({ "id": id }))
        .await
        .expect(200);
    assert_eq!(data_digest(&server.data), original, "the restored data");
}

#[tokio::test]
async fn aborts_of_uploads_and_downloads_go_to_upload() {
    let server = Server::with(Options {
        args: vec!["--transfers".into(), "1".into()],
        ..Options::default()
    })
    .await;
    // Large enough to be caught in the middle, as tests/server/jobs.rs does.
    write(
        &server.data.join("engine-rocksdb/big.sst"),
        &bytes(11, 64 << 20),
    );
    let repo_dir = server.root.path().join("repo");
    let repo = local_repo(&repo_dir);
    let id = create(&server).await;

    let upload = start(&server, "upload", &id, &repo).await;
    abort(&server, &upload).await;
    wait_cancelled(&server, &upload).await;

    // A whole upload, then a download aborted the v1 way.
    let upload = start(&server, "upload", &id, &repo).await;
    wait_completed(&server, &upload).await;
    let uploaded = tree_digest(&repo_dir.join(&id));
    post(&server, "/_admin/backup/delete", &json!({ "id": id }))
        .await
        .expect(200);
    let download = start(&server, "download", &id, &repo).await;
    abort(&server, &download).await;
    wait_cancelled(&server, &download).await;
    let list = post(&server, "/_admin/backup/list", &json!({})).await;
    assert_eq!(list.expect(200)["list"], json!({}), "no half backup listed");
    assert_eq!(
        tree_digest(&repo_dir.join(&id)),
        uploaded,
        "repository untouched"
    );
}
