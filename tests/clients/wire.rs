//! Requests exactly as a client sends them (method, path, headers, body or none) and the
//! answer as it reads it (status, headers, body), plus the checks every client makes.

use std::time::{Duration, Instant};

use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::harness::{Server, TIMEOUT};

/// What came back.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    /// The body as JSON; `Null` when empty.
    pub body: Value,
}

impl Answer {
    /// The header's value, if it is there.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the status a client checks (its `CheckStatus`); the answer's `result`.
    pub fn expect(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "{}", self.body);
        &self.body["result"]
    }
}

/// Sends one request; `body` `None` sends none at all (as Go's `req.SetBody` not called).
pub async fn send(
    server: &Server,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> Answer {
    let client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .build()
        .expect("client");
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut request = client.request(method, server.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("{path}: no answer: {e}\n{}", server.stderr()));
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {text}"))
    };
    Answer {
        status,
        headers,
        body,
    }
}

/// `POST` with a JSON body.
pub async fn post(server: &Server, path: &str, body: &Value) -> Answer {
    send(server, "POST", path, &[], Some(body)).await
}

/// Calls `poll` until it returns `Some`, at most [`TIMEOUT`]; clients poll every few
/// seconds, the tests every 20 ms (the interval is not what is tested).
pub async fn until<T, F: Future<Output = Option<T>>>(what: &str, mut poll: impl FnMut() -> F) -> T {
    let started = Instant::now();
    loop {
        if let Some(done) = poll().await {
            return done;
        }
        assert!(started.elapsed() < TIMEOUT, "{what}: not reached in time");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The fields both Go drivers decode from `result.list[<id>]` (`BackupMeta`), checked for
/// the types Go's decoder needs: `datetime` parses as RFC 3339 (`time.Time`), counts are
/// unsigned integers.
pub fn check_go_meta(meta: &Value, id: &str) {
    assert_eq!(meta["id"], id, "{meta}");
    assert!(meta["version"].is_string(), "{meta}");
    let datetime = meta["datetime"].as_str().unwrap_or_default();
    assert!(
        chrono::DateTime::parse_from_rfc3339(datetime).is_ok(),
        "datetime {datetime:?} is no time.Time"
    );
    for n in ["nrFiles", "nrDBServers", "sizeInBytes", "nrPiecesPresent"] {
        assert!(meta[n].is_u64(), "{n}: {meta}");
    }
    for b in ["potentiallyInconsistent", "available"] {
        assert!(meta[b].is_boolean(), "{b}: {meta}");
    }
    assert!(meta["keys"].is_array(), "{meta}");
}

/// Go's `BackupTransferReport` of the one server, checked for what the drivers decode:
/// `Status` one of theirs, `Progress.{Total,Done}` ints, `Progress.Timestamp` a string.
pub fn go_report(result: &Value) -> &Value {
    let servers = result["DBServers"].as_object().expect("DBServers");
    assert_eq!(servers.len(), 1, "{result}");
    let report = servers.values().next().expect("one server");
    let status = report["Status"].as_str().unwrap_or_default();
    assert!(
        ["ACK", "STARTED", "COMPLETED", "FAILED", "CANCELLED"].contains(&status),
        "{result}"
    );
    let progress = &report["Progress"];
    assert!(
        progress["Total"].is_i64() && progress["Done"].is_i64(),
        "{result}"
    );
    assert!(progress["Timestamp"].is_string(), "{result}");
    assert!(result["Timestamp"].is_string() && result["Cancelled"].is_boolean());
    report
}
