//! Issue 12, item 4: what API clients' jobs may hold. Jobs beyond `--max-jobs` wait as
//! `ACK` and start in order; an abort ends a job in every phase, queued or stalled on a
//! server that never answers; finished jobs are forgotten on schedule while the server
//! runs; a restore keeps `--keep-failsafe` copies; messages are capped whatever their
//! source.

use std::fs;

use serde_json::{Value, json};

use crate::harness::{Kind, Options, Server, TIMEOUT, job_state, local_config, local_repo, parse};
use crate::silent::{REPO, Silent};

async fn server_with(args: &[&str]) -> Server {
    Server::with(Options {
        args: args.iter().map(|a| a.to_string()).collect(),
        ..Options::default()
    })
    .await
}

async fn abort(server: &Server, kind: Kind, job: &str) -> Value {
    let (code, answer) = server
        .post(kind.path(), json!({ kind.id_attr(): job, "abort": true }))
        .await;
    assert_eq!(code, 202, "{answer}");
    answer["result"].clone()
}

/// Waits until `job` is running (STARTED).
async fn started(server: &Server, kind: Kind, job: &str) {
    server
        .wait_until(kind, job, |s| job_state(s) == "STARTED")
        .await;
}

/// Ends `job` by abort and checks that it went CANCELLED (not FAILED on a timeout).
async fn aborted(server: &Server, kind: Kind, job: &str) -> Value {
    let answer = abort(server, kind, job).await;
    assert_eq!(answer["Cancelled"], json!(true), "{answer}");
    let status = server.wait_job(kind, job).await;
    assert_eq!(
        job_state(&status),
        "CANCELLED",
        "{status}\n{}",
        server.stderr()
    );
    assert_eq!(status["Cancelled"], json!(true));
    status
}

#[tokio::test]
async fn jobs_beyond_max_jobs_wait_as_ack_start_in_order_and_abort_at_once() {
    let silent = Silent::start().await;
    let server = server_with(&["--max-jobs", "1"]).await;
    let id = server.create_id("queued").await;
    let repo = local_repo(&server.root.path().join("repo"));

    // The one slot: an upload stalled in its first listing.
    let stalled = (server.start_job(Kind::Upload, &id, REPO, silent.s3_config())).await;
    started(&server, Kind::Upload, &stalled).await;
    let second = (server.start_job(Kind::Upload, &id, REPO, silent.s3_config())).await;
    let third = (server.start_job(Kind::Upload, &id, &repo, local_config())).await;
    let dropped = (server.start_job(Kind::Upload, &id, &repo, local_config())).await;
    for job in [&second, &third, &dropped] {
        let status = server.status(Kind::Upload, job).await;
        assert_eq!(job_state(&status), "ACK", "queued: {status}");
    }
    // Aborted while queued: it ends without ever running.
    aborted(&server, Kind::Upload, &dropped).await;

    // The slot frees: the next in order starts (and stalls), the one after still waits.
    aborted(&server, Kind::Upload, &stalled).await;
    started(&server, Kind::Upload, &second).await;
    let status = server.status(Kind::Upload, &third).await;
    assert_eq!(job_state(&status), "ACK", "still queued: {status}");
    aborted(&server, Kind::Upload, &second).await;
    server.wait_completed(Kind::Upload, &third).await;
    assert!(
        server
            .root
            .path()
            .join("repo")
            .join(&id)
            .join("META")
            .is_file()
    );
}

#[tokio::test]
async fn abort_ends_a_download_stalled_on_its_meta_read() {
    let silent = Silent::start().await;
    let server = Server::start().await;
    let job = (server.start_job(
        Kind::Download,
        "2026-01-01T00.00.00Z_never",
        REPO,
        silent.s3_config(),
    ))
    .await;
    started(&server, Kind::Download, &job).await;
    // The request that stalls has reached the silent server.
    let waited = std::time::Instant::now();
    while silent.accepted() == 0 {
        assert!(
            waited.elapsed() < TIMEOUT,
            "no request reached the silent server"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    aborted(&server, Kind::Download, &job).await;
    assert!(server.ids().await.is_empty(), "nothing downloaded");
}

#[tokio::test]
async fn finished_jobs_are_forgotten_while_the_server_runs() {
    let silent = Silent::start().await;
    let server = server_with(&["--job-retention", "1s"]).await;
    let id = server.create_id("pruned").await;
    let repo = local_repo(&server.root.path().join("repo"));
    let running = (server.start_job(Kind::Upload, &id, REPO, silent.s3_config())).await;
    started(&server, Kind::Upload, &running).await;
    let done = (server.start_job(Kind::Upload, &id, &repo, local_config())).await;
    server.wait_completed(Kind::Upload, &done).await;
    let record = server.state.join(format!("jobs/{done}.json"));
    assert!(record.exists());

    let waited = std::time::Instant::now();
    loop {
        let (code, text) = (server.request(
            "POST",
            Kind::Upload.path(),
            Some(json!({ "uploadId": done }).to_string().into_bytes()),
        ))
        .await;
        if code == 404 {
            assert_eq!(parse(&text)["errorNum"], json!(404), "{text}");
            break;
        }
        assert_eq!(code, 200, "{text}");
        assert!(waited.elapsed() < TIMEOUT, "job {done} still kept: {text}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(!record.exists(), "its record is removed too");
    // A running job is never forgotten, however old.
    let status = server.status(Kind::Upload, &running).await;
    assert_eq!(job_state(&status), "STARTED", "{status}");
    assert!(server.state.join(format!("jobs/{running}.json")).exists());
    aborted(&server, Kind::Upload, &running).await;
}

/// Failsafe copies next to the data directory, oldest first.
fn failsafes(server: &Server) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(server.root.path())
        .expect("read_dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("data.failsafe-"))
        .collect();
    names.sort_by_key(|n| {
        let (stamp, n) = n.split_once('_').map_or((n.as_str(), 1), |(s, n)| {
            (s, n.parse::<u32>().expect("number"))
        });
        (stamp.to_owned(), n)
    });
    names
}

async fn restore(server: &Server, id: &str) -> String {
    let result = server.ok("restore", json!({ "id": id }), 200).await;
    result["previous"].as_str().expect("previous").to_owned()
}

#[tokio::test]
async fn restores_keep_the_newest_failsafe_copies() {
    let server = Server::start().await;
    let id = server.create_id("restored").await;
    let first = restore(&server, &id).await;
    assert_eq!(failsafes(&server), [first]);
    let second = restore(&server, &id).await;
    assert_eq!(failsafes(&server), [second], "the default keeps one");

    let server = server_with(&["--keep-failsafe", "2"]).await;
    let id = server.create_id("restored").await;
    let mut previous = Vec::new();
    for _ in 0..4 {
        previous.push(restore(&server, &id).await);
        let kept = failsafes(&server);
        assert_eq!(
            kept,
            previous[previous.len().saturating_sub(2)..],
            "{kept:?}"
        );
    }
    // Only what Ferry named is removed.
    fs::create_dir(server.root.path().join("data.failsafe-keep-me")).expect("mkdir");
    restore(&server, &id).await;
    assert!(server.root.path().join("data.failsafe-keep-me").is_dir());
}

#[tokio::test]
async fn messages_are_capped_whatever_their_source() {
    let server = server_with(&["--local-path-prefix", "/ferry-prefix"]).await;
    let id = server.create_id("capped").await;
    let long = format!("local:/{}", vec!["a".repeat(200); 15].join("/"));
    let message = (server.fails(
        "upload",
        json!({"id": id, "remoteRepository": long, "config": local_config()}),
        400,
        7008,
    ))
    .await;
    assert!(
        message.len() <= 1024 && message.contains(" ... "),
        "{message}"
    );

    // A job's own failure, naming a long repository path.
    let server = Server::start().await;
    let deep = server.root.path().join(vec!["b".repeat(200); 15].join("/"));
    let job = (server.start_job(
        Kind::Download,
        "2026-01-01T00.00.00Z_absent",
        &local_repo(&deep),
        local_config(),
    ))
    .await;
    let status = server.wait_job(Kind::Download, &job).await;
    assert_eq!(job_state(&status), "FAILED", "{status}");
    let message = status["DBServers"]["SNGL"]["ErrorMessage"]
        .as_str()
        .expect("message");
    assert!(
        message.len() <= 1024 && message.contains(" ... "),
        "{message}"
    );
    let record: Value = serde_json::from_slice(
        &fs::read(server.state.join(format!("jobs/{job}.json"))).expect("record"),
    )
    .expect("json");
    assert_eq!(record["errorMessage"], json!(message));
}
