//! kube-arangodb, ArangoDB's Kubernetes operator (`pkg/handlers/backup/*`), on go-driver v2:
//! the states an `ArangoBackup` goes through (`state_create.go`, `state_creating.go`,
//! `state_upload.go`, `state_uploading.go`, `state_download.go`, `state_downloading.go`,
//! `finalizer.go`) and the calls they make (`arango_client_impl.go`,
//! `arangoClientBackupImpl.{HealthCheck,Get,Upload,Download,Progress,Abort}`).

use std::os::unix::fs::MetadataExt;

use serde_json::{Value, json};

use crate::harness::{Server, local_config, local_repo};
use crate::wire::{Answer, post, send, until};

/// `HealthCheck`: `driver.Version(ctx)`, `GET /_api/version`, 200.
async fn health_check(server: &Server) {
    let answer = send(server, "GET", "/_api/version", &[], None).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.body["version"].is_string(), "{}", answer.body);
}

/// `Get(backupID)`: `BackupList(ctx, nil)` (no body) and a lookup in `list`; a missing
/// backup is its 404.
async fn get(server: &Server, id: &str) -> Option<Value> {
    let answer = send(server, "POST", "/_admin/backup/list", &[], None).await;
    let list = answer.expect(200);
    list["list"].get(id).cloned()
}

/// What `Progress(jobID, transferType)` makes of a status.
#[derive(Debug, PartialEq)]
pub enum Progress {
    Failed(String),
    Completed,
    Running(i64),
}

/// `arangoClientBackupImpl.Progress`: `Cancelled` is a failure; per DBServer `Total` and
/// `Done` are summed, FAILED fails, COMPLETED (or no status) counts as complete, ACK and
/// STARTED go on, anything else is an error; complete only when every server is complete
/// *and* the sum of `Total` is above 0.
pub fn progress(report: &Value) -> Progress {
    if report["Cancelled"] == true {
        return Progress::Failed("Upload cancelled".into());
    }
    let servers = report["DBServers"].as_object().expect("DBServers");
    let (mut completed, mut total, mut done) = (0, 0, 0);
    let mut failed = None;
    for status in servers.values() {
        total += status["Progress"]["Total"].as_i64().unwrap_or(0);
        done += status["Progress"]["Done"].as_i64().unwrap_or(0);
        match status["Status"].as_str().unwrap_or_default() {
            "FAILED" => failed = Some(status["ErrorMessage"].to_string()),
            "COMPLETED" | "" => completed += 1,
            "ACK" | "STARTED" => {}
            other => panic!("Unknown transfer status: {other}"),
        }
    }
    if let Some(message) = failed {
        return Progress::Failed(message);
    }
    if completed == servers.len() && total > 0 {
        return Progress::Completed;
    }
    Progress::Running(if total != 0 { 100 * done / total } else { 0 })
}

/// `TransferMonitor(jobID, type).Progress`: the job's own endpoint and key; 200.
async fn monitor(server: &Server, op: &str, job: &str) -> Answer {
    let body = json!({ format!("{op}Id"): job });
    post(server, &format!("/_admin/backup/{op}"), &body).await
}

/// The `Uploading` / `Downloading` state, reconciled until it leaves.
async fn transfer(server: &Server, op: &str, job: &str) -> Progress {
    until("the operator's transfer state left", || async {
        let answer = monitor(server, op, job).await;
        match progress(answer.expect(200)) {
            Progress::Running(percent) => {
                assert!((0..=100).contains(&percent));
                None
            }
            end => Some(end),
        }
    })
    .await
}

/// `stateUploadHandler` / `stateDownloadHandler`: `BackupUpload` / `BackupDownload` with the
/// credentials secret as `config`; 202 and the job id.
async fn start(server: &Server, op: &str, id: &str, repo: &str) -> String {
    let body = json!({"id": id, "remoteRepository": repo, "config": local_config()});
    let answer = post(server, &format!("/_admin/backup/{op}"), &body).await;
    answer.expect(202)[format!("{op}Id").as_str()]
        .as_str()
        .expect("job id")
        .to_owned()
}

#[tokio::test]
async fn a_download_of_linked_files_only_completes() {
    let server = Server::start().await;
    let repo = local_repo(&server.root.path().join("repo"));
    health_check(&server).await;
    // Sync create (feature `async-backup-creation` off): `BackupCreate` with the options.
    let body = json!({"allowInconsistent": false, "timeout": 30});
    let first = post(&server, "/_admin/backup/create", &body).await;
    let id = first.expect(201)["id"].as_str().expect("id").to_owned();
    assert!(
        get(&server, &id).await.is_some(),
        "backup is not present after creation"
    );

    let job = start(&server, "upload", &id, &repo).await;
    assert_eq!(transfer(&server, "upload", &job).await, Progress::Completed);

    // A second backup of the same data, then the first one deleted and downloaded again:
    // every file of it is linked from the second, none is sent.
    let second = post(&server, "/_admin/backup/create", &body).await;
    let other = second.expect(201)["id"].as_str().expect("id").to_owned();
    post(&server, "/_admin/backup/delete", &json!({ "id": id }))
        .await
        .expect(200);
    let job = start(&server, "download", &id, &repo).await;
    assert_eq!(
        transfer(&server, "download", &job).await,
        Progress::Completed,
        "the operator would wait forever"
    );
    let status = monitor(&server, "download", &job).await;
    let counts = &status.expect(200)["DBServers"]["SNGL"]["Progress"];
    assert_eq!(counts["Done"], counts["Total"], "{counts}");
    assert!(
        get(&server, &id).await.is_some(),
        "backup is not present after download"
    );
    let ino = |b: &str| {
        std::fs::metadata(server.backups.join(b).join("engine-rocksdb/000001.sst"))
            .expect("stat")
            .ino()
    };
    assert_eq!(ino(&id), ino(&other), "the files were linked, not sent");
}
