//! A fault proxy: a real HTTP/1.1 server on 127.0.0.1 that forwards every request to a real
//! storage server and, per a seeded plan, misbehaves on the wire instead: connection resets in
//! the middle of a request or of a response, storms of 503 answers with S3 XML error bodies,
//! stalls longer than the client's request timeout, bodies cut short of their Content-Length,
//! and (on request) a flipped bit in a response body.
//!
//! The plan is deterministic per request: the fault of a request is drawn from a hash of the
//! seed and the request's method, path and query, and it hits the first attempts of that
//! request only (a storm: `storm` attempts; other faults: one), so the same run meets the
//! same faults whatever the order in which concurrent requests arrive, and a client that
//! retries gets through. A permanent plan faults every attempt.

use std::collections::HashMap;
use std::convert::Infallible;
use std::hash::{Hash, Hasher};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// What the proxy does to one request instead of forwarding it faithfully.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fault {
    /// Reads the request head and at most one chunk of its body, then resets the connection:
    /// the server never sees the request.
    ResetRequest,
    /// Forwards the request (the server acts), sends the answer's head and half its body, then
    /// resets the connection (an empty answer: resets before the head).
    ResetResponse,
    /// `503 Service Unavailable` with an S3 `<Error>` body, `storm` attempts in a row.
    Unavailable,
    /// Sleeps `stall` (longer than the client's timeout), then forwards.
    Stall,
    /// Forwards, promises the whole body in Content-Length, sends half of it and closes.
    Truncate,
    /// Forwards and flips one bit in the middle of the answer's body (same length). Only for
    /// GETs of objects (no query): what TCP's checksum misses, and only a SHA-256 catches.
    Flip,
}

pub const ALL_WIRE_FAULTS: &[Fault] = &[
    Fault::ResetRequest,
    Fault::ResetResponse,
    Fault::Unavailable,
    Fault::Stall,
    Fault::Truncate,
];

/// Which requests a plan may touch.
pub type Filter = fn(&hyper::Method, &str) -> bool;

/// Every request.
pub fn any_request(_: &hyper::Method, _: &str) -> bool {
    true
}

/// GETs of objects (data reads; not listings, which carry a query).
pub fn object_reads(method: &hyper::Method, path_and_query: &str) -> bool {
    method == hyper::Method::GET && !path_and_query.contains('?')
}

/// Requests that write (PUT, POST).
pub fn writes(method: &hyper::Method, _: &str) -> bool {
    method == hyper::Method::PUT || method == hyper::Method::POST
}

/// How the proxy misbehaves.
#[derive(Debug, Clone)]
pub struct Plan {
    pub seed: u64,
    /// Share of requests (by method, path and query) that meet a fault.
    pub rate: f64,
    /// The faults drawn from.
    pub kinds: Vec<Fault>,
    /// Attempts in a row a 503 storm lasts.
    pub storm: u64,
    /// How long a stall lasts.
    pub stall: Duration,
    /// Every attempt of every matching request is faulted (the kind still drawn per request).
    pub permanent: bool,
    pub only: Filter,
    /// Parts of paths that differ from run to run (a random prefix), left out of the hash
    /// that picks a request's fault so that a seed means the same faults in every run.
    pub unstable: Vec<String>,
}

impl Plan {
    /// Faults now and then, each request getting through after a few attempts.
    pub fn moderate(seed: u64, kinds: &[Fault], stall: Duration) -> Plan {
        Plan {
            seed,
            rate: 0.3,
            kinds: kinds.to_vec(),
            storm: 3,
            stall,
            permanent: false,
            only: any_request,
            unstable: Vec::new(),
        }
    }

    /// `kind` on every attempt of every request `only` selects.
    pub fn permanent(kind: Fault, only: Filter, stall: Duration) -> Plan {
        Plan {
            seed: 0,
            rate: 1.0,
            kinds: vec![kind],
            storm: u64::MAX,
            stall,
            permanent: true,
            only,
            unstable: Vec::new(),
        }
    }

    fn decide(&self, attempt: u64, method: &hyper::Method, path_and_query: &str) -> Option<Fault> {
        if !(self.only)(method, path_and_query) || self.kinds.is_empty() {
            return None;
        }
        let mut stable = path_and_query.to_owned();
        for part in &self.unstable {
            stable = stable
                .replace(part, "")
                .replace(&part.replace('/', "%2F"), "");
        }
        // Upload ids are new in every run.
        if let Some(at) = stable.find("uploadId=") {
            let end = stable[at..].find('&').map_or(stable.len(), |e| at + e);
            stable.replace_range(at..end, "");
        }
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (self.seed, method.as_str(), stable).hash(&mut h);
        let h = h.finish();
        let unit = (h >> 11) as f64 / (1u64 << 53) as f64;
        if unit >= self.rate {
            return None;
        }
        let kind = self.kinds[(h % self.kinds.len() as u64) as usize];
        let episode = match kind {
            _ if self.permanent => u64::MAX,
            Fault::Unavailable => self.storm,
            _ => 1,
        };
        let applies = match kind {
            Fault::Flip => object_reads(method, path_and_query),
            _ => true,
        };
        (attempt < episode && applies).then_some(kind)
    }
}

/// What happened at the proxy.
#[derive(Debug, Default)]
struct Counters {
    requests: AtomicU64,
    injected: Mutex<HashMap<Fault, u64>>,
    attempts: Mutex<HashMap<String, u64>>,
}

/// A running proxy; stops when dropped.
#[derive(Debug)]
pub struct FaultProxy {
    addr: SocketAddr,
    counters: Arc<Counters>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FaultProxy {
    /// Starts a proxy in front of `upstream` (`http://127.0.0.1:PORT`).
    pub async fn start(upstream: &str, plan: Plan) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fault proxy");
        let addr = listener.local_addr().expect("proxy address");
        let counters = Arc::new(Counters::default());
        let shared = Arc::new(Shared {
            upstream: upstream.trim_end_matches('/').to_owned(),
            plan,
            counters: counters.clone(),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("proxy client"),
        });
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                tokio::spawn(serve_connection(stream, shared.clone()));
            }
        });
        FaultProxy {
            addr,
            counters,
            task,
        }
    }

    /// `http://127.0.0.1:PORT`, for a config's `endpoint`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests received (each attempt counts).
    pub fn requests(&self) -> u64 {
        self.counters.requests.load(Ordering::Relaxed)
    }

    /// Faults injected so far, by kind.
    pub fn injected(&self) -> std::collections::BTreeMap<Fault, u64> {
        lock(&self.counters.injected)
            .iter()
            .map(|(k, v)| (*k, *v))
            .collect()
    }

    pub fn total_injected(&self) -> u64 {
        self.injected().values().sum()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[derive(Debug)]
struct Shared {
    upstream: String,
    plan: Plan,
    counters: Arc<Counters>,
    client: reqwest::Client,
}

/// A connection the proxy can cut: dropped after [`Cut::reset`], it closes with RST
/// (`SO_LINGER` 0) instead of FIN.
struct Cuttable {
    inner: TcpStream,
    reset: Arc<AtomicBool>,
}

impl Drop for Cuttable {
    fn drop(&mut self) {
        if self.reset.load(Ordering::SeqCst) {
            let _ = self.inner.set_zero_linger();
        }
    }
}

impl AsyncRead for Cuttable {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Cuttable {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The handle a request has on its connection.
#[derive(Debug, Clone)]
struct Cut {
    reset: Arc<AtomicBool>,
    now: Arc<Notify>,
}

impl Cut {
    /// Drops the connection at once, with RST.
    fn reset(&self) {
        self.reset.store(true, Ordering::SeqCst);
        self.now.notify_one();
    }

    /// Resets the connection instead of answering.
    async fn reset_now(&self) -> Response<Body> {
        self.reset();
        std::future::pending().await
    }
}

type Body = BoxBody<Bytes, std::io::Error>;

async fn serve_connection(stream: TcpStream, shared: Arc<Shared>) {
    let cut = Cut {
        reset: Arc::new(AtomicBool::new(false)),
        now: Arc::new(Notify::new()),
    };
    let io = Cuttable {
        inner: stream,
        reset: cut.reset.clone(),
    };
    let service = {
        let cut = cut.clone();
        hyper::service::service_fn(move |req| {
            let (shared, cut) = (shared.clone(), cut.clone());
            async move { Ok::<_, Infallible>(handle(&shared, &cut, req).await) }
        })
    };
    let conn =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(io), service);
    tokio::select! {
        _ = conn => {}
        () = cut.now.notified() => {}
    }
}

fn full(data: Bytes) -> Body {
    Full::new(data).map_err(|never| match never {}).boxed()
}

/// A body that sends `data`, waits for it to leave, then ends the connection: with RST when
/// `cut` is given, else by failing the body (hyper then closes the connection).
fn cut_short(data: Bytes, cut: Option<Cut>) -> Body {
    let first = futures::stream::iter([Ok(Frame::data(data))]);
    let end = futures::stream::once(async move {
        tokio::time::sleep(Duration::from_millis(20)).await;
        match cut {
            Some(cut) => {
                cut.reset();
                std::future::pending().await
            }
            None => Err(std::io::Error::other("body cut short (injected)")),
        }
    });
    BodyExt::boxed(StreamBody::new(first.chain(end)))
}

fn unavailable() -> Response<Body> {
    let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code>\
               <Message>Please reduce your request rate. (injected)</Message>\
               <RequestId>fault-proxy</RequestId></Error>";
    Response::builder()
        .status(503)
        .header("content-type", "application/xml")
        .header("retry-after", "0")
        .body(full(Bytes::from(xml)))
        .expect("503 response")
}

fn hop_by_hop(name: &str) -> bool {
    matches!(
        name,
        "connection"
            | "keep-alive"
            | "transfer-encoding"
            | "te"
            | "trailer"
            | "upgrade"
            | "proxy-connection"
    )
}

async fn handle(shared: &Shared, cut: &Cut, req: Request<Incoming>) -> Response<Body> {
    let counters = &shared.counters;
    counters.requests.fetch_add(1, Ordering::Relaxed);
    let method = req.method().clone();
    let path_and_query = req
        .uri()
        .path_and_query()
        .map_or("/".to_owned(), |p| p.as_str().to_owned());
    let attempt = {
        let mut attempts = lock(&counters.attempts);
        let n = attempts
            .entry(format!("{method} {path_and_query}"))
            .or_default();
        *n += 1;
        *n - 1
    };
    let fault = shared.plan.decide(attempt, &method, &path_and_query);
    if let Some(f) = fault {
        *lock(&counters.injected).entry(f).or_default() += 1;
    }
    let (parts, mut body) = req.into_parts();
    match fault {
        Some(Fault::Unavailable) => return unavailable(),
        Some(Fault::ResetRequest) => {
            let _ = body.frame().await;
            return cut.reset_now().await;
        }
        Some(Fault::Stall) => tokio::time::sleep(shared.plan.stall).await,
        _ => {}
    }
    let data = match body.collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Response::new(full(Bytes::new())),
    };
    let mut upstream = shared.client.request(
        parts.method.clone(),
        format!("{}{path_and_query}", shared.upstream),
    );
    for (name, value) in &parts.headers {
        // Host stays as the client sent it: it is part of the SigV4 signature.
        if !hop_by_hop(name.as_str()) && name != "content-length" {
            upstream = upstream.header(name, value);
        }
    }
    let answer = match upstream.body(data).send().await {
        Ok(a) => a,
        Err(e) => {
            return Response::builder()
                .status(502)
                .body(full(Bytes::from(format!(
                    "fault proxy: upstream failed: {e}"
                ))))
                .expect("502 response");
        }
    };
    let mut response = Response::builder().status(answer.status());
    for (name, value) in answer.headers() {
        if !hop_by_hop(name.as_str()) {
            response = response.header(name, value);
        }
    }
    let mut data = answer.bytes().await.unwrap_or_default();
    let body = match fault {
        Some(Fault::ResetResponse) if data.is_empty() => return cut.reset_now().await,
        Some(Fault::ResetResponse) => cut_short(data.slice(..data.len() / 2), Some(cut.clone())),
        Some(Fault::Truncate) if data.is_empty() => return cut.reset_now().await,
        Some(Fault::Truncate) => cut_short(data.slice(..data.len() / 2), None),
        Some(Fault::Flip) if !data.is_empty() => {
            let mut flipped = data.to_vec();
            let at = flipped.len() / 2;
            flipped[at] ^= 0x10;
            data = Bytes::from(flipped);
            full(data)
        }
        _ => full(data),
    };
    response.body(body).expect("forwarded response")
}
