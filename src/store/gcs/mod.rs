//! Google Cloud Storage: reads, lists and deletes through `object_store`; writes and copies
//! through the JSON API ([`writer`], see there why).

mod options;
mod writer;

use std::ops::Range;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use object_store::gcp::GoogleCloudStorageBuilder;

pub use writer::GcsWriter;

use options::GcsOptions;

use super::builder::{bad, build_failed, client_options, storage_class};
use super::http::SharedConnector;
use super::object::Objects;
use super::{Backend, Capabilities, ObjectInfo, Stat, Trust};
use crate::Result;
use crate::config::Section;
use crate::retry::RetryPolicy;

/// One bucket of a GCS store.
#[derive(Debug)]
pub struct GcsBackend {
    objects: Objects,
    writer: GcsWriter,
}

/// A resumable session takes its chunks in order, in multiples of 256 KiB.
const CAPABILITIES: Capabilities = Capabilities {
    parallel_parts: false,
    min_part_size: 256 << 10,
    max_parts: u64::MAX,
    part_alignment: 256 << 10,
    server_side_copy: true,
    stores_sha256: true,
    local: false,
};

#[async_trait]
impl Backend for GcsBackend {
    fn capabilities(&self) -> Capabilities {
        CAPABILITIES
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>> {
        self.objects.list(prefix).await
    }

    async fn stat(&self, key: &str) -> Result<Option<Stat>> {
        self.objects.stat(key).await
    }

    async fn get_range(&self, key: &str, range: Range<u64>, etag: Option<&str>) -> Result<Bytes> {
        self.objects.get_range(key, range, etag).await
    }

    async fn put(&self, key: &str, data: Bytes, sha256: &str) -> Result<()> {
        let attributes = self.objects.write_attributes();
        self.writer.put(key, data, sha256, attributes).await
    }

    async fn create_upload(&self, key: &str, size: u64, sha256: &str) -> Result<String> {
        let attributes = self.objects.write_attributes();
        self.writer
            .create_session(key, size, sha256, attributes)
            .await
    }

    async fn put_part(
        &self,
        key: &str,
        upload: &str,
        _index: u64,
        offset: u64,
        data: Bytes,
    ) -> Result<String> {
        self.writer.put_chunk(key, upload, offset, data).await
    }

    async fn complete_upload(&self, key: &str, upload: &str, _parts: Vec<String>) -> Result<()> {
        self.writer.finish_session(key, upload).await
    }

    async fn abort_upload(&self, _key: &str, upload: &str) -> Result<()> {
        self.writer.cancel_session(upload).await
    }

    /// Resumable sessions expire a week after they began, by themselves; they cannot be
    /// listed.
    async fn pending_uploads(&self, _prefix: &str) -> Result<Option<Vec<super::PendingUpload>>> {
        Ok(None)
    }

    async fn copy(&self, from: &str, to: &str) -> Result<()> {
        self.writer.copy(from, to).await
    }

    async fn delete(&self, key: &str) -> Result<()> {
        self.objects.delete(key).await
    }
}

const GCS_DEFAULT_URL: &str = "https://storage.googleapis.com";

/// The backend of `bucket` in the GCS store `section` describes.
pub(super) fn build(
    section: &Section,
    bucket: &str,
    retry: &RetryPolicy,
    trust: Trust,
) -> Result<GcsBackend> {
    let options: GcsOptions = section.options()?;
    let mut builder = GoogleCloudStorageBuilder::new().with_bucket_name(bucket);
    let endpoint = options.endpoint.as_ref().map(|e| e.text.as_str());
    let base_url = endpoint.unwrap_or(GCS_DEFAULT_URL).trim_end_matches('/');
    if endpoint.is_some() {
        builder = builder.with_base_url(base_url);
    }
    let anonymous = options.anonymous.0;
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
    } else if let Some(json) = &options.service_account_credentials {
        serde_json::from_str::<serde_json::Value>(json.expose())
            .map_err(|_| bad(section, "service_account_credentials", "is not valid JSON"))?;
        builder = builder.with_service_account_key(json.expose());
    } else if let Some(file) = &options.service_account_file {
        trust.ambient(section, "service_account_file (a file on the server)")?;
        builder = builder.with_service_account_path(file);
    } else {
        trust.ambient(section, "neither anonymous nor service_account_credentials")?;
        builder = GoogleCloudStorageBuilder::from_env()
            .with_bucket_name(bucket)
            .with_base_url(base_url);
    }
    let store = builder
        .with_retry(retry.object_store_config())
        .with_http_connector(SharedConnector)
        .with_client_options(client_options(endpoint, retry))
        .build()
        .map_err(|e| match &options.service_account_file {
            // One message whatever went wrong: the error must not tell whether a file
            // exists on the server, or what it holds.
            Some(_) => bad(
                section,
                "service_account_file",
                "is not a readable key file",
            ),
            None => build_failed(section)(e),
        })?;
    let credentials = (!anonymous).then(|| store.credentials().clone());
    let writer = GcsWriter::new(base_url, bucket, credentials, retry.request_timeout)?;
    Ok(GcsBackend {
        objects: Objects::new(
            format!("{}:{bucket}", section.name),
            Arc::new(store),
            storage_class(options.storage_class.as_deref()),
        )
        .with_rfc3339_mtimes(),
        writer,
    })
}
