//! arangojs (`src/databases.ts`, class `Database`: `createHotBackup`, `getHotBackups`,
//! `restoreHotBackup`, `deleteHotBackup`, `createJob`, `job`, `listPendingJobs`,
//! `listCompletedJobs`, `deleteExpiredJobResults`, `deleteAllJobResults`; `src/jobs.ts`,
//! class `Job`: `load`, `getCompleted`, `cancel`, `deleteResult`). `Database.request` puts
//! `/_db/<name>` in front of every path; a status of 400 or more is an `ArangoError`.

use serde_json::{Value, json};

use crate::harness::{Server, data_digest};
use crate::wire::{Answer, post, send, until};

const DB: &str = "/_db/_system";

/// A request as `Database.request` sends it; any answer below 400 is a success.
async fn request(server: &Server, method: &str, path: &str, body: Option<&Value>) -> Answer {
    let answer = send(server, method, &format!("{DB}{path}"), &[], body).await;
    assert!(
        answer.status < 400,
        "ArangoError {}: {}",
        answer.status,
        answer.body
    );
    answer
}

/// `createJob(() => db.createHotBackup(options))`: the trapped request goes out with
/// `x-arango-async: store`; the `Job` gets the `x-arango-async-id` of the answer.
async fn create_job(server: &Server, options: &Value) -> String {
    let answer = send(
        server,
        "POST",
        &format!("{DB}/_admin/backup/create"),
        &[("x-arango-async", "store")],
        Some(options),
    )
    .await;
    assert!(answer.status < 400, "{}", answer.body);
    answer
        .header("x-arango-async-id")
        .expect("jobId")
        .to_owned()
}

/// `Job.getCompleted()`: `GET /_api/job/<id>`, completed when the status is not 204.
async fn completed(server: &Server, job: &str) -> bool {
    request(server, "GET", &format!("/_api/job/{job}"), None)
        .await
        .status
        != 204
}

/// `Job.load()`: `PUT /_api/job/<id>`; a status other than 204 loads the result, here
/// `createHotBackup`'s transform, `res.parsedBody.result`.
async fn load(server: &Server, job: &str) -> Option<Value> {
    let answer = request(server, "PUT", &format!("/_api/job/{job}"), None).await;
    (answer.status != 204).then(|| answer.body["result"].clone())
}

#[tokio::test]
async fn hot_backups_directly_and_as_jobs() {
    let server = Server::start().await;
    let original = data_digest(&server.data);

    // createHotBackup(): body `{}` (the default options); `res.parsedBody.result`.
    let answer = request(&server, "POST", "/_admin/backup/create", Some(&json!({}))).await;
    let first = answer.body["result"].clone();
    for key in ["id", "datetime"] {
        assert!(first[key].is_string(), "{first}");
    }
    for key in ["sizeInBytes", "nrDBServers", "nrFiles"] {
        assert!(first[key].is_u64(), "{first}");
    }
    let first_id = first["id"].as_str().expect("id").to_owned();

    // As a job, with options; pending while a writer holds the data directory.
    let writer = ferry::backup::WriteLock::shared(&server.data).expect("shared lock");
    let job = create_job(&server, &json!({"label": "js", "timeout": 60})).await;
    assert!(!completed(&server, &job).await);
    assert_eq!(load(&server, &job).await, None, "not loaded while pending");
    let pending = request(&server, "GET", "/_api/job/pending", None).await;
    assert_eq!(pending.body, json!([job]));
    // Job.cancel(): accepted; Ferry's create is atomic and finishes (docs/clients.md).
    let cancel = request(&server, "PUT", &format!("/_api/job/{job}/cancel"), None).await;
    assert_eq!(cancel.body, json!({"result": true}));
    writer.release();
    until("job completed", || async {
        completed(&server, &job).await.then_some(())
    })
    .await;
    let done = request(&server, "GET", "/_api/job/done", None).await;
    assert_eq!(done.body, json!([job]));
    let result = load(&server, &job).await.expect("loaded");
    let second_id = result["id"].as_str().expect("id").to_owned();
    assert!(second_id.ends_with("_js"), "{result}");

    // getHotBackups(): no body; `result.list` with the META fields it types.
    let answer = request(&server, "POST", "/_admin/backup/list", None).await;
    let list = &answer.body["result"]["list"];
    assert!(answer.body["result"]["server"].is_string());
    for id in [&first_id, &second_id] {
        let b = &list[id.as_str()];
        assert!(b["version"].is_string() && b["keys"].is_array(), "{b}");
        assert!(
            b["available"].is_boolean() && b["countIncludesFilesOnly"] == true,
            "{b}"
        );
        assert!(b["nrPiecesPresent"].is_u64(), "{b}");
    }
    // getHotBackups(id): `{id}`.
    let answer = request(
        &server,
        "POST",
        "/_admin/backup/list",
        Some(&json!({ "id": first_id })),
    )
    .await;
    assert_eq!(
        answer.body["result"]["list"].as_object().map(|l| l.len()),
        Some(1)
    );

    // restoreHotBackup(id): `res.parsedBody.result.previous`.
    crate::common::write(&server.data.join("later"), b"x");
    let answer = request(
        &server,
        "POST",
        "/_admin/backup/restore",
        Some(&json!({ "id": first_id })),
    )
    .await;
    assert!(
        answer.body["result"]["previous"].is_string(),
        "{}",
        answer.body
    );
    assert_eq!(data_digest(&server.data), original);
    // deleteHotBackup(id): `{id}`, the answer is not read.
    request(
        &server,
        "POST",
        "/_admin/backup/delete",
        Some(&json!({ "id": second_id })),
    )
    .await;
}

#[tokio::test]
async fn job_results_are_deleted() {
    let server = Server::start().await;
    let mut jobs = Vec::new();
    for _ in 0..3 {
        jobs.push(create_job(&server, &json!({})).await);
    }
    for job in &jobs {
        until("job completed", || async {
            completed(&server, job).await.then_some(())
        })
        .await;
    }
    // Job.deleteResult(): `DELETE /_api/job/<id>`; the result is gone.
    request(&server, "DELETE", &format!("/_api/job/{}", jobs[0]), None).await;
    let gone = send(
        &server,
        "PUT",
        &format!("{DB}/_api/job/{}", jobs[0]),
        &[],
        None,
    )
    .await;
    crate::check::error(&gone.body, 404, 404);
    // deleteExpiredJobResults(threshold ms): `?stamp=<threshold / 1000>`; an old threshold
    // keeps everything, a future one removes everything older.
    request(&server, "DELETE", "/_api/job/expired?stamp=1000.5", None).await;
    let done = request(&server, "GET", "/_api/job/done", None).await;
    assert_eq!(done.body, json!([jobs[1], jobs[2]]));
    let future = (chrono::Utc::now().timestamp_millis() + 60_000) as f64 / 1000.0;
    request(
        &server,
        "DELETE",
        &format!("/_api/job/expired?stamp={future}"),
        None,
    )
    .await;
    let done = request(&server, "GET", "/_api/job/done", None).await;
    assert_eq!(done.body, json!([]));
    // deleteAllJobResults(): `DELETE /_api/job/all`.
    let job = create_job(&server, &json!({})).await;
    until("job completed", || async {
        completed(&server, &job).await.then_some(())
    })
    .await;
    request(&server, "DELETE", "/_api/job/all", None).await;
    let done = request(&server, "GET", "/_api/job/done", None).await;
    assert_eq!(done.body, json!([]));
    // Every create ran: four backups, none lost.
    let list = post(&server, "/_admin/backup/list", &json!({})).await;
    assert_eq!(
        list.expect(200)["list"].as_object().map(|l| l.len()),
        Some(4)
    );
}
