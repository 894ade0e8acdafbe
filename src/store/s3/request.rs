//! The S3 requests `object_store` cannot send (ListMultipartUploads, object retention), sent
//! here and signed by `object_store`'s own [`AwsAuthorizer`] with the section's credentials,
//! the way [`crate::store::azure`] sends Put Block List.

use std::fmt;

use bytes::Bytes;
use http::{HeaderMap, Method};
use object_store::aws::{AwsAuthorizer, AwsCredentialProvider};
use object_store::client::{HttpRequest, HttpRequestBody};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::store::object_error::{http_failure, storage};
use crate::{Error, Result};

/// Signed requests to one bucket.
pub struct BucketRequests {
    /// The process's shared plain client (building one loads the TLS roots); each request
    /// sets `timeout`.
    client: reqwest::Client,
    timeout: std::time::Duration,
    /// The bucket's URL: `<endpoint>/<bucket>` (path style) or the virtual host's origin.
    bucket_url: url::Url,
    region: String,
    /// `None`: requests go unsigned (a section without credentials).
    credentials: Option<AwsCredentialProvider>,
    /// What to call the store in messages (`section:bucket`).
    pub name: String,
}

impl fmt::Debug for BucketRequests {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BucketRequests")
            .field("bucket_url", &self.bucket_url.as_str())
            .finish_non_exhaustive()
    }
}

/// One request: which object (`""` for the bucket), its query, headers and body.
#[derive(Debug)]
pub struct Call<'a> {
    pub method: Method,
    pub key: &'a str,
    pub query: Vec<(&'a str, &'a str)>,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// What the request does, for messages (`list pending uploads`).
    pub what: &'a str,
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

impl BucketRequests {
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
        Ok(BucketRequests {
            client,
            timeout,
            bucket_url,
            region: region.to_owned(),
            credentials,
            name,
        })
    }

    /// A failure of `what`, retryable by its status.
    pub fn failure(&self, what: &str, status: Option<u16>, message: &str) -> Error {
        http_failure(format!("{} {what}", self.name), status, message)
    }

    /// Sends `call` signed; the status and the answer's text.
    pub async fn send(&self, call: Call<'_>) -> Result<(u16, String)> {
        let mut url = self.bucket_url.clone();
        if !call.key.is_empty() {
            // Each segment encoded as SigV4 canonicalises it: S3 signs the path as sent.
            let encoded: Vec<String> = call.key.split('/').map(strict_encode).collect();
            let path = format!("{}/{}", url.path().trim_end_matches('/'), encoded.join("/"));
            url.set_path(&path);
        }
        // Encoded the way SigV4 canonicalises a query (spaces as %20, not form-encoded `+`),
        // so that the bytes sent are the bytes signed.
        let encoded: Vec<String> = call
            .query
            .iter()
            .map(|(k, v)| format!("{}={}", strict_encode(k), strict_encode(v)))
            .collect();
        url.set_query(Some(&encoded.join("&")));

        let mut request = HttpRequest::new(HttpRequestBody::from(call.body.clone()));
        *request.method_mut() = call.method.clone();
        *request.headers_mut() = call.headers;
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
            .request(call.method, url.as_str())
            .headers(parts.headers)
            .body(call.body)
            .timeout(self.timeout)
            .send()
            .await
            .map_err(|e| self.failure(call.what, e.status().map(|s| s.as_u16()), &e.to_string()))?;
        let status = response.status().as_u16();
        let text = response
            .text()
            .await
            .map_err(|e| self.failure(call.what, None, &format!("reading the answer: {e}")))?;
        Ok((status, text))
    }
}

/// Everything but RFC 3986's unreserved characters is percent-encoded (SigV4's rule).
const SIGV4_QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

pub fn strict_encode(s: &str) -> String {
    utf8_percent_encode(s, SIGV4_QUERY).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

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
