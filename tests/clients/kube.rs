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

/// `CreateAsync("")` (`state_create.go`, `asyncBackup`): `BackupCreate` through go-driver
/// v2's `AsyncConnectionWrapper` (`v2/connection/wrapper_async.go`): the header
/// `x-arango-async: store`, only 202 allowed, and the job id from `x-arango-async-id`
/// (`ErrorAsyncJobInProgress`); none is "missing async key response".
async fn create_async(server: &Server) -> String {
    let body = json!({});
    let answer = send(
        server,
        "POST",
        "/_admin/backup/create",
        &[("x-arango-async", "store")],
        Some(&body),
    )
    .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    answer
        .header("x-arango-async-id")
        .filter(|id| !id.is_empty())
        .expect("missing async key response")
        .to_owned()
}

/// `CreateAsync(jobID)` (`state_creating.go`): `PUT /_api/job/<id>`; 204 without the job's
/// id in `x-arango-async-id` is "in progress" (`None`); anything else is the create's own
/// answer, which `BackupCreate` accepts only as 201.
async fn create_result(server: &Server, job: &str) -> Option<Answer> {
    let answer = send(server, "PUT", &format!("/_api/job/{job}"), &[], None).await;
    if answer.status == 204 && answer.header("x-arango-async-id") != Some(job) {
        return None;
    }
    assert_eq!(
        answer.header("x-arango-async-id"),
        Some(job),
        "{}",
        answer.body
    );
    Some(answer)
}

#[tokio::test]
async fn async_create_is_polled_through_the_job_api() {
    let server = Server::start().await;
    health_check(&server).await;
    // A writer holds the data directory: the create waits for its lock, so the job is
    // pending for as long as the test wants.
    let writer = ferry::backup::WriteLock::shared(&server.data).expect("shared lock");
    let job = create_async(&server).await;
    for _ in 0..3 {
        assert!(
            create_result(&server, &job).await.is_none(),
            "still Creating"
        );
    }
    let pending = send(&server, "GET", "/_api/job/pending", &[], None).await;
    assert!(
        pending
            .body
            .as_array()
            .is_some_and(|a| a.contains(&json!(job))),
        "{}",
        pending.body
    );
    writer.release();

    let answer = until("the create finished", || create_result(&server, &job)).await;
    let result = answer.expect(201);
    let id = result["id"].as_str().expect("BackupResponse.ID").to_owned();
    // `ac.Get(resp.ID)` and `client.Get(response.ID)`: the backup is listed, state Ready.
    assert!(
        get(&server, &id).await.is_some(),
        "backup is not present after creation"
    );
    // The answer is given once.
    let again = send(&server, "PUT", &format!("/_api/job/{job}"), &[], None).await;
    assert_eq!(again.status, 404, "{}", again.body);
    assert_eq!(server.ids().await, [id], "one backup, tracked");
}

#[tokio::test]
async fn async_answers_outlive_a_crash() {
    let mut server = Server::start().await;
    // Finished before the crash: still fetched after it, so the backup is tracked.
    let done = create_async(&server).await;
    until("the create finished", || async {
        let status = send(&server, "GET", &format!("/_api/job/{done}"), &[], None).await;
        (status.status == 200).then_some(())
    })
    .await;
    // Running at the crash: answered as interrupted, which the operator takes for a
    // failed create (CreateError, back-off, a new create), not as "in progress" forever.
    let writer = ferry::backup::WriteLock::shared(&server.data).expect("shared lock");
    let running = create_async(&server).await;
    server.kill();
    writer.release();
    server.launch().await;

    let answer = create_result(&server, &done).await.expect("kept");
    let id = answer.expect(201)["id"].as_str().expect("id").to_owned();
    assert!(get(&server, &id).await.is_some());
    let answer = create_result(&server, &running).await.expect("answered");
    crate::check::error(&answer.body, 503, 30);
    assert_eq!(
        server.ids().await,
        [id],
        "the interrupted create left no backup"
    );
    let next = create_async(&server).await;
    assert!(next.parse::<u64>().expect("id") > running.parse::<u64>().expect("id"));
}

#[tokio::test]
async fn a_graceful_stop_lets_an_async_create_finish() {
    let mut server = Server::start().await;
    let writer = ferry::backup::WriteLock::shared(&server.data).expect("shared lock");
    let job = create_async(&server).await;
    // The writer lets go while the server stops (or just before): either way the create
    // finishes and its answer is kept.
    let writer = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(300));
        writer.release();
    });
    server.restart().await;
    writer.join().expect("writer thread");
    let answer = create_result(&server, &job).await.expect("kept");
    let id = answer.expect(201)["id"].as_str().expect("id").to_owned();
    assert_eq!(server.ids().await, [id]);
}
