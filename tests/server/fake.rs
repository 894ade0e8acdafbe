//! A real HTTP server on loopback that records every request it gets and answers as told:
//! the cloud metadata services an attacker would reach (pointed at by the providers' own
//! variables, `GCE_METADATA_HOST`, `IDENTITY_ENDPOINT`, `AWS_METADATA_ENDPOINT`), an
//! endpoint that echoes the request back.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// What the server answers to a request, given its head as text.
pub type Answer = dyn Fn(&str) -> Response<Full<Bytes>> + Send + Sync;

/// A running recording server; it stops when dropped.
#[derive(Debug)]
pub struct Fake {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

/// `status` with `body`.
pub fn answer(status: u16, body: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_owned())));
    *response.status_mut() = hyper::StatusCode::from_u16(status).expect("status");
    response
}

/// The request's head: `METHOD /path?query`, then one `name: value` line per header.
fn head(request: &Request<Incoming>) -> String {
    let mut text = format!("{} {}\n", request.method(), request.uri());
    for (name, value) in request.headers() {
        text.push_str(&format!(
            "{name}: {}\n",
            String::from_utf8_lossy(value.as_bytes())
        ));
    }
    text
}

impl Fake {
    /// A server answering `status` with `body` to everything.
    pub async fn status(status: u16, body: &'static str) -> Fake {
        Fake::start(Arc::new(move |_: &str| answer(status, body))).await
    }

    /// A server answering 403 with the request's head as its body.
    pub async fn echo() -> Fake {
        Fake::start(Arc::new(|head: &str| answer(403, head))).await
    }

    pub async fn start(respond: Arc<Answer>) -> Fake {
        Fake::start_on(IpAddr::from([127, 0, 0, 1]), respond).await
    }

    /// [`Fake::start`] on another loopback address.
    pub async fn start_on(ip: IpAddr, respond: Arc<Answer>) -> Fake {
        let listener = TcpListener::bind((ip, 0)).await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let log = log.clone();
                let respond = respond.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                        let head = head(&request);
                        log.lock().expect("log").push(head.clone());
                        let response = respond(&head);
                        async move { Ok::<_, Infallible>(response) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Fake { addr, seen, task }
    }

    /// `http://<address>:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request seen so far, as [`head`] wrote it.
    pub fn calls(&self) -> Vec<String> {
        self.seen.lock().expect("log").clone()
    }

    /// Waits until a request came (at most 60 s); all seen.
    pub async fn wait_called(&self) -> Vec<String> {
        let started = Instant::now();
        while self.calls().is_empty() {
            assert!(
                started.elapsed() < super::harness::TIMEOUT,
                "{} never called",
                self.addr
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.calls()
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The environment that points every provider's metadata service at `metadata`.
pub fn metadata_env(metadata: &Fake) -> Vec<(String, String)> {
    let url = metadata.url();
    let host = metadata.addr.to_string();
    [
        ("GCE_METADATA_HOST", host.clone()),
        ("GCE_METADATA_IP", host),
        (
            "IDENTITY_ENDPOINT",
            format!("{url}/metadata/identity/oauth2/token"),
        ),
        (
            "MSI_ENDPOINT",
            format!("{url}/metadata/identity/oauth2/token"),
        ),
        ("AWS_METADATA_ENDPOINT", url.clone()),
        ("AWS_EC2_METADATA_SERVICE_ENDPOINT", url),
        ("AWS_REGION", "us-east-1".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}
