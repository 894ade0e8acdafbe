//! Requests from a coordinator to its DB servers.
//!
//! Every request carries the client's own `Authorization` header ([`Credentials`]): a DB
//! server checks it exactly as it checks a client's. A server that cannot be connected to
//! is tried again, waiting 0.2 s and then 1.1 times longer each time (ArangoDB's factor),
//! until the coordinator's `reachable_within` is spent; only then is it unreachable. A
//! request that reached the server is never sent twice.

use std::fmt;
use std::time::{Duration, Instant};

use axum::http::HeaderValue;
use serde_json::Value;

use crate::{Error, Result};

/// How long to wait for a connection to a DB server.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// First pause before trying an unreachable server again.
const FIRST_PAUSE: Duration = Duration::from_millis(200);

/// The `Authorization` header of the client's request, forwarded as it came; formats as
/// `***`.
#[derive(Clone, Default)]
pub struct Credentials(pub Option<HeaderValue>);

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0 {
            Some(_) => "Credentials(***)",
            None => "Credentials(none)",
        })
    }
}

impl Credentials {
    /// The coordinator's own credentials, for the work it does after the client's request
    /// has been answered (driving a transfer job to its end, also after a restart): basic
    /// auth as `root` with the root password, else a JWT it signs with the JWT secret
    /// (ArangoDB's coordinators sign their internal requests the same way), else none, for
    /// an open cluster. It acts only for jobs an authenticated client started.
    pub fn own(auth: &crate::server::auth::Auth) -> Credentials {
        use base64::Engine;
        let value = if let Some(password) = &auth.root_password {
            let pair = format!("root:{}", password.expose());
            let basic = base64::engine::general_purpose::STANDARD.encode(pair);
            HeaderValue::from_str(&format!("Basic {basic}")).ok()
        } else if let Some(secret) = &auth.jwt_secret {
            let claims = serde_json::json!({"iss": "arangodb", "server_id": "ferry-coordinator"});
            jsonwebtoken::EncodingKey::from_secret(secret.expose().as_bytes())
                .and_then(|key| {
                    jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &key)
                })
                .ok()
                .and_then(|token| HeaderValue::from_str(&format!("bearer {token}")).ok())
        } else {
            None
        };
        Credentials(value.map(|mut v| {
            v.set_sensitive(true);
            v
        }))
    }
}

/// A DB server's answer: its HTTP status and JSON body (`Null` if it sent none).
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Answer {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The `result` of a success envelope.
    pub fn result(&self) -> &Value {
        &self.body["result"]
    }

    /// The `errorNum` of an error envelope (0 if none).
    pub fn error_num(&self) -> i64 {
        self.body["errorNum"].as_i64().unwrap_or_default()
    }

    pub fn error_message(&self) -> String {
        match self.body["errorMessage"].as_str() {
            Some(m) => m.to_owned(),
            None => format!("HTTP {}", self.status),
        }
    }
}

/// A DB server that could not be reached in time (its URL; the cause is logged).
#[derive(Debug, Clone, thiserror::Error)]
#[error("DB server {url} cannot be reached")]
pub struct Unreachable {
    pub url: String,
}

/// The DB servers of a coordinator, in the order given.
#[derive(Debug, Clone)]
pub struct DbServers {
    urls: Vec<String>,
    http: reqwest::Client,
    reachable_within: Duration,
}

impl DbServers {
    pub fn new(urls: &[String], reachable_within: Duration) -> Result<Self> {
        let mut clean = Vec::with_capacity(urls.len());
        for raw in urls {
            let url = url::Url::parse(raw)
                .ok()
                .filter(|u| u.scheme() == "http" && u.host().is_some())
                .ok_or_else(|| {
                    Error::BadParameter(format!(
                        "--dbserver {raw:?}: expecting http://host:port of a ferry serve"
                    ))
                })?;
            clean.push(url.as_str().trim_end_matches('/').to_owned());
        }
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            .map_err(|e| Error::Other(format!("cannot build the DB server client: {e}")))?;
        Ok(DbServers {
            urls: clean,
            http,
            reachable_within,
        })
    }

    pub fn len(&self) -> usize {
        self.urls.len()
    }

    pub fn is_empty(&self) -> bool {
        self.urls.is_empty()
    }

    pub fn url(&self, server: usize) -> &str {
        &self.urls[server]
    }

    /// POSTs `body` to `path` of DB server `server`, waiting at most `timeout` for the
    /// answer once connected, trying to connect until `reachable_within` is spent.
    pub async fn post(
        &self,
        server: usize,
        path: &str,
        body: &Value,
        credentials: &Credentials,
        timeout: Duration,
    ) -> Result<Answer, Unreachable> {
        let within = self.reachable_within;
        self.post_within(server, path, body, credentials, (timeout, within))
            .await
    }

    /// [`Self::post`], trying to connect for `within` (at least once).
    pub async fn post_within(
        &self,
        server: usize,
        path: &str,
        body: &Value,
        credentials: &Credentials,
        (timeout, within): (Duration, Duration),
    ) -> Result<Answer, Unreachable> {
        let url = format!("{}{path}", self.urls[server]);
        let give_up = Instant::now() + within;
        let mut pause = FIRST_PAUSE;
        loop {
            let mut request = self.http.post(&url).json(body).timeout(timeout);
            if let Some(value) = &credentials.0 {
                request = request.header(axum::http::header::AUTHORIZATION, value.clone());
            }
            match request.send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let body = response.json::<Value>().await.unwrap_or(Value::Null);
                    return Ok(Answer { status, body });
                }
                Err(e) if e.is_connect() && Instant::now() + pause < give_up => {
                    tracing::debug!(%url, error = %e, "DB server not reachable: trying again");
                    tokio::time::sleep(pause).await;
                    pause = pause.mul_f64(1.1);
                }
                Err(e) => {
                    tracing::warn!(%url, error = %e, "DB server cannot be reached");
                    return Err(Unreachable {
                        url: self.urls[server].clone(),
                    });
                }
            }
        }
    }

    /// [`Self::post`] to every DB server at once; the answers in server order.
    pub async fn post_all(
        &self,
        path: &str,
        body: &Value,
        credentials: &Credentials,
        timeout: Duration,
    ) -> Vec<Result<Answer, Unreachable>> {
        let within = self.reachable_within;
        self.post_all_within(path, body, credentials, (timeout, within))
            .await
    }

    /// [`Self::post_all`], trying to connect for `within`.
    pub async fn post_all_within(
        &self,
        path: &str,
        body: &Value,
        credentials: &Credentials,
        limits: (Duration, Duration),
    ) -> Vec<Result<Answer, Unreachable>> {
        let calls = (0..self.len()).map(|i| self.post_within(i, path, body, credentials, limits));
        futures::future::join_all(calls).await
    }
}
