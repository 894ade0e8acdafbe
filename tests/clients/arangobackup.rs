//! arangobackup, ArangoDB's CLI (`client-tools/Backup/BackupFeature.cpp`: `executeCreate`,
//! `executeList`, `executeInitiateTransfer`, `executeStatusQuery`, `executeDelete`,
//! `executeRestore`, `getUptime`, `waitForRestart`), connecting as
//! `client-tools/Utils/ClientManager.cpp` `getConnectedClient` does (`GET /_api/version`) and
//! sending every path under `/_db/_system` (`rewriteLocation`): hot backups are a `_system`
//! operation, arangobackup refuses any other database.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::harness::{Server, data_digest, local_config, local_repo};
use crate::wire::{Answer, post, send, until};

const DB: &str = "/_db/_system";

/// `checkHttpResponse`: complete and not an HTTP error; then the body must be an object.
fn checked(answer: &Answer) -> &Value {
    assert!(
        answer.status < 400,
        "HTTP {}: {}",
        answer.status,
        answer.body
    );
    assert!(answer.body.is_object(), "expected response to be an object");
    &answer.body
}

/// `getConnectedClient`: `getServerVersion`, 200; a `server` other than `"arango"` leaves
/// the version `"arango"`, which is accepted ("hardened mode").
async fn connect(server: &Server) {
    let answer = send(server, "GET", &format!("{DB}/_api/version"), &[], None).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
}

/// `getUptime`: `GET /_admin/statistics`, `server` an object, `server.uptime` a number.
async fn uptime(server: &Server) -> f64 {
    let answer = send(server, "GET", &format!("{DB}/_admin/statistics"), &[], None).await;
    let body = checked(&answer);
    assert!(
        body["server"].is_object(),
        "expected 'server' to be an object"
    );
    body["server"]["uptime"]
        .as_f64()
        .expect("expected 'server.uptime' to be numeric")
}

/// `executeStatusQuery` without `--abort`: per DBServer `Status`, `Progress.Time` (a string:
/// `copyString`), `Progress.Done`/`Total` (`getInt`); `Error`, `ErrorMessage` when there.
fn status_query(body: &Value) -> String {
    let result = &body["result"];
    assert!(result.is_object(), "expected 'result' to be an object");
    let servers = result["DBServers"].as_object().expect("DBServers");
    let mut state = String::new();
    for report in servers.values() {
        state = report["Status"].as_str().unwrap_or_default().to_owned();
        let progress = &report["Progress"];
        assert!(progress["Time"].is_string(), "{body}");
        assert!(
            progress["Done"].is_i64() && progress["Total"].is_i64(),
            "{body}"
        );
        if report.get("Error").is_some() {
            assert!(report["Error"].is_i64() && report["ErrorMessage"].is_string());
        }
    }
    state
}

/// `arangobackup upload|download --status-id=<id>`, until the one server is `COMPLETED`.
async fn wait_transfer(server: &Server, op: &str, job: &str) {
    until("transfer completed", || async {
        let body = json!({ format!("{op}Id"): job });
        let answer = post(server, &format!("{DB}/_admin/backup/{op}"), &body).await;
        let state = status_query(checked(&answer));
        assert_ne!(state, "FAILED", "{}", answer.body);
        (state == "COMPLETED").then_some(())
    })
    .await;
}

/// `arangobackup upload|download --identifier --remote-path --rclone-config-file`: the config
/// file's JSON as `config`; `result.<op>Id` printed for `--status-id`.
async fn initiate(server: &Server, op: &str, id: &str, repo: &str) -> String {
    let body = json!({"id": id, "remoteRepository": repo, "config": local_config()});
    let answer = post(server, &format!("{DB}/_admin/backup/{op}"), &body).await;
    let result = &checked(&answer)["result"];
    result[format!("{op}Id").as_str()]
        .as_str()
        .expect("transfer id")
        .to_owned()
}

#[tokio::test]
async fn create_list_transfer_delete() {
    let server = Server::start().await;
    let repo = local_repo(&server.root.path().join("repo"));
    connect(&server).await;
    // `create --label nightly` (default --max-wait-for-lock 60): `timeout` a double,
    // `allowInconsistent`, `label`; `result.id` a string, `potentiallyInconsistent` a bool,
    // `sizeInBytes` and `nrFiles` integers.
    let body = json!({"timeout": 60.0, "allowInconsistent": false, "label": "nightly"});
    let answer = post(&server, &format!("{DB}/_admin/backup/create"), &body).await;
    let result = &checked(&answer)["result"];
    let id = result["id"]
        .as_str()
        .expect("expected 'result.directory' to be a string")
        .to_owned();
    assert!(result["potentiallyInconsistent"].is_boolean());
    assert!(result["sizeInBytes"].is_u64() && result["nrFiles"].is_u64());

    // `list`: no body; `result.list` an object of META documents.
    let answer = send(
        &server,
        "POST",
        &format!("{DB}/_admin/backup/list"),
        &[],
        None,
    )
    .await;
    let list = &checked(&answer)["result"]["list"];
    let meta = &list[id.as_str()];
    for key in ["version", "datetime"] {
        assert!(meta[key].is_string(), "{meta}");
    }
    for key in ["sizeInBytes", "nrFiles", "nrDBServers", "nrPiecesPresent"] {
        assert!(meta[key].is_u64(), "{meta}");
    }

    let job = initiate(&server, "upload", &id, &repo).await;
    wait_transfer(&server, "upload", &job).await;
    // `--status-id --abort`: reads `error` of the answer.
    let body = json!({"uploadId": job, "abort": true});
    let answer = post(&server, &format!("{DB}/_admin/backup/upload"), &body).await;
    assert_eq!(checked(&answer)["error"], false);

    // `delete --identifier`, then `download` it back.
    let answer = post(
        &server,
        &format!("{DB}/_admin/backup/delete"),
        &json!({ "id": id }),
    )
    .await;
    checked(&answer);
    let job = initiate(&server, "download", &id, &repo).await;
    wait_transfer(&server, "download", &job).await;
    assert!(server.ids().await.contains(&id));
}

#[tokio::test]
async fn restore_waits_for_the_restart() {
    let server = Server::start().await;
    let original = data_digest(&server.data);
    connect(&server).await;
    let body = json!({"timeout": 60.0, "allowInconsistent": false});
    let answer = post(&server, &format!("{DB}/_admin/backup/create"), &body).await;
    let id = checked(&answer)["result"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    crate::common::write(&server.data.join("later"), b"after the backup");
    // arangobackup's wait is only meaningful for a server that has been up for longer
    // than its first sleep (one second), with ArangoDB as with Ferry (docs/clients.md).
    until("the server has been up for 3 s", || async {
        (uptime(&server).await >= 3.0).then_some(())
    })
    .await;

    // `restore --identifier <id> --max-wait-for-restart 60`.
    let max_wait = 60.0;
    let original_uptime = uptime(&server).await;
    let answer = post(
        &server,
        &format!("{DB}/_admin/backup/restore"),
        &json!({ "id": id }),
    )
    .await;
    let result = &checked(&answer)["result"];
    assert_eq!(
        result["isCluster"], false,
        "a single server: wait for the restart"
    );
    // `waitForRestart`: sleep once, then a connect and an uptime a second, until the uptime
    // is below the one read before the restore.
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(1)).await;
    loop {
        assert!(
            started.elapsed().as_secs_f64() < max_wait,
            "Server failed to respond to requests in the expected timeframe."
        );
        connect(&server).await;
        if uptime(&server).await < original_uptime {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    assert_eq!(data_digest(&server.data), original, "the restored data");
}
