//! An S3 section becomes an [`S3Backend`]: rclone's options onto `object_store`'s builder.

use std::sync::Arc;

use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};

use super::super::Trust;
use super::super::builder::{bad, build_failed, client_options, storage_class};
use super::super::http::SharedConnector;
use super::super::object::Objects;
use super::options::S3Options;
use super::{BucketRequests, LockPolicy, S3Backend, S3Locks, S3UploadLister, bucket_url};
use crate::config::{Endpoint, Section};
use crate::retry::RetryPolicy;
use crate::{Error, Result};

/// An `object_store` S3 option by its documented name.
fn s3_key(name: &str) -> AmazonS3ConfigKey {
    name.parse()
        .expect("documented object_store S3 option name")
}

/// The backend of `bucket` in the S3 store `section` describes.
pub(in crate::store) fn build(
    section: &Section,
    bucket: &str,
    retry: &RetryPolicy,
    trust: Trust,
) -> Result<S3Backend> {
    let options: S3Options = section.options()?;
    let env_auth = options.env_auth.0;
    if env_auth {
        trust.ambient(section, "env_auth")?;
    }
    let mut builder = if env_auth {
        AmazonS3Builder::from_env()
    } else {
        AmazonS3Builder::new()
    };
    // object_store puts the bucket and the region into request URLs as they are, and
    // panics on a URL that does not parse (found by fuzzing `/_admin/backup/download`).
    if !s3_name(bucket) {
        return Err(Error::BadConfig(format!(
            "config section {:?}: bucket name {bucket:?}: {S3_NAME_CHARS}",
            section.name
        )));
    }
    builder = builder.with_bucket_name(bucket);
    let path_style = options.force_path_style.0;
    builder = builder.with_virtual_hosted_style_request(!path_style);
    let endpoint = options.endpoint.as_ref();
    if let Some(endpoint) = endpoint {
        let origin = s3_endpoint(section, endpoint)?;
        builder = builder.with_endpoint(if path_style {
            origin
        } else {
            virtual_host(section, &origin, bucket)?
        });
    }
    let region =
        options
            .region
            .as_deref()
            .unwrap_or(if endpoint.is_some() { "us-east-1" } else { "" });
    if !region.is_empty() {
        if !s3_name(region) {
            return Err(bad(section, "region", S3_NAME_CHARS));
        }
        builder = builder.with_region(region);
    }
    match (&options.access_key_id, &options.secret_access_key) {
        (Some(id), Some(secret)) => {
            // Both go into request headers, and object_store panics while signing on a
            // header value that does not parse (found by fuzzing `/_admin/backup/download`).
            for (option, value) in [
                ("access_key_id", Some(id)),
                ("session_token", options.session_token.as_ref()),
            ] {
                if value.is_some_and(|v| http::HeaderValue::from_str(v.expose()).is_err()) {
                    return Err(bad(section, option, "may not hold control characters"));
                }
            }
            builder = builder
                .with_access_key_id(id.expose())
                .with_secret_access_key(secret.expose());
            if let Some(token) = &options.session_token {
                builder = builder.with_token(token.expose());
            }
        }
        (None, None) if !env_auth => builder = builder.with_skip_signature(true),
        (None, None) => {}
        (Some(_), None) => {
            return Err(bad(
                section,
                "secret_access_key",
                "missing while access_key_id is set",
            ));
        }
        (None, Some(_)) => {
            return Err(bad(
                section,
                "access_key_id",
                "missing while secret_access_key is set",
            ));
        }
    }
    if let Some(sse) = options.server_side_encryption.as_deref() {
        if !matches!(sse, "AES256" | "aws:kms" | "aws:kms:dsse") {
            return Err(bad(
                section,
                "server_side_encryption",
                "must be AES256, aws:kms or aws:kms:dsse",
            ));
        }
        builder = builder.with_config(s3_key("aws_server_side_encryption"), sse);
        if let Some(key) = &options.sse_kms_key_id {
            builder = builder.with_config(s3_key("aws_sse_kms_key_id"), key.expose());
        }
    }
    let mut client = client_options(endpoint.map(|e| e.text.as_str()), retry);
    if let Some(acl) = &options.acl {
        let mut headers = reqwest::header::HeaderMap::new();
        let value =
            reqwest::header::HeaderValue::from_str(acl).map_err(|e| bad(section, "acl", e))?;
        headers.insert("x-amz-acl", value);
        client = client.with_default_headers(headers);
    }
    // What object_store settled on (also from the environment with env_auth), for the
    // requests it cannot send itself (ListMultipartUploads, object retention).
    let setting = |key| builder.get_config_value(&key);
    let lister_region = setting(AmazonS3ConfigKey::Region).unwrap_or_else(|| "us-east-1".into());
    let bucket_url = bucket_url(
        setting(AmazonS3ConfigKey::S3Endpoint)
            .or_else(|| setting(AmazonS3ConfigKey::Endpoint))
            .as_deref(),
        bucket,
        &lister_region,
        setting(AmazonS3ConfigKey::VirtualHostedStyleRequest).as_deref() == Some("true"),
    );
    let signed = setting(AmazonS3ConfigKey::SkipSignature).as_deref() != Some("true");
    // Every request body carries a CRC-64/NVME checksum the server verifies (AWS's default
    // since 2025): it guards the transport at a fraction of a SHA-256's cost, and with it the
    // payload need not be signed, which would hash every byte again on both sides. The
    // end-to-end check is the file's SHA-256, which Ferry computes and stores as metadata.
    let store = builder
        .with_checksum_algorithm(object_store::aws::Checksum::CRC64NVME)
        .with_unsigned_payload(true)
        .with_retry(retry.object_store_config())
        .with_http_connector(SharedConnector)
        .with_client_options(client)
        .build()
        .map_err(build_failed(section))?;
    let name = format!("{}:{bucket}", section.name);
    let requests = Arc::new(BucketRequests::new(
        name.clone(),
        &bucket_url,
        &lister_region,
        signed.then(|| store.credentials().clone()),
        retry.request_timeout,
    )?);
    let lock = LockPolicy::from_options(
        options.object_lock_retention.as_deref(),
        options.object_lock_mode.as_deref(),
    )
    .map_err(|(option, why)| bad(section, option, why))?;
    Ok(S3Backend {
        objects: Objects::new(
            name,
            Arc::new(store),
            storage_class(options.storage_class.as_deref()),
        ),
        uploads: S3UploadLister::new(requests.clone()),
        locks: S3Locks::new(requests, lock),
    })
}

const S3_NAME_CHARS: &str = "may hold only ASCII letters, digits, '.', '-' and '_'";

/// A bucket or region name fit for a URL as it is: what S3 allows in bucket names, and the
/// legacy upper case and `_`.
fn s3_name(name: &str) -> bool {
    name.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

/// An S3 endpoint is an origin: `http(s)://host[:port]`, nothing else. object_store builds
/// request URLs by appending to the text given, and a path, query or user part there made
/// it panic while signing (found by fuzzing `/_admin/backup/download`).
fn s3_endpoint(section: &Section, endpoint: &Endpoint) -> Result<String> {
    let url = &endpoint.url;
    let plain = url.username().is_empty()
        && url.password().is_none()
        && url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none();
    if !plain {
        return Err(bad(
            section,
            "endpoint",
            "must be http(s)://host[:port], without path, query or user",
        ));
    }
    Ok(url.origin().ascii_serialization())
}

/// The bucket's own origin for virtual-hosted style: rclone's `endpoint` names the service
/// (`https://s3.example.com`) and the bucket becomes a subdomain of it, while object_store
/// takes a virtual-hosted endpoint as the bucket's origin already; given the service's, every
/// request went to the service without the bucket. An origin that already starts with the
/// bucket is kept. An IP address cannot have a bucket subdomain.
fn virtual_host(section: &Section, origin: &str, bucket: &str) -> Result<String> {
    let mut url = url::Url::parse(origin).map_err(|e| bad(section, "endpoint", e))?;
    let host = match url.host() {
        Some(url::Host::Domain(host)) => host.to_owned(),
        _ => {
            return Err(bad(
                section,
                "endpoint",
                "virtual-hosted style (force_path_style = false) needs a DNS name, not an IP address",
            ));
        }
    };
    if !host.starts_with(&format!("{bucket}.")) {
        url.set_host(Some(&format!("{bucket}.{host}")))
            .map_err(|e| bad(section, "endpoint", e))?;
    }
    Ok(url.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::repository::normalise;
    use crate::store::resolve_location;

    fn resolve(section: serde_json::Value, repo: &str) -> Result<crate::store::Location> {
        let config = Config::from_json(&serde_json::json!({ "s3": section }))?;
        let repo = normalise(repo, &config, "/")?;
        resolve_location(&repo, &config, &RetryPolicy::quick())
    }

    /// rclone names the service in `endpoint`; virtual-hosted style puts the bucket in front.
    #[test]
    fn virtual_hosted_style_puts_the_bucket_in_the_host() {
        let config = Config::from_json(&serde_json::json!({
            "s3": {"type": "s3", "force_path_style": false}
        }))
        .expect("config");
        let section = config.section("s3").expect("section");
        let host = |origin: &str| virtual_host(section, origin, "b-1");
        assert_eq!(
            host("https://s3.example.com").expect("host"),
            "https://b-1.s3.example.com"
        );
        assert_eq!(
            host("http://s3.example.com:9000").expect("host"),
            "http://b-1.s3.example.com:9000"
        );
        assert_eq!(
            host("https://b-1.s3.example.com").expect("host"),
            "https://b-1.s3.example.com",
            "an endpoint that already names the bucket is kept"
        );
        let err = host("http://127.0.0.1:9000").expect_err("an IP address has no subdomains");
        assert_eq!(err.kind(), crate::ErrorKind::BadConfig, "{err}");
        // Through the resolver: accepted with a DNS name, refused with an address.
        let keys = |endpoint: &str| {
            serde_json::json!({"type": "s3", "force_path_style": false, "endpoint": endpoint,
                               "access_key_id": "a", "secret_access_key": "b"})
        };
        resolve(keys("http://s3.example.com"), "s3:b-1/dir").expect("virtual host");
        resolve(keys("http://127.0.0.1:9"), "s3:b-1/dir").expect_err("IP address");
    }
}
