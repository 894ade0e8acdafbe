//! docs/hot-backup-api.md §1: routes, methods, suffixes, request bodies, envelopes,
//! `/_api/version`.

use serde_json::{Value, json};

use crate::harness::{Kind, Server, check_status, error, local_config, local_repo, parse, success};

const OPS: [&str; 6] = ["create", "restore", "delete", "list", "upload", "download"];
const PREFIXES: [&str; 2] = ["", "/_db/_system"];

#[tokio::test]
async fn version_answers_ferry() {
    let server = Server::start().await;
    for prefix in PREFIXES {
        let (code, text) = server
            .request("GET", &format!("{prefix}/_api/version"), None)
            .await;
        assert_eq!(code, 200, "{text}");
        let v = parse(&text);
        assert_eq!(
            v,
            json!({"server": "ferry", "version": env!("CARGO_PKG_VERSION"), "license": "community"}),
        );
    }
}

#[tokio::test]
async fn every_operation_answers_under_both_prefixes() {
    let server = Server::start().await;
    for prefix in PREFIXES {
        let path = |op: &str| format!("{prefix}/_admin/backup/{op}");
        // list: an empty body, `{}`, and a trailing slash are all the list operation.
        for body in [&b""[..], b"{}", b"  \n"] {
            let (code, answer) = server.post_raw(&path("list"), body).await;
            assert_eq!(code, 200, "{answer}");
            let result = success(&answer, 200);
            assert!(result["list"].is_object(), "{answer}");
        }
        let (code, answer) = server.post(&path("list/"), json!({})).await;
        assert_eq!(code, 200, "trailing slash: {answer}");

        let (code, answer) = server.post(&path("create"), json!({"label": "p"})).await;
        assert_eq!(code, 201, "{answer}");
        let id = success(&answer, 201)["id"].as_str().expect("id").to_owned();
        let (code, answer) = server.post(&path("list"), json!({ "id": id })).await;
        assert_eq!(code, 200, "{answer}");
        let (code, answer) = server.post(&path("restore"), json!({ "id": id })).await;
        assert_eq!(code, 200, "{answer}");
        // upload / download answer (status of a job that does not exist: 404 from the
        // operation itself, not from routing).
        for (op, attr) in [("upload", "uploadId"), ("download", "downloadId")] {
            let (code, answer) = server.post(&path(op), json!({ attr: "999999" })).await;
            assert_eq!(code, 404, "{op}: {answer}");
            error(&answer, 404, 404);
        }
        // A real job, started and followed under this prefix.
        let repo = local_repo(&server.root.path().join(format!("repo{}", prefix.len())));
        let body = json!({"id": id, "remoteRepository": repo, "config": local_config()});
        let (code, answer) = server.post(&path("upload"), body).await;
        assert_eq!(code, 202, "{answer}");
        let job = success(&answer, 202)["uploadId"]
            .as_str()
            .expect("uploadId")
            .to_owned();
        let (code, answer) = server
            .post(&path("upload"), json!({ "uploadId": job }))
            .await;
        assert_eq!(code, 200, "{answer}");
        check_status(Kind::Upload, &job, &success(&answer, 200));
        server.wait_completed(Kind::Upload, &job).await;
        let (code, answer) = server.post(&path("delete"), json!({ "id": id })).await;
        assert_eq!(code, 200, "{answer}");
        assert_eq!(success(&answer, 200), json!({}));
    }
}

#[tokio::test]
async fn other_methods_are_405_on_every_suffix() {
    let server = Server::start().await;
    for prefix in PREFIXES {
        for op in OPS.iter().chain(&["foo", "create/x"]) {
            for method in ["GET", "PUT", "DELETE", "PATCH"] {
                let path = format!("{prefix}/_admin/backup/{op}");
                let (code, text) = server.request(method, &path, None).await;
                assert_eq!(code, 405, "{method} {path}: {text}");
                let message = error(&parse(&text), 405, 405);
                assert_eq!(
                    message, "backup endpoint only handles POST requests",
                    "{method} {path}"
                );
            }
        }
    }
    // Nothing was created by any of them.
    assert!(server.ids().await.is_empty());
}

#[tokio::test]
async fn unknown_and_superfluous_suffixes() {
    let server = Server::start().await;
    for prefix in PREFIXES {
        for op in ["foo", "Create", "lists", "_"] {
            let (code, answer) = server
                .post(&format!("{prefix}/_admin/backup/{op}"), json!({}))
                .await;
            assert_eq!(code, 400, "{op}: {answer}");
            error(&answer, 400, 400);
        }
        for path in ["create/x", "list/a/b", "foo/bar", "upload/10000"] {
            let (code, answer) = server
                .post(&format!("{prefix}/_admin/backup/{path}"), json!({}))
                .await;
            assert_eq!(code, 400, "{path}: {answer}");
            error(&answer, 400, 601);
        }
    }
    assert!(server.ids().await.is_empty(), "create/x created nothing");
}

#[tokio::test]
async fn bodies_that_are_not_objects_are_600() {
    let server = Server::start().await;
    for op in OPS {
        for body in [
            &b"[1]"[..],
            b"\"x\"",
            b"{bad",
            b"null",
            b"42",
            b"{\"id\": 1",
            b"{} {}",
        ] {
            let path = format!("/_admin/backup/{op}");
            let (code, answer) = server.post_raw(&path, body).await;
            assert_eq!(
                code,
                400,
                "{op} {:?}: {answer}",
                String::from_utf8_lossy(body)
            );
            error(&answer, 400, 600);
        }
    }
    assert!(server.ids().await.is_empty());
}

/// A wrongly typed attribute: 400, errorNum 10, and the message names it.
async fn bad_type(server: &Server, op: &str, body: Value, attribute: &str) {
    let message = server.fails(op, body.clone(), 400, 10).await;
    assert!(
        message.contains(attribute),
        "{op} {body}: message must name {attribute:?}: {message}"
    );
}

#[tokio::test]
async fn wrongly_typed_attributes_are_10_and_named() {
    let server = Server::start().await;
    bad_type(&server, "create", json!({"label": 5}), "label").await;
    bad_type(&server, "create", json!({"label": ["a"]}), "label").await;
    bad_type(&server, "create", json!({"timeout": "x"}), "timeout").await;
    bad_type(&server, "create", json!({"timeout": true}), "timeout").await;
    bad_type(
        &server,
        "create",
        json!({"allowInconsistent": "yes"}),
        "allowInconsistent",
    )
    .await;
    bad_type(&server, "create", json!({"force": 1}), "force").await;
    for op in ["list", "delete", "restore"] {
        bad_type(&server, op, json!({"id": 3}), "id").await;
        bad_type(&server, op, json!({"id": {"a": 1}}), "id").await;
    }
    bad_type(&server, "upload", json!({"uploadId": 5}), "uploadId").await;
    bad_type(&server, "download", json!({"downloadId": 5}), "downloadId").await;
    bad_type(
        &server,
        "upload",
        json!({"uploadId": "10000", "abort": "yes"}),
        "abort",
    )
    .await;
    bad_type(
        &server,
        "upload",
        json!({"id": 1, "remoteRepository": "local:/tmp", "config": {"local": {"type": "local"}}}),
        "id",
    )
    .await;
    bad_type(
        &server,
        "upload",
        json!({"id": "x", "remoteRepository": 7, "config": {"local": {"type": "local"}}}),
        "remoteRepository",
    )
    .await;
    bad_type(
        &server,
        "download",
        json!({"id": "x", "remoteRepository": "local:/tmp", "config": "local"}),
        "config",
    )
    .await;
    // The typed check comes before any work: nothing was created.
    assert!(server.ids().await.is_empty());
}

#[tokio::test]
async fn oversized_body_is_400_not_500_or_a_hang() {
    let server = Server::start().await;
    let label = "a".repeat(2 << 20);
    let body = json!({ "label": label }).to_string().into_bytes();
    let (code, answer) = server.post_alone("/_admin/backup/create", body).await;
    assert_eq!(code, 400, "{answer}");
    assert_eq!(answer["error"], true, "{answer}");
    assert_eq!(answer["code"], 400, "{answer}");
    // Still serving, nothing created.
    assert!(server.ids().await.is_empty());
}
