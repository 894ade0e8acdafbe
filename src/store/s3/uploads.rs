//! S3: listing pending multipart uploads (ListMultipartUploads).
//!
//! `object_store` can create, fill, complete and abort a multipart upload, but not list the
//! ones still pending, and an upload whose id was lost (a kill between CreateMultipartUpload
//! and the journal's record of the id) can only be found that way. The request is sent here,
//! signed by `object_store`'s own [`AwsAuthorizer`] with the section's credentials, the way
//! [`crate::store::azure`] sends Put Block List.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};

use object_store::aws::{AwsAuthorizer, AwsCredentialProvider};
use object_store::client::{HttpRequest, HttpRequestBody};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;

use crate::store::PendingUpload;
use crate::store::object_error::{http_failure, storage};
use crate::{Error, Result};

/// Most pages one listing follows (1,000 uploads each): a bound, not an expected size.
const MAX_PAGES: usize = 1000;

/// Lists the pending multipart uploads of one bucket.
pub struct S3UploadLister {
    /// The process's shared plain client (building one loads the TLS roots); each request
    /// sets `timeout`.
    client: reqwest::Client,
    timeout: std::time::Duration,
    /// The bucket's URL: `<endpoint>/<bucket>` (path style) or the virtual host's origin.
    bucket_url: url::Url,
    region: String,
    /// `None`: requests go unsigned (a section without credentials).
    credentials: Option<AwsCredentialProvider>,
    /// The server answered NotImplemented: it cannot list, and is not asked again.
    unsupported: AtomicBool,
    /// What to call the store in messages (`section:bucket`).
    name: String,
}

impl fmt::Debug for S3UploadLister {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3UploadLister")
            .field("bucket_url", &self.bucket_url.as_str())
            .finish_non_exhaustive()
    }
}

/// The bucket's URL as `object_store` builds it (`AmazonS3Builder::build`): an endpoint
/// with `/<bucket>` in path style, the endpoint itself in virtual-hosted style (it then names
/// the bucket already), else AWS's regional endpoint.
pub fn bucket_url(
    endpoint: Option<&str>,
    bucket: &str,
    region: &str,
    virtual_hosted: bool,
) -> String {
    match (endpoint, virtual_hosted) {
        (Some(e), true) => e.to_owned(),
        (Some(e), false) => format!("{}/{bucket}", e.trim_end_matches('/')),
        (None, true) => format!("https://{bucket}.s3.{region}.amazonaws.com"),
        (None, false) => format!("https://s3.{region}.amazonaws.com/{bucket}"),
    }
}

impl S3UploadLister {
    pub fn new(
        name: String,
        bucket_url: &str,
        region: &str,
        credentials: Option<AwsCredentialProvider>,
        timeout: std::time::Duration,
    ) -> Result<Self> {
        let client = crate::store::http::plain_client("S3")?;
        let bucket_url = url::Url::parse(bucket_url)
            .map_err(|e| Error::BadConfig(format!("{name}: S3 bucket URL: {e}")))?;
        Ok(S3UploadLister {
            client,
            timeout,
            bucket_url,
            region: region.to_owned(),
            credentials,
            unsupported: AtomicBool::new(false),
            name,
        })
    }

    fn failure(&self, status: Option<u16>, message: &str) -> Error {
        http_failure(
            format!("{} list pending uploads", self.name),
            status,
            message,
        )
    }

    /// Every pending upload whose key starts with `prefix`; `None` when the server cannot
    /// list them (said once in the log).
    pub async fn list(&self, prefix: &str) -> Result<Option<Vec<PendingUpload>>> {
        if self.unsupported.load(Ordering::Relaxed) {
            return Ok(None);
        }
        let mut out = Vec::new();
        let mut markers: Option<(String, String)> = None;
        for _ in 0..MAX_PAGES {
            let Some(page) = self.page(prefix, markers.as_ref()).await? else {
                return Ok(None);
            };
            out.extend(page.uploads.into_iter().map(|u| {
                PendingUpload {
                    initiated: u
                        .initiated
                        .as_deref()
                        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t.trim()).ok())
                        .map(|t| t.to_utc()),
                    key: u.key,
                    upload: u.upload_id,
                }
            }));
            let next = (
                page.next_key_marker.unwrap_or_default(),
                page.next_upload_id_marker.unwrap_or_default(),
            );
            // A truncated page without markers would ask for the same page forever.
            if !page.is_truncated || next.0.is_empty() || markers.as_ref() == Some(&next) {
                return Ok(Some(out));
            }
            markers = Some(next);
        }
        Ok(Some(out))
    }

    /// One page of the listing; `None`: the server does not implement it.
    async fn page(
        &self,
        prefix: &str,
        markers: Option<&(String, String)>,
    ) -> Result<Option<ListResult>> {
        let mut query = vec![("max-uploads", "1000"), ("prefix", prefix), ("uploads", "")];
        if let Some((key, upload)) = markers {
            query.push(("key-marker", key));
            query.push(("upload-id-marker", upload));
        }
        let mut url = self.bucket_url.clone();
        // Encoded the way SigV4 canonicalises a query (spaces as %20, not form-encoded `+`),
        // so that the bytes sent are the bytes signed.
        let encoded: Vec<String> = query
            .iter()
            .map(|(k, v)| format!("{}={}", strict_encode(k), strict_encode(v)))
            .collect();
        url.set_query(Some(&encoded.join("&")));

        let mut request = HttpRequest::new(HttpRequestBody::empty());
        *request.method_mut() = http::Method::GET;
        *request.uri_mut() = url
            .as_str()
            .parse()
            .map_err(|e| Error::Other(format!("{}: S3 URL: {e}", self.name)))?;
        if let Some(provider) = &self.credentials {
            let credential = provider
                .get_credential()
                .await
                .map_err(|e| storage(format!("{} credentials", self.name), &e))?;
            AwsAuthorizer::new(&credential, "s3", &self.region)
                .try_authorize(&mut request, None)
                .map_err(|e| storage(format!("{} signing", self.name), &e))?;
        }
        let (parts, _) = request.into_parts();
        let response = self
            .client
            .get(url.as_str())
            .headers(parts.headers)
            .timeout(self.timeout)
            .send()
            .await
            .map_err(|e| self.failure(e.status().map(|s| s.as_u16()), &e.to_string()))?;
        let status = response.status().as_u16();
        let text = response
            .text()
            .await
            .map_err(|e| self.failure(None, &format!("reading the answer: {e}")))?;
        if status == 501 || text.contains("<Code>NotImplemented</Code>") {
            if !self.unsupported.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    store = %self.name,
                    "the server cannot list pending multipart uploads: an upload begun by a killed run before its id was journalled cannot be found and aborted here; a bucket lifecycle rule (AbortIncompleteMultipartUpload) is the backstop"
                );
            }
            return Ok(None);
        }
        if !(200..300).contains(&status) {
            let excerpt: String = text.chars().take(500).collect();
            return Err(self.failure(Some(status), &format!("HTTP {status}: {excerpt}")));
        }
        parse(&text)
            .map(Some)
            .map_err(|e| self.failure(Some(status), &format!("unreadable answer: {e}")))
    }
}

/// Everything but RFC 3986's unreserved characters is percent-encoded (SigV4's rule).
const SIGV4_QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn strict_encode(s: &str) -> String {
    utf8_percent_encode(s, SIGV4_QUERY).to_string()
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListResult {
    #[serde(default)]
    is_truncated: bool,
    #[serde(default)]
    next_key_marker: Option<String>,
    #[serde(default)]
    next_upload_id_marker: Option<String>,
    #[serde(default, rename = "Upload")]
    uploads: Vec<UploadEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UploadEntry {
    key: String,
    upload_id: String,
    #[serde(default)]
    initiated: Option<String>,
}

fn parse(text: &str) -> std::result::Result<ListResult, quick_xml::DeError> {
    quick_xml::de::from_str(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_listing() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Bucket>b</Bucket><KeyMarker/><UploadIdMarker/>
  <NextKeyMarker>a &amp; b</NextKeyMarker><NextUploadIdMarker>u2</NextUploadIdMarker>
  <MaxUploads>1000</MaxUploads><IsTruncated>true</IsTruncated>
  <Upload><Key>dir/a &amp; b</Key><UploadId>u1</UploadId>
    <Initiator><ID>x</ID></Initiator><StorageClass>STANDARD</StorageClass>
    <Initiated>2026-11-25T07:00:00.000Z</Initiated></Upload>
  <Upload><Key>dir/c</Key><UploadId>u2</UploadId><Initiated>garbage</Initiated></Upload>
  <CommonPrefixes><Prefix>x/</Prefix></CommonPrefixes>
</ListMultipartUploadsResult>"#;
        let r = parse(xml).expect("parses");
        assert!(r.is_truncated);
        assert_eq!(r.next_key_marker.as_deref(), Some("a & b"));
        assert_eq!(r.uploads.len(), 2);
        assert_eq!(r.uploads[0].key, "dir/a & b");
        assert_eq!(r.uploads[1].upload_id, "u2");
        let empty = parse(
            "<ListMultipartUploadsResult><IsTruncated>false</IsTruncated></ListMultipartUploadsResult>",
        )
        .expect("parses");
        assert!(empty.uploads.is_empty() && !empty.is_truncated);
    }

    #[test]
    fn encodes_like_sigv4() {
        assert_eq!(strict_encode("a b+c/ü~"), "a%20b%2Bc%2F%C3%BC~");
        assert_eq!(
            bucket_url(Some("http://h:1/"), "b", "r", false),
            "http://h:1/b"
        );
        assert_eq!(
            bucket_url(None, "b", "eu-west-1", true),
            "https://b.s3.eu-west-1.amazonaws.com"
        );
    }
}
