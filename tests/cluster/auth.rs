//! Authentication: the coordinator forwards the client's credentials; the DB servers'
//! internal routes refuse requests without them exactly as the API does.

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::fixture::Cluster;
use crate::harness::Server;

const PASSWORD: &str = "cluster-pa55word-that-must-never-show";

const SECRET: &str = "cluster-jwt-s3cret-that-must-never-show";

fn jwt(secret: &str) -> String {
    let h = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#);
    let p = URL_SAFE_NO_PAD.encode(r#"{"iss":"arangodb","server_id":"client"}"#);
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(format!("{h}.{p}").as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("bearer {h}.{p}.{signature}")
}

async fn post(server: &Server, path: &str, authorization: Option<&str>) -> (u16, Value) {
    post_body(server, path, authorization, json!({})).await
}

async fn post_body(
    server: &Server,
    path: &str,
    authorization: Option<&str>,
    body: Value,
) -> (u16, Value) {
    let request = reqwest::Client::new().post(server.url(path));
    let mut request = request.body(body.to_string());
    if let Some(a) = authorization {
        request = request.header("Authorization", a);
    }
    let response = request.send().await.expect("answer");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

#[tokio::test]
async fn credentials_are_forwarded_and_internal_routes_need_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("password");
    std::fs::write(&file, PASSWORD).expect("write");
    let flags = ["--password-file".to_owned(), file.display().to_string()];
    let cluster = Cluster::start_with(2, &flags).await;
    let good = format!("Basic {}", STANDARD.encode(format!("root:{PASSWORD}")));
    let bad = format!("Basic {}", STANDARD.encode("root:wrong"));
    for op in ["id", "lock", "unlock", "create", "transfer", "nothing"] {
        let path = format!("/_ferry/cluster/{op}");
        for authorization in [None, Some(bad.as_str())] {
            let (code, answer) = post(&cluster.dbservers[0], &path, authorization).await;
            assert_eq!(
                (code, &answer["errorNum"]),
                (401, &json!(11)),
                "{path}: {answer}"
            );
        }
    }
    let c = &cluster.coordinator;
    let (code, answer) = post(c, "/_admin/backup/create", None).await;
    assert_eq!(code, 401, "{answer}");
    let (code, answer) = post(c, "/_admin/backup/create", Some(&good)).await;
    assert_eq!(code, 201, "{answer}\n{}", c.stderr());
    let (code, answer) = post(c, "/_admin/backup/list", Some(&good)).await;
    assert_eq!(code, 200, "{answer}");
    assert_eq!(
        answer["result"]["list"].as_object().map(|l| l.len()),
        Some(1)
    );
    for s in cluster.dbservers.iter().chain([c]) {
        assert!(!s.stderr().contains(PASSWORD));
    }
}

/// An upload whose status nobody asks for still ends with the backup's own `META`: the
/// coordinator drives it with its own credentials (basic auth from the root password, or a
/// JWT it signs with the secret).
#[tokio::test]
async fn the_coordinator_finishes_a_job_on_its_own_credentials() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (flag, secret, authorization) in [
        (
            "--password-file",
            PASSWORD,
            format!("Basic {}", STANDARD.encode(format!("root:{PASSWORD}"))),
        ),
        ("--jwt-secret-file", SECRET, jwt(SECRET)),
    ] {
        let file = dir.path().join(flag.trim_start_matches('-'));
        std::fs::write(&file, secret).expect("write");
        let flags = [flag.to_owned(), file.display().to_string()];
        let cluster = Cluster::start_with(2, &flags).await;
        let c = &cluster.coordinator;
        let (code, answer) = post(c, "/_admin/backup/create", Some(&authorization)).await;
        assert_eq!(code, 201, "{answer}\n{}", c.stderr());
        let id = answer["result"]["id"].as_str().expect("id").to_owned();
        let repo_dir = tempfile::tempdir().expect("tempdir");
        let body = json!({"id": id, "remoteRepository": crate::check::local_repo(repo_dir.path()),
            "config": crate::check::local_config()});
        let (code, answer) =
            post_body(c, "/_admin/backup/upload", Some(&authorization), body).await;
        assert_eq!(code, 202, "{answer}");
        let meta = repo_dir.path().join(&id).join("META");
        let started = Instant::now();
        while !meta.is_file() {
            assert!(
                started.elapsed() < crate::harness::TIMEOUT,
                "{flag}: no META of the whole backup\n{}",
                c.stderr()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        for s in cluster.dbservers.iter().chain([c]) {
            assert!(!s.stderr().contains(secret), "{flag}: the secret in a log");
        }
    }
}
