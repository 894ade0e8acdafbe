//! What the provider builders ([`super::s3`], [`super::gcs`], [`super::azure`]) share: the
//! HTTP client settings, and how a refused section is reported.

use std::fmt;
use std::time::Duration;

use object_store::{Attribute, AttributeValue, Attributes, ClientOptions};

use crate::Error;
use crate::config::Section;
use crate::retry::RetryPolicy;

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

/// The storage class (or access tier) every write carries, if the section sets one.
pub(super) fn storage_class(class: Option<&str>) -> Attributes {
    let mut attributes = Attributes::new();
    if let Some(class) = class {
        attributes.insert(
            Attribute::StorageClass,
            AttributeValue::from(class.to_owned()),
        );
    }
    attributes
}
