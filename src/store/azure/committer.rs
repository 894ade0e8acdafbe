//! Azure Blob: committing a chunked upload with its metadata.
//!
//! `object_store` stages blocks (Put Block) for us, but its `complete_multipart` commits the
//! block list without metadata, and it refuses metadata at creation. Ferry's SHA-256 must be
//! stored with the blob, so the commit (Put Block List) is sent here, with `x-ms-meta-sha256`,
//! signed by `object_store`'s own [`AzureAuthorizer`] with the section's credentials.

use std::fmt;

use base64::Engine;
use bytes::Bytes;
use object_store::azure::{AzureAuthorizer, AzureCredentialProvider};
use object_store::client::{HttpRequest, HttpRequestBody};
use object_store::{Attribute, Attributes};
use serde::Serialize;

use crate::store::object_error::{http_failure, storage};
use crate::{Error, Result};

/// Put Block List's body: the staged blocks, in order.
#[derive(Serialize)]
#[serde(rename = "BlockList")]
struct BlockList {
    #[serde(rename = "Uncommitted")]
    uncommitted: Vec<String>,
}

/// The body naming `parts`' blocks, as object_store named them: the base64 of the content
/// id's bytes.
fn block_list(parts: &[String]) -> Result<String> {
    let list = BlockList {
        uncommitted: parts
            .iter()
            .map(|part| base64::engine::general_purpose::STANDARD.encode(part.as_bytes()))
            .collect(),
    };
    let body = quick_xml::se::to_string(&list)
        .map_err(|e| Error::Other(format!("Azure block list: {e}")))?;
    Ok(format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n{body}"
    ))
}

/// Commits block lists of one container.
#[derive(Clone)]
pub struct AzureCommitter {
    /// Shared by every committer of the runtime (see [`crate::store::http`]).
    client: reqwest::Client,
    /// Limit of each request, start to end of the answer.
    timeout: std::time::Duration,
    /// `https://<account>.blob.core.windows.net` or the emulator's `http://host:port/<account>`.
    base_url: String,
    account: String,
    container: String,
    credentials: AzureCredentialProvider,
}

impl fmt::Debug for AzureCommitter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AzureCommitter")
            .field("base_url", &self.base_url)
            .field("container", &self.container)
            .finish_non_exhaustive()
    }
}

impl AzureCommitter {
    pub fn new(
        base_url: &str,
        account: &str,
        container: &str,
        credentials: AzureCredentialProvider,
        timeout: std::time::Duration,
    ) -> Result<Self> {
        Ok(AzureCommitter {
            client: crate::store::http::plain_client("Azure")?,
            timeout,
            base_url: base_url.trim_end_matches('/').to_owned(),
            account: account.to_owned(),
            container: container.to_owned(),
            credentials,
        })
    }

    fn failure(key: &str, status: Option<u16>, message: String) -> Error {
        http_failure(format!("Azure commit {key:?}"), status, &message)
    }

    /// Put Block List: the staged blocks `parts` become the blob `key`, with its metadata.
    pub async fn commit(
        &self,
        key: &str,
        parts: &[String],
        sha256: &str,
        attributes: &Attributes,
    ) -> Result<()> {
        let xml = block_list(parts)?;
        let mut url = url::Url::parse(&self.base_url)
            .map_err(|e| Error::BadConfig(format!("Azure endpoint: {e}")))?;
        url.path_segments_mut()
            .map_err(|()| Error::BadConfig("Azure endpoint cannot take a path".into()))?
            .pop_if_empty()
            .push(&self.container)
            .extend(key.split('/'));
        url.query_pairs_mut().append_pair("comp", "blocklist");

        let body = Bytes::from(xml);
        let mut request = HttpRequest::new(HttpRequestBody::from(body.clone()));
        *request.method_mut() = http::Method::PUT;
        *request.uri_mut() = url
            .as_str()
            .parse()
            .map_err(|e| Error::Other(format!("Azure URL: {e}")))?;
        let headers = request.headers_mut();
        let header = |v: &str| {
            http::HeaderValue::from_str(v).map_err(|e| Error::Other(format!("Azure header: {e}")))
        };
        headers.insert("x-ms-meta-sha256", header(sha256)?);
        headers.insert(
            http::header::CONTENT_LENGTH,
            header(&body.len().to_string())?,
        );
        headers.insert(http::header::CONTENT_TYPE, header("application/xml")?);
        if let Some(tier) = attributes.get(&Attribute::StorageClass) {
            headers.insert("x-ms-access-tier", header(tier)?);
        }
        let credential = self
            .credentials
            .get_credential()
            .await
            .map_err(|e| storage("Azure credentials", &e))?;
        AzureAuthorizer::new(&credential, &self.account)
            .try_authorize(&mut request)
            .map_err(|e| storage("Azure signing", &e))?;

        let (parts_of, _) = request.into_parts();
        let url = parts_of.uri.to_string();
        let response = self
            .client
            .put(url)
            .timeout(self.timeout)
            .headers(parts_of.headers)
            .body(body)
            .send()
            .await
            .map_err(|e| Self::failure(key, e.status().map(|s| s.as_u16()), e.to_string()))?;
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(());
        }
        let text: String = response
            .text()
            .await
            .unwrap_or_default()
            .chars()
            .take(500)
            .collect();
        Err(Self::failure(
            key,
            Some(status),
            format!("HTTP {status}: {text}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_list_names_blocks_in_order() {
        let xml = block_list(&["a".into(), "b<&".into()]).expect("serialises");
        assert_eq!(
            xml,
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
             <BlockList><Uncommitted>YQ==</Uncommitted><Uncommitted>Yjwm</Uncommitted></BlockList>"
        );
        assert!(block_list(&[]).expect("empty").ends_with("<BlockList/>"));
    }
}
