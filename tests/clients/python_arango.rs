//! python-arango (`arango/backup.py`, class `Backup`: `get`, `create`, `upload`, `download`,
//! `restore`, `delete`; answers read by `arango/formatter.py`, `format_backup*`), used as
//! its documentation (`docs/backup.rst`) uses it. A `StandardDatabase` sends every request
//! under `/_db/<name>`; a handler accepts any 2xx (`resp.is_success`) and reads
//! `body["result"]`.

use serde_json::{Value, json};

use crate::check::error;
use crate::harness::{Server, data_digest, local_config, local_repo};
use crate::wire::{Answer, post, send, until};

const DB: &str = "/_db/_system";

/// `resp.is_success`, then `resp.body["result"]`.
fn success(answer: &Answer) -> &Value {
    assert!(
        (200..300).contains(&answer.status),
        "{}: {}",
        answer.status,
        answer.body
    );
    &answer.body["result"]
}

/// What `format_backup` maps, present with the types it passes on.
fn check_formatted_backup(b: &Value) {
    for key in ["id", "datetime"] {
        assert!(b[key].is_string(), "{key}: {b}");
    }
    for key in ["sizeInBytes", "nrDBServers", "nrFiles"] {
        assert!(b[key].is_u64(), "{key}: {b}");
    }
    assert!(b["potentiallyInconsistent"].is_boolean(), "{b}");
}

/// `format_backup_transfer` of a status: `Timestamp`, the id key, `Cancelled`, `BackupId`,
/// `DBServers.*.Status`.
fn transfer_state<'a>(status: &'a Value, id_key: &str) -> &'a str {
    assert!(
        status["Timestamp"].is_string() && status[id_key].is_string(),
        "{status}"
    );
    assert!(status["Cancelled"].is_boolean() && status["BackupId"].is_string());
    status["DBServers"]["SNGL"]["Status"]
        .as_str()
        .unwrap_or_default()
}

async fn wait(server: &Server, op: &str, attr: &str, key: &str, job: &str) {
    until("transfer completed", || async {
        let answer = post(
            server,
            &format!("{DB}/_admin/backup/{op}"),
            &json!({ attr: job }),
        )
        .await;
        let state = transfer_state(success(&answer), key).to_owned();
        assert_ne!(state, "FAILED", "{}", answer.body);
        (state == "COMPLETED").then_some(())
    })
    .await;
}

#[tokio::test]
async fn backup_api_group_as_documented() {
    let server = Server::start().await;
    let original = data_digest(&server.data);
    let repo = local_repo(&server.root.path().join("backups-repo"));

    // create(label=None, ...): `{"label": None}` plus the options given.
    let body = json!({"label": null, "allowInconsistent": false, "force": false, "timeout": 1000});
    let answer = post(&server, &format!("{DB}/_admin/backup/create"), &body).await;
    let created = success(&answer).clone();
    check_formatted_backup(&created);
    let id = created["id"].as_str().expect("id").to_owned();

    // get(): no body; get(backup_id): `{"id"}`.
    let answer = send(
        &server,
        "POST",
        &format!("{DB}/_admin/backup/list"),
        &[],
        None,
    )
    .await;
    assert!(success(&answer)["server"].is_string());
    let answer = post(
        &server,
        &format!("{DB}/_admin/backup/list"),
        &json!({ "id": id }),
    )
    .await;
    let listed = &success(&answer)["list"][id.as_str()];
    check_formatted_backup(listed);
    for key in ["available", "countIncludesFilesOnly"] {
        assert!(listed[key].is_boolean(), "{key}: {listed}");
    }
    assert!(
        listed["version"].is_string()
            && listed["keys"].is_array()
            && listed["nrPiecesPresent"].is_u64()
    );

    // upload(backup_id, repository, config) → {"upload_id"}; upload(upload_id=...) → status.
    let body = json!({"id": id, "remoteRepository": repo, "config": local_config()});
    let answer = post(&server, &format!("{DB}/_admin/backup/upload"), &body).await;
    let upload = success(&answer)["uploadId"]
        .as_str()
        .expect("uploadId")
        .to_owned();
    wait(&server, "upload", "uploadId", "UploadId", &upload).await;
    // upload(upload_id=..., abort=True) of a finished job: still a success.
    let body = json!({"uploadId": upload, "abort": true});
    let answer = post(&server, &format!("{DB}/_admin/backup/upload"), &body).await;
    assert_eq!(transfer_state(success(&answer), "UploadId"), "COMPLETED");

    // delete(backup_id), download(...), download(download_id=...).
    let answer = post(
        &server,
        &format!("{DB}/_admin/backup/delete"),
        &json!({ "id": id }),
    )
    .await;
    success(&answer);
    let body = json!({"id": id, "remoteRepository": repo, "config": local_config()});
    let answer = post(&server, &format!("{DB}/_admin/backup/download"), &body).await;
    let download = success(&answer)["downloadId"]
        .as_str()
        .expect("downloadId")
        .to_owned();
    wait(&server, "download", "downloadId", "DownloadId", &download).await;

    // restore(backup_id) → `format_backup_restore`: `previous`, `isCluster`.
    crate::common::write(&server.data.join("later"), b"x");
    let answer = post(
        &server,
        &format!("{DB}/_admin/backup/restore"),
        &json!({ "id": id }),
    )
    .await;
    let restored = success(&answer);
    assert!(
        restored["previous"].is_string() && restored["isCluster"] == false,
        "{restored}"
    );
    assert_eq!(data_digest(&server.data), original);
}

#[tokio::test]
async fn a_database_other_than_system_is_not_found() {
    let server = Server::start().await;
    // `client.db("test").backup.get()`: BackupGetError with error_code 1228, as ArangoDB
    // answers for a database that does not exist, whatever the path under it.
    for path in [
        "/_db/test/_admin/backup/list",
        "/_db/test/_admin/backup/create",
        "/_db/test/_api/version",
        "/_db/test/no/such/path",
    ] {
        let answer = post(&server, path, &json!({})).await;
        error(&answer.body, 404, 1228);
    }
    let answer = send(&server, "GET", "/_db/test/_api/version", &[], None).await;
    error(&answer.body, 404, 1228);
    assert!(server.ids().await.is_empty(), "nothing was created");
    // `_system`, also percent-encoded, is served.
    let answer = post(&server, "/_db/%5Fsystem/_admin/backup/list", &json!({})).await;
    success(&answer);
}
