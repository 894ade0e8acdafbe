//! Configs sent through the API cannot use the host's credentials (issue 12, item 1): the
//! metadata services are faked on loopback through the providers' own variables, and must
//! never be called; the operator's own sections (`--config`) and the explicit opt-in
//! (`--allow-ambient-credentials`) may use them.

use serde_json::{Value, json};

use crate::fake::{Fake, metadata_env};
use crate::harness::{Kind, Options, Server};

/// The sections that would use the host's credentials, sent at `endpoint`.
fn ambient_sections(endpoint: &str) -> Vec<Value> {
    vec![
        json!({"type": "s3", "env_auth": true, "endpoint": endpoint}),
        json!({"type": "azureblob", "account": "acct", "use_msi": true, "endpoint": endpoint}),
        json!({"type": "azureblob", "account": "acct", "env_auth": true, "endpoint": endpoint}),
        json!({"type": "azureblob", "account": "acct", "endpoint": endpoint}),
        json!({"type": "gcs", "endpoint": endpoint}),
        json!({"type": "gcs", "endpoint": endpoint, "service_account_file": "/etc/passwd"}),
        json!({"type": "gcs", "endpoint": endpoint, "service_account_file": "/nonexistent/key.json"}),
    ]
}

fn upload(id: &str, config: Value) -> Value {
    json!({"id": id, "remoteRepository": "r:bucket/x", "config": config})
}

#[tokio::test]
async fn client_configs_cannot_use_the_hosts_credentials() {
    let metadata = Fake::status(404, "").await;
    let endpoint = Fake::echo().await;
    let server = Server::with(Options {
        env: metadata_env(&metadata),
        ..Options::default()
    })
    .await;
    let id = server.create_id("ambient").await;
    let mut messages = Vec::new();
    for section in ambient_sections(&endpoint.url()) {
        let message = server
            .fails("upload", upload(&id, json!({ "r": section })), 400, 7008)
            .await;
        assert!(
            message.contains("--allow-ambient-credentials"),
            "{section}: {message}"
        );
        messages.push(message);
        server
            .fails("download", upload(&id, json!({ "r": section })), 400, 7008)
            .await;
    }
    // Whether a file exists on the server is not told.
    assert_eq!(messages[5], messages[6]);
    assert!(!messages[5].contains("passwd"), "{}", messages[5]);
    assert_eq!(metadata.calls(), Vec::<String>::new());
    assert_eq!(endpoint.calls(), Vec::<String>::new());
    // Sections that bring their own credentials, or none, are fine.
    let own = json!({"r": {"type": "s3", "endpoint": endpoint.url(),
                           "access_key_id": "AKIAOWN", "secret_access_key": "own-secret"}});
    let job = server.start_job(Kind::Upload, &id, "r:bucket/x", own).await;
    let status = server.wait_job(Kind::Upload, &job).await;
    assert_eq!(status["DBServers"]["SNGL"]["Status"], "FAILED", "{status}");
    assert!(!endpoint.calls().is_empty());
    assert_eq!(metadata.calls(), Vec::<String>::new());
}

/// The opt-in really lets the host's credentials be used (so the test above can fail).
#[tokio::test]
async fn the_operator_may_allow_them() {
    let metadata = Fake::status(404, "").await;
    let endpoint = Fake::echo().await;
    let server = Server::with(Options {
        env: metadata_env(&metadata),
        args: vec!["--allow-ambient-credentials".into()],
        ..Options::default()
    })
    .await;
    let id = server.create_id("allowed").await;
    let section = json!({"r": {"type": "s3", "env_auth": true, "endpoint": endpoint.url()}});
    let job = server
        .start_job(Kind::Upload, &id, "r:bucket/x", section)
        .await;
    let calls = metadata.wait_called().await;
    assert!(calls.iter().any(|c| c.contains("/latest/")), "{calls:?}");
    drop((job, server));
}

/// The operator's sections are named by requests, keep the host's trust, and their
/// secrets stay in the operator's file: not in the job's record.
#[tokio::test]
async fn the_operators_sections_are_named_without_their_secrets() {
    let metadata = Fake::status(404, "").await;
    let endpoint = Fake::echo().await;
    let root = tempfile::tempdir().expect("tempdir");
    let file = root.path().join("repositories.json");
    let sections = json!({
        "keys": {"type": "s3", "endpoint": endpoint.url(),
                 "access_key_id": "AKIAOPERATOR", "secret_access_key": "operator-secret-9"},
        "role": {"type": "s3", "env_auth": true, "endpoint": endpoint.url()},
    });
    std::fs::write(&file, sections.to_string()).expect("write config");
    let server = Server::with(Options {
        env: metadata_env(&metadata),
        args: vec!["--config".into(), file.display().to_string()],
        ..Options::default()
    })
    .await;
    let id = server.create_id("named").await;
    for config in [json!("keys"), json!({}), json!({"keys": {}})] {
        let job = server
            .start_job(Kind::Upload, &id, "keys:bucket/x", config.clone())
            .await;
        server.wait_job(Kind::Upload, &job).await;
        let record =
            std::fs::read_to_string(server.state.join(format!("jobs/{job}.json"))).expect("record");
        assert!(!record.contains("operator-secret-9"), "{record}");
        assert!(!record.contains("AKIAOPERATOR"), "{record}");
    }
    let calls = endpoint.calls();
    assert!(
        calls.iter().any(|c| c.contains("Credential=AKIAOPERATOR/")),
        "the operator's keys signed the requests: {calls:?}"
    );
    // A client may not redefine an operator's section.
    let theirs = json!({"keys": {"type": "s3", "endpoint": endpoint.url()}});
    server
        .fails("upload", upload_to(&id, "keys:bucket/x", theirs), 400, 7008)
        .await;
    server
        .fails(
            "upload",
            upload_to(&id, "x:bucket/x", json!("nope")),
            400,
            7008,
        )
        .await;
    // The operator's section with env_auth uses the host's role, as the CLI would.
    let job = server
        .start_job(Kind::Upload, &id, "role:bucket/x", json!("role"))
        .await;
    metadata.wait_called().await;
    drop((job, server));
}

fn upload_to(id: &str, repository: &str, config: Value) -> Value {
    json!({"id": id, "remoteRepository": repository, "config": config})
}
