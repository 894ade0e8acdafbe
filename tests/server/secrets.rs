//! docs/hot-backup-api.md §5, §6 and docs/security.md: a secret access key never shows in a
//! status, an error answer, the metrics or the server's log, whether the job succeeds, fails or
//! is refused.

use serde_json::{Value, json};

use crate::harness::{Kind, Options, Server, job_state};
use crate::s3::{S3, random_prefix};

/// Collects every answer text and checks that none holds the secret.
#[derive(Debug)]
struct Watch {
    secret: String,
    seen: usize,
}

impl Watch {
    fn check(&mut self, what: &str, text: &str) {
        self.seen += 1;
        assert!(
            !text.contains(&self.secret),
            "the secret leaked in {what}: {text}"
        );
    }

    async fn post(&mut self, server: &Server, path: &str, body: Value) -> (u16, Value) {
        let (code, text) = server
            .request("POST", path, Some(body.to_string().into_bytes()))
            .await;
        self.check(path, &text);
        (code, crate::harness::parse(&text))
    }

    /// Polls a job to its end, checking every status.
    async fn follow(&mut self, server: &Server, kind: Kind, job: &str) -> Value {
        let started = std::time::Instant::now();
        loop {
            assert!(
                started.elapsed() < crate::harness::TIMEOUT,
                "job {job} not finished after 60 s"
            );
            let (code, answer) = self
                .post(server, kind.path(), json!({ kind.id_attr(): job }))
                .await;
            assert_eq!(code, 200, "{answer}");
            let status = answer["result"].clone();
            if matches!(job_state(&status), "COMPLETED" | "FAILED" | "CANCELLED") {
                return status;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
    }

    async fn start(&mut self, server: &Server, kind: Kind, body: Value) -> (u16, Value) {
        self.post(server, kind.path(), body).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secret_access_key_never_appears() {
    let secret = format!("FerrySecret{}", uuid::Uuid::new_v4().simple());
    let mut watch = Watch {
        secret: secret.clone(),
        seen: 0,
    };
    let server = Server::with(Options {
        env: vec![("FERRY_LOG".into(), "debug".into())],
        ..Options::default()
    })
    .await;
    let id = server.create_id("secret").await;

    // moto accepts any key: a job that completes, both ways.
    let mut moto = S3::moto();
    moto.secret_access_key = secret.clone();
    let prefix = random_prefix("secret");
    let repo = moto.repository(&prefix);
    let body = json!({"id": id, "remoteRepository": repo, "config": moto.config()});
    let (code, answer) = watch.start(&server, Kind::Upload, body.clone()).await;
    assert_eq!(code, 202, "{answer}");
    let job = answer["result"]["uploadId"]
        .as_str()
        .expect("uploadId")
        .to_owned();
    let end = watch.follow(&server, Kind::Upload, &job).await;
    assert_eq!(job_state(&end), "COMPLETED", "{end}");
    let (code, _) = watch
        .post(&server, "/_admin/backup/delete", json!({ "id": id }))
        .await;
    assert_eq!(code, 200);
    let (code, answer) = watch.start(&server, Kind::Download, body.clone()).await;
    assert_eq!(code, 202, "{answer}");
    let job = answer["result"]["downloadId"]
        .as_str()
        .expect("downloadId")
        .to_owned();
    let end = watch.follow(&server, Kind::Download, &job).await;
    assert_eq!(job_state(&end), "COMPLETED", "{end}");
    // The download conflicts now: an error answer.
    let (code, _) = watch.start(&server, Kind::Download, body).await;
    assert_eq!(code, 400);

    // s3s-fs checks signatures: the wrong secret fails the job with the remote's message.
    let mut s3s = S3::s3s();
    s3s.secret_access_key = secret.clone();
    let body = json!({"id": id, "remoteRepository": s3s.repository(&random_prefix("secret")), "config": s3s.config()});
    let (code, answer) = watch.start(&server, Kind::Upload, body).await;
    assert_eq!(code, 202, "{answer}");
    let job = answer["result"]["uploadId"]
        .as_str()
        .expect("uploadId")
        .to_owned();
    let end = watch.follow(&server, Kind::Upload, &job).await;
    assert_eq!(job_state(&end), "FAILED", "{end}");
    let num = end["DBServers"]["SNGL"]["Error"].as_i64().expect("Error");
    assert!(num != 0, "{end}");
    let message = end["DBServers"]["SNGL"]["ErrorMessage"]
        .as_str()
        .unwrap_or_default();
    assert!(
        message.contains("SignatureDoesNotMatch"),
        "the remote's own message: {end}"
    );

    // Refused configs holding the secret: bad values next to it, and in its place.
    let mut refused = Vec::new();
    for (option, value) in [
        ("chunk_size", json!("lots")),
        ("force_path_style", json!("maybe")),
        ("acl", json!("bad\nvalue")),
        ("secret_access_key", json!([secret])),
        ("secret_access_key", json!({ "v": secret })),
        ("access_key_id", json!(null)),
    ] {
        let mut config = moto.config();
        config["S3"][option] = value;
        refused.push(config);
    }
    refused.push(json!({"S3": {"type": "s3", "secret_access_key": secret}}));
    for config in refused {
        for kind in [Kind::Upload, Kind::Download] {
            let body = json!({"id": id, "remoteRepository": repo, "config": config});
            let (code, answer) = watch.start(&server, kind, body).await;
            assert!(code == 400 || code == 202, "{config}: {answer}");
            if code == 202 {
                let job = answer["result"][kind.id_attr()].as_str().expect("job");
                watch.follow(&server, kind, job).await;
            }
        }
    }
    let (_, metrics) = server.request("GET", "/_admin/metrics", None).await;
    watch.check("metrics", &metrics);
    let log = server.stderr();
    assert!(
        log.contains("DEBUG") || log.contains("INFO"),
        "debug log on: {log}"
    );
    watch.check("the server's stderr", &log);
    assert!(watch.seen > 20);
    moto.secret_access_key = S3::moto().secret_access_key;
    crate::s3::remove_prefix(&moto, &prefix).await;
}
