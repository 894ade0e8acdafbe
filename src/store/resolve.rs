//! From a config section and a path to a ready [`Location`]: which provider a section's
//! type names. Each provider reads its own options (rclone's names,
//! docs/hot-backup-api.md §6).

use std::sync::Arc;

use super::endpoint_policy;
use super::location::Location;
use super::trust::Trust;
use super::{SharedBackend, azure, gcs, s3};
use crate::config::{BackendKind, Config};
use crate::repository::{Repository, clean_path};
use crate::retry::RetryPolicy;
use crate::{Error, Result};

/// The options of a local section: none (rclone's `local` options do not apply).
#[derive(serde::Deserialize)]
struct NoOptions {}

/// Builds the location a normalised repository names, from a section the host's user or
/// operator wrote ([`Trust::HOST`]).
pub fn resolve_location(
    repo: &Repository,
    config: &Config,
    retry: &RetryPolicy,
) -> Result<Location> {
    resolve_trusted(repo, config, retry, Trust::HOST)
}

/// [`resolve_location`] for a section whose author is trusted only as far as `trust` says.
pub fn resolve_trusted(
    repo: &Repository,
    config: &Config,
    retry: &RetryPolicy,
    trust: Trust,
) -> Result<Location> {
    let section = config
        .section(&repo.section)
        .ok_or_else(|| Error::BadConfig(format!("no config section {:?}", repo.section)))?;
    let hints = section.hints()?;
    if section.kind == BackendKind::Local {
        // A local directory has no options of its own: each one is warned about.
        section.options::<NoOptions>()?;
        let mut location = Location::local(&repo.path);
        location.display = repo.to_string();
        return Ok(location);
    }
    let (bucket, root) = match repo.path.split_once('/') {
        Some((bucket, root)) => (bucket, root),
        None => (repo.path.as_str(), ""),
    };
    if bucket.is_empty() {
        return Err(Error::BadConfig(format!(
            "remote repository {repo} names no bucket: the first path segment is the bucket"
        )));
    }
    trust.check_endpoint(section)?;
    // The HTTP clients built for the store keep to the section's endpoint policy.
    let backend: SharedBackend = endpoint_policy::scope(trust.endpoints.clone(), || {
        Ok::<SharedBackend, Error>(match section.kind {
            BackendKind::S3 => Arc::new(s3::build(section, bucket, retry, trust)?),
            BackendKind::Gcs => Arc::new(gcs::build(section, bucket, retry, trust)?),
            BackendKind::AzureBlob => Arc::new(azure::build(section, bucket, retry, trust)?),
            BackendKind::Local => unreachable!("handled above"),
        })
    })?;
    Ok(Location {
        backend: super::layer::resolved(backend, retry),
        root: clean_path(root),
        display: repo.to_string(),
        hints,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repository::normalise;

    fn resolve(section: serde_json::Value, repo: &str) -> Result<Location> {
        let config = Config::from_json(&serde_json::json!({ "s3": section }))?;
        let repo = normalise(repo, &config, "/")?;
        resolve_location(&repo, &config, &RetryPolicy::quick())
    }

    /// A bucket or region that does not fit in a URL as it is is refused (7008) instead of
    /// making object_store panic at the first request (`request must be valid:
    /// InvalidUriChar`, found by fuzzing `/_admin/backup/download`).
    #[tokio::test]
    async fn s3_bucket_and_region_must_fit_a_url() {
        let keys = serde_json::json!({
            "type": "s3", "endpoint": "http://127.0.0.1:9",
            "access_key_id": "a", "secret_access_key": "b",
        });
        // The first three made object_store panic; with `#` and `?` requests went to
        // another bucket (`http://host/b`) or carried a query; the rest are no bucket names.
        for bucket in [
            "b x", "b`x", "b<x>", "b#x", "b?x", "b\"x", "b{x}", "b|x", "bä",
        ] {
            let err = resolve(keys.clone(), &format!("s3:{bucket}/dir"))
                .expect_err(&format!("bucket {bucket:?} accepted"));
            assert_eq!(err.kind(), crate::ErrorKind::BadConfig, "{err}");
        }
        let mut region = keys.clone();
        region["region"] = "us east".into();
        let no_endpoint = serde_json::json!({"type": "s3", "region": "eu{1}"});
        for section in [region, no_endpoint] {
            let err = resolve(section, "s3:bucket/dir").expect_err("region accepted");
            assert!(err.to_string().contains("region"), "{err}");
        }
        for endpoint in [
            "http://127.0.0.1`:9",
            "http://a b:9",
            "http://h/a b",
            "http://h:9/`",
        ] {
            let mut section = keys.clone();
            section["endpoint"] = endpoint.into();
            resolve(section, "s3:bucket/dir").expect_err(endpoint);
        }
        // The fuzzer's access key was `a` and DEL characters.
        for (option, value) in [
            ("access_key_id", "a\u{7f}\u{7f}"),
            ("access_key_id", "a\nb"),
            ("session_token", "t\r\nx"),
        ] {
            let mut section = keys.clone();
            section[option] = value.into();
            let err = resolve(section, "s3:bucket/dir").expect_err(option);
            assert!(err.to_string().contains(option), "{err}");
            assert!(!err.to_string().contains(value), "{err}");
        }
        let location = resolve(keys, "s3:My_bucket-1.x/dir").expect("plain bucket");
        // A request is made (and fails: nothing listens) instead of panicking.
        assert!(location.backend.stat("key").await.is_err());
    }

    /// GCS and Azure endpoints and Azure accounts go into request URLs too.
    #[test]
    fn gcs_and_azure_endpoints_and_accounts_must_fit_a_url() {
        let gcs = |endpoint: &str| {
            let section =
                serde_json::json!({"type": "gcs", "anonymous": true, "endpoint": endpoint});
            resolve(section, "s3:bucket/dir")
        };
        let azure = |endpoint: Option<&str>, account: &str| {
            let mut section =
                serde_json::json!({"type": "azureblob", "account": account, "key": "a2V5"});
            if let Some(e) = endpoint {
                section["endpoint"] = e.into();
            }
            resolve(section, "s3:container/dir")
        };
        for endpoint in [
            "http://127.0.0.1`:9",
            "http://h/a b",
            "http://h/a`b",
            "ftp://h",
        ] {
            gcs(endpoint).expect_err(endpoint);
            azure(Some(endpoint), "acct").expect_err(endpoint);
        }
        for account in ["a`b", "a b", "a.b", "aӖ"] {
            let err = azure(None, account).expect_err(account);
            assert!(err.to_string().contains("account"), "{err}");
        }
        gcs("http://127.0.0.1:9/storage").expect("plain GCS endpoint");
        azure(
            Some("http://127.0.0.1:9/devstoreaccount1"),
            "devstoreaccount1",
        )
        .expect("emulator");
        azure(None, "myaccount1").expect("plain account");
    }
}
