//! Authentication like ArangoDB: with a JWT secret or a root password configured, every request
//! without valid credentials is 401 / errorNum 11; the secret never appears in the log.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::harness::{Options, Server};

const SECRET: &str = "jwt-s3cret-that-must-never-show";
const PASSWORD: &str = "root-pa55word-that-must-never-show";

fn jwt(secret: &str) -> String {
    let h = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#);
    let p = URL_SAFE_NO_PAD.encode(r#"{"iss":"arangodb","server_id":"test"}"#);
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(format!("{h}.{p}").as_bytes());
    format!(
        "{h}.{p}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

async fn code(
    server: &Server,
    path: &str,
    authorization: Option<&str>,
) -> (u16, serde_json::Value) {
    let mut request = reqwest::Client::new().post(server.url(path)).body("{}");
    if let Some(a) = authorization {
        request = request.header("Authorization", a);
    }
    let response = request.send().await.expect("answer");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

#[tokio::test]
async fn every_request_needs_credentials_when_configured() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (jwt_file, pw_file) = (dir.path().join("jwt"), dir.path().join("pw"));
    std::fs::write(&jwt_file, format!("{SECRET}\n")).expect("write");
    std::fs::write(&pw_file, PASSWORD).expect("write");
    let server = Server::with(Options {
        args: vec![
            "--jwt-secret-file".into(),
            jwt_file.to_string_lossy().into_owned(),
            "--password-file".into(),
            pw_file.to_string_lossy().into_owned(),
        ],
        ..Options::default()
    })
    .await;
    let basic = |u: &str, p: &str| format!("Basic {}", STANDARD.encode(format!("{u}:{p}")));
    let good_jwt = format!("bearer {}", jwt(SECRET));
    let bad_jwt = format!("bearer {}", jwt("wrong"));
    for path in [
        "/_admin/backup/list",
        "/_db/_system/_admin/backup/create",
        "/_admin/metrics",
        "/nowhere",
    ] {
        for authorization in [
            None,
            Some(bad_jwt.as_str()),
            Some(&basic("root", "nope")),
            Some(&basic("other", PASSWORD)),
            Some("Bearer"),
            Some("garbage"),
        ] {
            let (status, body) = code(&server, path, authorization).await;
            assert_eq!(status, 401, "{path} {authorization:?}: {body}");
            assert_eq!(body["errorNum"], 11, "{path}: {body}");
        }
    }
    let (status, body) = code(&server, "/_admin/backup/list", Some(&good_jwt)).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = code(
        &server,
        "/_admin/backup/list",
        Some(&basic("root", PASSWORD)),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let log = server.stderr();
    assert!(!log.contains(SECRET) && !log.contains(PASSWORD), "{log}");
}
