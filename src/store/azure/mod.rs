//! Azure Blob: blobs and staged blocks through `object_store`; the commit of a chunked
//! upload through [`committer`], so the blob carries its SHA-256.

mod committer;
mod options;

use std::ops::Range;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};

pub use committer::AzureCommitter;

use options::AzureOptions;

use super::builder::{bad, build_failed, client_options, storage_class};
use super::http::SharedConnector;
use super::object::Objects;
use super::{Backend, Capabilities, ObjectInfo, Stat, Trust};
use crate::Result;
use crate::config::Section;
use crate::retry::RetryPolicy;

/// One container of an Azure storage account.
#[derive(Debug)]
pub struct AzureBackend {
    objects: Objects,
    committer: AzureCommitter,
}

const CAPABILITIES: Capabilities = Capabilities {
    parallel_parts: true,
    min_part_size: 1,
    max_parts: 50_000,
    part_alignment: 1,
    server_side_copy: true,
    stores_sha256: true,
    local: false,
};

#[async_trait]
impl Backend for AzureBackend {
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
        self.objects.put(key, data, sha256).await
    }

    /// Azure takes the metadata at the commit, and an upload id that is the SHA-256, so that
    /// the commit (maybe in a later process) knows it. Blocks are staged under the blob's
    /// name with no upload to create.
    async fn create_upload(&self, _key: &str, _size: u64, sha256: &str) -> Result<String> {
        Ok(sha256.to_owned())
    }

    async fn put_part(
        &self,
        key: &str,
        upload: &str,
        index: u64,
        _offset: u64,
        data: Bytes,
    ) -> Result<String> {
        self.objects.put_part(key, upload, index, data).await
    }

    async fn complete_upload(&self, key: &str, upload: &str, parts: Vec<String>) -> Result<()> {
        let attributes = self.objects.write_attributes();
        self.committer.commit(key, &parts, upload, attributes).await
    }

    async fn abort_upload(&self, key: &str, upload: &str) -> Result<()> {
        self.objects.abort_upload(key, upload).await
    }

    /// Uncommitted blocks are dropped by the service after 7 days; they cannot be listed.
    async fn pending_uploads(&self, _prefix: &str) -> Result<Option<Vec<super::PendingUpload>>> {
        Ok(None)
    }

    async fn copy(&self, from: &str, to: &str) -> Result<()> {
        self.objects.copy(from, to).await
    }

    async fn delete(&self, key: &str) -> Result<()> {
        self.objects.delete(key).await
    }
}

/// The backend of `container` in the Azure store `section` describes.
pub(super) fn build(
    section: &Section,
    container: &str,
    retry: &RetryPolicy,
    trust: Trust,
) -> Result<AzureBackend> {
    let options: AzureOptions = section.options()?;
    let env_auth = options.env_auth.0 || options.use_msi.0;
    // Without a key or SAS, object_store falls back to the host's managed identity.
    let keyless = !options.use_emulator.0 && options.key.is_none() && options.sas_url.is_none();
    if env_auth || keyless {
        trust.ambient(section, "env_auth, use_msi, or neither key nor sas_url")?;
    }
    let mut builder = if env_auth {
        MicrosoftAzureBuilder::from_env()
    } else {
        MicrosoftAzureBuilder::new()
    };
    builder = builder.with_container_name(container);
    if options.use_emulator.0 {
        builder = builder.with_use_emulator(true);
    }
    let mut endpoint = options.endpoint.as_ref().map(|e| e.text.clone());
    let mut sas_account = None;
    if let Some(sas_url) = &options.sas_url {
        let url =
            url::Url::parse(sas_url.expose()).map_err(|_| bad(section, "sas_url", "not a URL"))?;
        let query = url
            .query()
            .ok_or_else(|| bad(section, "sas_url", "has no SAS token (query string)"))?;
        builder = builder.with_config(AzureConfigKey::SasKey, query);
        if options.account.is_none() {
            let account = url
                .host_str()
                .and_then(|h| h.split('.').next())
                .ok_or_else(|| bad(section, "sas_url", "has no account host"))?;
            builder = builder.with_account(account);
            sas_account = Some(account.to_owned());
        }
    }
    if let Some(account) = &options.account {
        builder = builder.with_account(account);
    }
    if let Some(key) = &options.key {
        builder = builder.with_access_key(key.expose());
    }
    if let Some(e) = &endpoint {
        builder = builder.with_endpoint(e.clone());
    } else if options.use_emulator.0 {
        endpoint = std::env::var("AZURITE_BLOB_STORAGE_URL").ok();
    }
    let account = options
        .account
        .clone()
        .or(sas_account)
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
    let committer = AzureCommitter::new(
        &base_url,
        &account,
        container,
        store.credentials().clone(),
        retry.request_timeout,
    )?;
    Ok(AzureBackend {
        objects: Objects::new(
            format!("{}:{container}", section.name),
            Arc::new(store),
            storage_class(options.access_tier.as_deref()),
        )
        .with_rfc3339_mtimes(),
        committer,
    })
}
