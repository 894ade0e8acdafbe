//! `--retries N` is at most N+1 requests per operation, on every backend: `ferry copy` into
//! a store whose server answers 503 to everything fails after exactly that many requests for
//! its one operation (listing the destination). Retries happen at one level only (the
//! store's retry layer); before, object_store retried inside the engine's retries and
//! `--retries 2` sent 9 requests, the default 119.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use http_body_util::Full;
use hyper::Response;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::net::TcpListener;

use crate::common::{ferry, run, text, write};

/// A real HTTP server that answers every request with 503 and counts them.
struct Unavailable {
    addr: SocketAddr,
    requests: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Unavailable {
    async fn start() -> Unavailable {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let requests = Arc::new(AtomicU64::new(0));
        let counted = requests.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let counted = counted.clone();
                tokio::spawn(async move {
                    let answer = service_fn(move |_request| {
                        counted.fetch_add(1, Ordering::SeqCst);
                        async {
                            let body = Full::new(Bytes::from_static(b"unavailable"));
                            let response = Response::builder()
                                .status(503)
                                .body(body)
                                .expect("response");
                            Ok::<_, Infallible>(response)
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), answer)
                        .await;
                });
            }
        });
        Unavailable {
            addr,
            requests,
            task,
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for Unavailable {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A config section of each kind, pointed at `endpoint`.
fn section(kind: &str, endpoint: &str) -> serde_json::Value {
    match kind {
        "s3" => json!({"type": "s3", "provider": "Other", "endpoint": endpoint,
                       "access_key_id": "id", "secret_access_key": "secret"}),
        "gcs" => json!({"type": "gcs", "anonymous": true, "endpoint": endpoint}),
        "azure" => json!({"type": "azureblob", "account": "devstoreaccount1",
                          "key": "a2V5", "endpoint": format!("{endpoint}/devstoreaccount1")}),
        other => panic!("no section for {other}"),
    }
}

/// Runs `ferry copy` of a one-file tree into `kind` behind a 503 server; returns the
/// requests the server received.
async fn requests_of_a_failed_copy(dir: &Path, kind: &str, retries: Option<usize>) -> u64 {
    let server = Unavailable::start().await;
    let dir = dir.join(kind);
    write(&dir.join("src/file"), b"data");
    let config = dir.join("config.json");
    let sections = json!({ kind: section(kind, &server.url()) });
    std::fs::write(&config, sections.to_string()).expect("config");
    let mut cmd = ferry(&dir.join("state"));
    cmd.arg("copy")
        .arg(dir.join("src"))
        .arg(format!("{kind}:bucket/dir"))
        .arg("--config")
        .arg(&config)
        .arg("--no-progress");
    if let Some(n) = retries {
        cmd.args(["--retries", &n.to_string()]);
    }
    let out = tokio::task::spawn_blocking(move || run(&mut cmd))
        .await
        .expect("ferry ran");
    assert!(!out.status.success(), "{kind}: {}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("503"),
        "{kind}: the error names the answer: {}",
        text(&out)
    );
    server.requests()
}

#[tokio::test]
async fn retries_two_is_three_requests_on_every_backend() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kinds = ["s3", "gcs", "azure"];
    let counts = futures::future::join_all(
        kinds.map(|kind| requests_of_a_failed_copy(dir.path(), kind, Some(2))),
    )
    .await;
    for (kind, count) in kinds.iter().zip(counts) {
        assert_eq!(
            count, 3,
            "{kind}: requests for one listing with --retries 2"
        );
    }
}

/// The default policy's budget, the same way (its backoff makes this one take about half a
/// minute).
#[tokio::test]
async fn the_default_is_max_retries_plus_one_requests() {
    let dir = tempfile::tempdir().expect("tempdir");
    let expected = ferry::retry::RetryPolicy::default().max_retries as u64 + 1;
    let count = requests_of_a_failed_copy(dir.path(), "s3", None).await;
    assert_eq!(count, expected, "s3: requests for one listing by default");
}
