//! HTTP clients shared by every store of the process.
//!
//! Building a `reqwest` client loads the TLS roots and costs milliseconds; `object_store`
//! builds one or more per store, and Ferry resolves a store for every repository it touches
//! (each API request names one). Here a client is built once per distinct configuration and
//! reused, so resolving a section is cheap and connections are pooled across the stores of
//! one endpoint, as rclone does.
//!
//! A client is kept per tokio runtime: a pooled connection is driven by a task of the
//! runtime that opened it, and a client handed to another runtime could pick a connection
//! whose task is no longer polled. The process proxy settings (`HTTPS_PROXY`, ...) are read
//! when a client is built, as before; Ferry never changes them while running.

use std::fmt;
use std::sync::Mutex;

use std::sync::Arc;

use object_store::client::{HttpClient, HttpConnector, ReqwestConnector};
use object_store::{ClientConfigKey, ClientOptions};

use super::endpoint_policy::{self, EndpointPolicy};

use crate::{Error, Result};

/// Distinct client configurations kept per cache. Ferry uses a handful (one per request
/// timeout and ACL header, plus the credential providers' own); the bound only keeps a
/// process that sees many (tests, each with its own runtime) from growing without end.
const CAPACITY: usize = 32;

/// A small least-recently-used map, searched linearly: it holds a few entries.
struct Cache<K, V> {
    entries: Mutex<Vec<(K, V)>>,
}

impl<K: PartialEq, V: Clone> Cache<K, V> {
    const fn new() -> Self {
        Cache {
            entries: Mutex::new(Vec::new()),
        }
    }

    /// The value kept for `key`, or the one `build` makes, which is then kept. Built under
    /// the lock, so that stores resolved at once share one client instead of each making
    /// their own.
    fn get_or_build<E>(&self, key: K, build: impl FnOnce() -> Result<V, E>) -> Result<V, E> {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(i) = entries.iter().position(|(k, _)| *k == key) {
            let entry = entries.remove(i);
            let value = entry.1.clone();
            entries.push(entry);
            return Ok(value);
        }
        let value = build()?;
        if entries.len() >= CAPACITY {
            entries.remove(0);
        }
        entries.push((key, value.clone()));
        Ok(value)
    }
}

/// The runtime a client will run on, when known. A client built outside any runtime is
/// never shared: its connections are driven by whichever runtime first uses it, and once
/// that runtime is dropped every other user of the client fails ("dispatch task is gone";
/// seen in the conformance suite, whose tests each run their own runtime).
fn runtime() -> Option<tokio::runtime::Id> {
    tokio::runtime::Handle::try_current().ok().map(|h| h.id())
}

/// An [`HttpConnector`] for the `object_store` builders: the client `object_store`'s own
/// [`ReqwestConnector`] would build, built once per distinct [`ClientOptions`].
#[derive(Debug, Default, Clone, Copy)]
pub struct SharedConnector;

/// Clients by runtime and options (their `Debug` text, which names every setting). The
/// options may hold a proxy URL with a password: kept here, never shown.
static CLIENTS: Cache<(tokio::runtime::Id, String), HttpClient> = Cache::new();

/// The `Debug` text of `options` when it tells every setting apart. It does not for root
/// certificates (shown without content) and DNS resolvers, which Ferry never sets; options
/// with either are not shared.
fn options_key(options: &ClientOptions) -> Option<String> {
    let text = format!("{options:?}");
    (text.contains("root_certificates: []") && text.contains("dns_resolver: None")).then_some(text)
}

impl HttpConnector for SharedConnector {
    fn connect(&self, options: &ClientOptions) -> object_store::Result<HttpClient> {
        if let Some(policy) = endpoint_policy::current() {
            let build = || guarded(&policy, options);
            return match (runtime(), options_key(options)) {
                (Some(runtime), Some(key)) => {
                    CLIENTS.get_or_build((runtime, format!("{policy:?} {key}")), build)
                }
                _ => build(),
            };
        }
        let (Some(runtime), Some(key)) = (runtime(), options_key(options)) else {
            return ReqwestConnector::default().connect(options);
        };
        CLIENTS.get_or_build((runtime, key), || {
            ReqwestConnector::default().connect(options)
        })
    }
}

/// The client `options` describe, keeping to `policy` (see [`endpoint_policy`]): the
/// settings Ferry and object_store's credential providers use, on a builder of the policy's.
fn guarded(
    policy: &Arc<EndpointPolicy>,
    options: &ClientOptions,
) -> object_store::Result<HttpClient> {
    let value = |key| options.get_config_value(&key);
    let duration = |key| value(key).and_then(|v| humantime::parse_duration(&v).ok());
    let mut builder = policy
        .client_builder()
        .https_only(value(ClientConfigKey::AllowHttp).as_deref() != Some("true"));
    if let Some(timeout) = duration(ClientConfigKey::Timeout) {
        builder = builder.timeout(timeout);
    }
    if let Some(timeout) = duration(ClientConfigKey::ConnectTimeout) {
        builder = builder.connect_timeout(timeout);
    }
    if let Some(idle) = value(ClientConfigKey::PoolMaxIdlePerHost).and_then(|v| v.parse().ok()) {
        builder = builder.pool_max_idle_per_host(idle);
    }
    if let Some(headers) = options.get_default_headers() {
        builder = builder.default_headers(headers.clone());
    }
    let client = builder.build().map_err(|e| object_store::Error::Generic {
        store: "HTTP client",
        source: Box::new(e),
    })?;
    Ok(HttpClient::new(client))
}

/// Plain clients (reqwest's defaults, no request timeout: each request sets its own) for
/// the requests Ferry sends itself (GCS sessions, Azure block list commits), by runtime.
static PLAIN: Cache<tokio::runtime::Id, reqwest::Client> = Cache::new();

/// The shared plain client; `what` names the caller in the error.
pub fn plain_client(what: &str) -> Result<reqwest::Client> {
    if let Some(policy) = endpoint_policy::current() {
        return policy
            .client_builder()
            .build()
            .map_err(|e| Error::Other(format!("{what} HTTP client: {e}")));
    }
    let build = || {
        reqwest::Client::builder()
            // Each request once: the store's retry layer retries (see `crate::store::layer`).
            .retry(reqwest::retry::never())
            .build()
            .map_err(|e| Error::Other(format!("{what} HTTP client: {e}")))
    };
    match runtime() {
        Some(runtime) => PLAIN.get_or_build(runtime, build),
        None => build(),
    }
}

impl<K, V> fmt::Debug for Cache<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cache")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Clients kept whose options contain `marker`.
    fn kept(marker: &str) -> usize {
        let entries = CLIENTS.entries.lock().expect("lock");
        entries
            .iter()
            .filter(|((_, k), _)| k.contains(marker))
            .count()
    }

    #[tokio::test]
    async fn same_options_share_a_client() {
        // Timeouts no other test uses.
        let options = ClientOptions::new().with_timeout(Duration::from_millis(7_001));
        SharedConnector.connect(&options).expect("client");
        SharedConnector.connect(&options.clone()).expect("client");
        assert_eq!(kept("7.001s"), 1);
        SharedConnector
            .connect(&options.with_timeout(Duration::from_millis(7_002)))
            .expect("client");
        assert_eq!(kept("7.002s"), 1);
    }

    #[test]
    fn outside_a_runtime_nothing_is_shared() {
        // Timeouts no other test uses.
        let options = ClientOptions::new().with_timeout(Duration::from_millis(7_003));
        SharedConnector.connect(&options).expect("client");
        assert_eq!(kept("7.003s"), 0);
    }

    #[test]
    fn every_setting_is_in_the_key() {
        let base = ClientOptions::new();
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-amz-acl", "private".parse().expect("header"));
        let acl = base.clone().with_default_headers(headers);
        let timeout = base.clone().with_timeout(Duration::from_secs(1));
        let keys = [&base, &acl, &timeout].map(|o| options_key(o).expect("shared"));
        assert_ne!(keys[0], keys[1]);
        assert_ne!(keys[0], keys[2]);
        assert!(keys[1].contains("private"));
        // A certificate's Debug text hides it: such options are never shared.
        let cert = object_store::Certificate::from_der(&[0x30, 0]).expect("certificate");
        assert_eq!(options_key(&base.with_root_certificate(cert)), None);
    }

    #[test]
    fn cache_is_bounded_and_reuses() {
        let cache: Cache<u32, u32> = Cache::new();
        let mut builds = 0;
        for i in 0..100 {
            let v = cache
                .get_or_build(i % 40, || {
                    builds += 1;
                    Ok::<_, ()>(i)
                })
                .expect("built");
            assert_eq!(v % 40, i % 40);
        }
        assert!(cache.entries.lock().expect("lock").len() <= CAPACITY);
        let before = builds;
        cache.get_or_build(99 % 40, || Err(())).expect("kept");
        assert_eq!(builds, before);
    }
}
