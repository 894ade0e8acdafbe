//! From a config section and a path to a ready [`Location`]: the one place that knows each
//! backend's options (rclone's names, behaviour spec §6).

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::{Attribute, AttributeValue, Attributes, ClientOptions};

use super::azure::AzureCommitter;
use super::gcs::GcsWriter;
use super::http::SharedConnector;
use super::local::LocalBackend;
use super::object::ObjectBackend;
use super::{Capabilities, SharedBackend, join_key};
use crate::config::{BackendKind, Config, Section};
use crate::repository::{Repository, clean_path};
use crate::retry::RetryPolicy;
use crate::{Error, Result};

/// Transfer settings a section may carry (`chunk_size`, `upload_cutoff`, `upload_concurrency`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SectionHints {
    pub chunk_size: Option<u64>,
    pub upload_cutoff: Option<u64>,
    pub upload_concurrency: Option<usize>,
}

/// A tree in a backend: everything below `root`.
#[derive(Clone)]
pub struct Location {
    pub backend: SharedBackend,
    /// Key prefix inside the backend (`""` for its root).
    pub root: String,
    /// What to call it in messages (`section:path` or the local path); never holds a secret.
    pub display: String,
    pub hints: SectionHints,
}

impl fmt::Debug for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display)
    }
}

impl Location {
    /// A local directory, no config needed.
    pub fn local(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        Location {
            display: path.display().to_string(),
            backend: Arc::new(LocalBackend::new(path)),
            root: String::new(),
            hints: SectionHints::default(),
        }
    }

    /// The full key of `rel` in the backend.
    pub fn key(&self, rel: &str) -> String {
        join_key(&self.root, rel)
    }

    /// The same backend, `rel` further down.
    pub fn child(&self, rel: &str) -> Location {
        Location {
            backend: self.backend.clone(),
            root: self.key(rel),
            display: format!("{}/{rel}", self.display.trim_end_matches('/')),
            hints: self.hints,
        }
    }

    pub fn capabilities(&self) -> Capabilities {
        self.backend.capabilities()
    }
}

/// Builds the location a normalised repository names.
pub fn resolve_location(
    repo: &Repository,
    config: &Config,
    retry: &RetryPolicy,
) -> Result<Location> {
    let section = config
        .section(&repo.section)
        .ok_or_else(|| Error::BadConfig(format!("no config section {:?}", repo.section)))?;
    let hints = SectionHints {
        chunk_size: section.size("chunk_size")?,
        upload_cutoff: section.size("upload_cutoff")?,
        upload_concurrency: section.count("upload_concurrency")?,
    };
    if section.kind == BackendKind::Local {
        section.warn_unknown(&[]);
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
    let backend: SharedBackend = match section.kind {
        BackendKind::S3 => Arc::new(s3(section, bucket, retry)?),
        BackendKind::Gcs => Arc::new(gcs(section, bucket, retry)?),
        BackendKind::AzureBlob => Arc::new(azure(section, bucket, retry)?),
        BackendKind::Local => unreachable!("handled above"),
    };
    Ok(Location {
        backend,
        root: clean_path(root),
        display: repo.to_string(),
        hints,
    })
}

fn client_options(endpoint: Option<&str>, retry: &RetryPolicy) -> ClientOptions {
    ClientOptions::new()
        .with_allow_http(endpoint.is_some_and(|e| e.starts_with("http://")))
        .with_timeout(retry.request_timeout)
        .with_connect_timeout(Duration::from_secs(10))
        .with_pool_max_idle_per_host(64)
}

/// A client that `object_store` refused to build: the section's fault (7008), message
/// scrubbed of credentials.
fn build_failed(section: &Section) -> impl FnOnce(object_store::Error) -> Error + '_ {
    move |e| {
        Error::BadConfig(format!(
            "config section {:?}: {}",
            section.name,
            crate::secret::scrub(&e.to_string())
        ))
    }
}

fn bad(section: &Section, option: &str, why: impl fmt::Display) -> Error {
    Error::BadConfig(format!(
        "config section {:?}: option {option:?}: {why}",
        section.name
    ))
}

fn storage_class(section: &Section, option: &str) -> Attributes {
    let mut attributes = Attributes::new();
    if let Some(class) = section.get(option) {
        attributes.insert(
            Attribute::StorageClass,
            AttributeValue::from(class.to_owned()),
        );
    }
    attributes
}

/// An `object_store` S3 option by its documented name.
fn s3_key(name: &str) -> AmazonS3ConfigKey {
    name.parse()
        .expect("documented object_store S3 option name")
}

const S3_OPTIONS: &[&str] = &[
    "provider",
    "env_auth",
    "access_key_id",
    "secret_access_key",
    "session_token",
    "region",
    "endpoint",
    "location_constraint",
    "acl",
    "force_path_style",
    "no_check_bucket",
    "storage_class",
    "server_side_encryption",
    "sse_kms_key_id",
    "chunk_size",
    "upload_cutoff",
    "upload_concurrency",
];

fn s3(section: &Section, bucket: &str, retry: &RetryPolicy) -> Result<ObjectBackend> {
    section.warn_unknown(S3_OPTIONS);
    let env_auth = section.bool("env_auth", false)?;
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
    // rclone's default is path style; virtual-hosted style only when asked for.
    let path_style = section.bool("force_path_style", true)?;
    builder = builder.with_virtual_hosted_style_request(!path_style);
    let endpoint = section.get("endpoint");
    if let Some(endpoint) = endpoint {
        let origin = s3_endpoint(section, endpoint)?;
        builder = builder.with_endpoint(if path_style {
            origin
        } else {
            virtual_host(section, &origin, bucket)?
        });
    }
    let region = section
        .get("region")
        .unwrap_or(if endpoint.is_some() { "us-east-1" } else { "" });
    if !region.is_empty() {
        if !s3_name(region) {
            return Err(bad(section, "region", S3_NAME_CHARS));
        }
        builder = builder.with_region(region);
    }
    match (
        section.get("access_key_id"),
        section.get("secret_access_key"),
    ) {
        (Some(id), Some(secret)) => {
            // Both go into request headers, and object_store panics while signing on a
            // header value that does not parse (found by fuzzing `/_admin/backup/download`).
            for option in ["access_key_id", "session_token"] {
                if section
                    .get(option)
                    .is_some_and(|v| http::HeaderValue::from_str(v).is_err())
                {
                    return Err(bad(section, option, "may not hold control characters"));
                }
            }
            builder = builder
                .with_access_key_id(id)
                .with_secret_access_key(secret);
            if let Some(token) = section.get("session_token") {
                builder = builder.with_token(token);
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
    if let Some(sse) = section.get("server_side_encryption") {
        if !matches!(sse, "AES256" | "aws:kms" | "aws:kms:dsse") {
            return Err(bad(
                section,
                "server_side_encryption",
                "must be AES256, aws:kms or aws:kms:dsse",
            ));
        }
        builder = builder.with_config(s3_key("aws_server_side_encryption"), sse);
        if let Some(key) = section.get("sse_kms_key_id") {
            builder = builder.with_config(s3_key("aws_sse_kms_key_id"), key);
        }
    }
    let mut options = client_options(endpoint, retry);
    if let Some(acl) = section.get("acl") {
        let mut headers = reqwest::header::HeaderMap::new();
        let value =
            reqwest::header::HeaderValue::from_str(acl).map_err(|e| bad(section, "acl", e))?;
        headers.insert("x-amz-acl", value);
        options = options.with_default_headers(headers);
    }
    // Every request body carries a CRC-64/NVME checksum the server verifies (AWS's default
    // since 2025): it guards the transport at a fraction of a SHA-256's cost, and with it the
    // payload need not be signed, which would hash every byte again on both sides. The
    // end-to-end check is the file's SHA-256, which Ferry computes and stores as metadata.
    // What object_store settled on (also from the environment with env_auth), for the one
    // request it cannot send itself (ListMultipartUploads).
    let setting = |key| builder.get_config_value(&key);
    let lister_region = setting(AmazonS3ConfigKey::Region).unwrap_or_else(|| "us-east-1".into());
    let bucket_url = super::s3_uploads::bucket_url(
        setting(AmazonS3ConfigKey::S3Endpoint)
            .or_else(|| setting(AmazonS3ConfigKey::Endpoint))
            .as_deref(),
        bucket,
        &lister_region,
        setting(AmazonS3ConfigKey::VirtualHostedStyleRequest).as_deref() == Some("true"),
    );
    let signed = setting(AmazonS3ConfigKey::SkipSignature).as_deref() != Some("true");
    let store = builder
        .with_checksum_algorithm(object_store::aws::Checksum::CRC64NVME)
        .with_unsigned_payload(true)
        .with_retry(retry.object_store_config())
        .with_http_connector(SharedConnector)
        .with_client_options(options)
        .build()
        .map_err(build_failed(section))?;
    let capabilities = Capabilities {
        parallel_parts: true,
        min_part_size: 5 << 20,
        max_parts: 10_000,
        part_alignment: 1,
        server_side_copy: true,
        stores_sha256: true,
        local: false,
    };
    let name = format!("{}:{bucket}", section.name);
    let lister = super::s3_uploads::S3UploadLister::new(
        name.clone(),
        &bucket_url,
        &lister_region,
        signed.then(|| store.credentials().clone()),
        retry.request_timeout,
    )?;
    Ok(ObjectBackend::new(
        name,
        Arc::new(store),
        capabilities,
        storage_class(section, "storage_class"),
        None,
    )
    .with_s3_uploads(lister))
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
fn s3_endpoint(section: &Section, endpoint: &str) -> Result<String> {
    let url = endpoint_url(section, endpoint)?;
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

/// An endpoint requests can be made of: an http(s) URL that `http::Uri` (what object_store
/// makes requests of, and panics on when it fails) takes both as written and as `url`
/// writes it. `url` alone accepts hosts such as ``127.0.0.1` `` and paths with spaces
/// (found by fuzzing `/_admin/backup/download`).
fn endpoint_url(section: &Section, endpoint: &str) -> Result<url::Url> {
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

const AZURE_OPTIONS: &[&str] = &[
    "account",
    "key",
    "sas_url",
    "endpoint",
    "use_emulator",
    "env_auth",
    "use_msi",
    "chunk_size",
    "upload_concurrency",
    "access_tier",
];

fn azure(section: &Section, container: &str, retry: &RetryPolicy) -> Result<ObjectBackend> {
    section.warn_unknown(AZURE_OPTIONS);
    let env_auth = section.bool("env_auth", false)? || section.bool("use_msi", false)?;
    let mut builder = if env_auth {
        MicrosoftAzureBuilder::from_env()
    } else {
        MicrosoftAzureBuilder::new()
    };
    builder = builder.with_container_name(container);
    if section.bool("use_emulator", false)? {
        builder = builder.with_use_emulator(true);
    }
    let mut endpoint = section.get("endpoint").map(str::to_owned);
    if let Some(sas_url) = section.get("sas_url") {
        let url = url::Url::parse(sas_url).map_err(|_| bad(section, "sas_url", "not a URL"))?;
        let query = url
            .query()
            .ok_or_else(|| bad(section, "sas_url", "has no SAS token (query string)"))?;
        builder = builder.with_config(AzureConfigKey::SasKey, query);
        if section.get("account").is_none() {
            let account = url
                .host_str()
                .and_then(|h| h.split('.').next())
                .ok_or_else(|| bad(section, "sas_url", "has no account host"))?;
            builder = builder.with_account(account);
        }
    }
    if let Some(account) = section.get("account") {
        builder = builder.with_account(account);
    }
    if let Some(key) = section.get("key") {
        builder = builder.with_access_key(key);
    }
    if let Some(e) = &endpoint {
        endpoint_url(section, e)?;
        builder = builder.with_endpoint(e.clone());
    } else if section.bool("use_emulator", false)? {
        endpoint = std::env::var("AZURITE_BLOB_STORAGE_URL").ok();
    }
    let account = section
        .get("account")
        .map(str::to_owned)
        .or_else(|| {
            let url = url::Url::parse(section.get("sas_url")?).ok()?;
            Some(url.host_str()?.split('.').next()?.to_owned())
        })
        .unwrap_or_else(|| "devstoreaccount1".to_owned());
    // The account is the host name of requests (`<account>.blob.core.windows.net`): Azure's
    // rule, letters and digits, keeps anything else out of the URL.
    if !account.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(bad(
            section,
            "account",
            "may hold only ASCII letters and digits",
        ));
    }
    let base_url = endpoint
        .clone()
        .unwrap_or_else(|| format!("https://{account}.blob.core.windows.net"));
    let store = builder
        .with_retry(retry.object_store_config())
        .with_http_connector(SharedConnector)
        .with_client_options(client_options(endpoint.as_deref(), retry))
        .build()
        .map_err(build_failed(section))?;
    let capabilities = Capabilities {
        parallel_parts: true,
        min_part_size: 1,
        max_parts: 50_000,
        part_alignment: 1,
        server_side_copy: true,
        stores_sha256: true,
        local: false,
    };
    let committer = AzureCommitter::new(
        &base_url,
        &account,
        container,
        store.credentials().clone(),
        retry.request_timeout,
    )?;
    Ok(ObjectBackend::new(
        format!("{}:{container}", section.name),
        Arc::new(store),
        capabilities,
        storage_class(section, "access_tier"),
        None,
    )
    .with_azure_committer(committer))
}

const GCS_OPTIONS: &[&str] = &[
    "service_account_file",
    "service_account_credentials",
    "project_number",
    "anonymous",
    "endpoint",
    "bucket_policy_only",
    "location",
    "storage_class",
    "chunk_size",
    "upload_cutoff",
    "upload_concurrency",
];

const GCS_DEFAULT_URL: &str = "https://storage.googleapis.com";

fn gcs(section: &Section, bucket: &str, retry: &RetryPolicy) -> Result<ObjectBackend> {
    section.warn_unknown(GCS_OPTIONS);
    let mut builder = GoogleCloudStorageBuilder::new().with_bucket_name(bucket);
    let endpoint = section.get("endpoint");
    let base_url = endpoint.unwrap_or(GCS_DEFAULT_URL).trim_end_matches('/');
    if let Some(e) = endpoint {
        endpoint_url(section, e)?;
        builder = builder.with_base_url(base_url);
    }
    let anonymous = section.bool("anonymous", false)?;
    if anonymous {
        // object_store's GCS requests ask the credential provider even with skip_signature
        // set, and the default provider then calls the cloud metadata server: give it a
        // static empty credential instead.
        let none = object_store::gcp::GcpCredential {
            bearer: String::new(),
        };
        builder = builder
            .with_skip_signature(true)
            .with_credentials(Arc::new(object_store::StaticCredentialProvider::new(none)));
    } else if let Some(json) = section.get("service_account_credentials") {
        serde_json::from_str::<serde_json::Value>(json)
            .map_err(|_| bad(section, "service_account_credentials", "is not valid JSON"))?;
        builder = builder.with_service_account_key(json);
    } else if let Some(file) = section.get("service_account_file") {
        builder = builder.with_service_account_path(file);
    } else {
        builder = GoogleCloudStorageBuilder::from_env()
            .with_bucket_name(bucket)
            .with_base_url(base_url);
    }
    let store = builder
        .with_retry(retry.object_store_config())
        .with_http_connector(SharedConnector)
        .with_client_options(client_options(endpoint, retry))
        .build()
        .map_err(build_failed(section))?;
    let credentials = (!anonymous).then(|| store.credentials().clone());
    let writer = GcsWriter::new(base_url, bucket, credentials, retry.request_timeout)?;
    let capabilities = Capabilities {
        parallel_parts: false,
        min_part_size: 256 << 10,
        max_parts: u64::MAX,
        part_alignment: 256 << 10,
        server_side_copy: true,
        stores_sha256: true,
        local: false,
    };
    Ok(ObjectBackend::new(
        format!("{}:{bucket}", section.name),
        Arc::new(store),
        capabilities,
        storage_class(section, "storage_class"),
        Some(writer),
    ))
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
            assert_eq!(err.error_num(None).code(), 7008, "{err}");
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
        assert_eq!(err.error_num(None).code(), 7008, "{err}");
        // Through the resolver: accepted with a DNS name, refused with an address.
        let keys = |endpoint: &str| {
            serde_json::json!({"type": "s3", "force_path_style": false, "endpoint": endpoint,
                               "access_key_id": "a", "secret_access_key": "b"})
        };
        resolve(keys("http://s3.example.com"), "s3:b-1/dir").expect("virtual host");
        resolve(keys("http://127.0.0.1:9"), "s3:b-1/dir").expect_err("IP address");
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
