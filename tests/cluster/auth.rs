//! Authentication: the coordinator forwards the client's credentials; the DB servers'
//! internal routes refuse requests without them exactly as the API does.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::fixture::Cluster;
use crate::harness::Server;

const PASSWORD: &str = "cluster-pa55word-that-must-never-show";

async fn post(server: &Server, path: &str, authorization: Option<&str>) -> (u16, Value) {
    let mut request = reqwest::Client::new().post(server.url(path)).body("{}");
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
