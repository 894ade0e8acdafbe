//! What the provider builders ([`super::s3`], [`super::gcs`], [`super::azure`]) share: the
//! HTTP client settings, and how a refused section is reported.

use std::fmt;
use std::time::Duration;

use object_store::{Attribute, AttributeValue, Attributes, ClientOptions};

use crate::config::Section;
use crate::retry::RetryPolicy;
use crate::{Error, Result};

/// Client settings of every `object_store` client: plain HTTP only when the endpoint says
/// so, the policy's request timeout, and a pool deep enough for many files in flight.
pub(super) fn client_options(endpoint: Option<&str>, retry: &RetryPolicy) -> ClientOptions {
    ClientOptions::new()
        .with_allow_http(endpoint.is_some_and(|e| e.starts_with("http://")))
        .with_timeout(retry.request_timeout)
        .with_connect_timeout(Duration::from_secs(10))
        .with_pool_max_idle_per_host(64)
}

/// A client that `object_store` refused to build: the section's fault (7008), message
/// scrubbed of credentials.
pub(super) fn build_failed(section: &Section) -> impl FnOnce(object_store::Error) -> Error + '_ {
    move |e| {
        Error::BadConfig(format!(
            "config section {:?}: {}",
            section.name,
            crate::secret::scrub(&e.to_string())
        ))
    }
}

/// An option of `section` with a value that cannot be used (7008).
pub(super) fn bad(section: &Section, option: &str, why: impl fmt::Display) -> Error {
    Error::BadConfig(format!(
        "config section {:?}: option {option:?}: {why}",
        section.name
    ))
}

/// The storage class (or access tier) every write carries, if the option is set.
pub(super) fn storage_class(section: &Section, option: &str) -> Attributes {
    let mut attributes = Attributes::new();
    if let Some(class) = section.get(option) {
        attributes.insert(
            Attribute::StorageClass,
            AttributeValue::from(class.to_owned()),
        );
    }
    attributes
}

/// An endpoint requests can be made of: an http(s) URL that `http::Uri` (what object_store
/// makes requests of, and panics on when it fails) takes both as written and as `url`
/// writes it. `url` alone accepts hosts such as ``127.0.0.1` `` and paths with spaces
/// (found by fuzzing `/_admin/backup/download`).
pub(super) fn endpoint_url(section: &Section, endpoint: &str) -> Result<url::Url> {
    let url = url::Url::parse(endpoint).map_err(|e| bad(section, "endpoint", e))?;
    let fits = matches!(url.scheme(), "http" | "https")
        && url.host().is_some()
        && endpoint.parse::<http::Uri>().is_ok()
        && url.as_str().parse::<http::Uri>().is_ok()
        && url
            .origin()
            .ascii_serialization()
            .parse::<http::Uri>()
            .is_ok();
    if !fits {
        return Err(bad(
            section,
            "endpoint",
            "must be an http(s) URL of characters fit for a request",
        ));
    }
    Ok(url)
}
