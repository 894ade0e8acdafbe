//! `POST /_admin/backup/repository` (Ferry): the listing of a remote repository.

use std::fs;

use serde_json::json;

use crate::fake::{Fake, metadata_env};
use crate::harness::*;

#[tokio::test]
async fn lists_complete_incomplete_and_damaged_backups() {
    let server = Server::start().await;
    let repo_dir = server.root.path().join("repo");
    fs::create_dir_all(&repo_dir).expect("mkdir");
    let repo = local_repo(&repo_dir);
    let mut ids = Vec::new();
    for label in ["complete", "incomplete", "damaged"] {
        let id = server.create_id(label).await;
        server.upload_completed(&id, &repo, local_config()).await;
        ids.push(id);
    }
    fs::remove_file(repo_dir.join(&ids[1]).join("META")).expect("rm META");
    let sums = fs::read_to_string(repo_dir.join(&ids[2]).join("SHA256SUMS")).expect("sums");
    let lost = sums
        .lines()
        .next()
        .expect("a file")
        .split_once("  ")
        .expect("line")
        .1;
    fs::remove_file(repo_dir.join(&ids[2]).join(lost)).expect("rm a file");

    let result = server
        .ok(
            "repository",
            json!({"remoteRepository": repo, "config": local_config()}),
            200,
        )
        .await;
    let backups = result["backups"].as_array().expect("backups");
    let states: Vec<(&str, &str)> = backups
        .iter()
        .map(|b| {
            (
                b["id"].as_str().expect("id"),
                b["state"].as_str().expect("state"),
            )
        })
        .collect();
    let mut want = vec![
        (ids[0].as_str(), "complete"),
        (ids[1].as_str(), "incomplete"),
        (ids[2].as_str(), "damaged"),
    ];
    want.sort();
    assert_eq!(states, want, "{result}");
    let complete = backups
        .iter()
        .find(|b| b["id"] == ids[0].as_str())
        .expect("listed");
    let listed = server.list().await;
    let meta = &listed["list"][&ids[0]];
    assert_eq!(complete["datetime"], meta["datetime"], "{complete}");
    assert!(complete["files"].as_u64().expect("files") > 0, "{complete}");
    assert!(complete["bytes"].as_u64().expect("bytes") > 0, "{complete}");
    let damaged = backups
        .iter()
        .find(|b| b["id"] == ids[2].as_str())
        .expect("listed");
    assert_eq!(
        damaged["problems"],
        json!([format!("missing: {lost}")]),
        "{damaged}"
    );
    // Also under a database prefix, as every route.
    let (code, answer) = server
        .post(
            "/_db/_system/_admin/backup/repository",
            json!({"remoteRepository": repo, "config": local_config()}),
        )
        .await;
    assert_eq!(code, 200, "{answer}");
}

#[tokio::test]
async fn bad_requests_are_refused() {
    let server = Server::start().await;
    let repo = local_repo(&server.root.path().join("repo"));
    server
        .fails("repository", json!({"config": local_config()}), 400, 10)
        .await;
    server
        .fails("repository", json!({"remoteRepository": repo}), 400, 10)
        .await;
    server
        .fails(
            "repository",
            json!({"remoteRepository": "nosection:/x", "config": local_config()}),
            400,
            7008,
        )
        .await;
    server
        .fails(
            "repository",
            json!({"remoteRepository": repo, "config": {"local": {"type": "nonsense"}}}),
            400,
            7008,
        )
        .await;
    // An empty repository lists nothing.
    let result = server
        .ok(
            "repository",
            json!({"remoteRepository": repo, "config": local_config()}),
            200,
        )
        .await;
    assert_eq!(result["backups"], json!([]), "{result}");
}

/// The listing resolves its repository as the jobs do: a client's section may not use the
/// host's credentials nor reach a refused endpoint, and an operator's section is named.
#[tokio::test]
async fn the_listing_has_the_jobs_credential_and_endpoint_policy() {
    let metadata = Fake::status(404, "").await;
    let endpoint = Fake::echo().await;
    let root = tempfile::tempdir().expect("tempdir");
    let file = root.path().join("repositories.json");
    let sections = json!({"ops": {"type": "local"}});
    fs::write(&file, sections.to_string()).expect("write config");
    let server = Server::with(Options {
        env: metadata_env(&metadata),
        guard_loopback: true,
        args: vec!["--config".into(), file.display().to_string()],
        ..Options::default()
    })
    .await;
    let ambient = json!({"r": {"type": "s3", "env_auth": true, "region": "eu-west-1"}});
    let message = server
        .fails(
            "repository",
            json!({"remoteRepository": "r:bucket/x", "config": ambient}),
            400,
            7008,
        )
        .await;
    assert!(message.contains("--allow-ambient-credentials"), "{message}");
    let loopback = json!({"r": {"type": "s3", "endpoint": endpoint.url(),
                                "access_key_id": "a", "secret_access_key": "b"}});
    let message = server
        .fails(
            "repository",
            json!({"remoteRepository": "r:bucket/x", "config": loopback}),
            400,
            7008,
        )
        .await;
    assert!(message.contains("--allow-endpoint"), "{message}");
    assert_eq!(endpoint.calls(), Vec::<String>::new());
    assert_eq!(metadata.calls(), Vec::<String>::new());
    // The operator's section, by name.
    let repo = server.root.path().join("ops-repo");
    fs::create_dir_all(&repo).expect("mkdir");
    let result = server
        .ok(
            "repository",
            json!({"remoteRepository": format!("ops:{}", repo.display()), "config": "ops"}),
            200,
        )
        .await;
    assert_eq!(result["backups"], json!([]), "{result}");
}
