//! Google Cloud Storage writes through the JSON API's resumable upload sessions.
//!
//! `object_store`'s GCS client writes with the XML API, which the only GCS emulator available
//! for tests (fake-gcs-server) does not implement, so its writes could never be tested against
//! a real server here. Resumable sessions are also what a resumable transfer needs: the session
//! URI survives a restart of Ferry and is kept in the journal like an S3 upload id. Reads, lists,
//! copies and deletes still go through `object_store`.
//!
//! A session accepts its chunks in order only, so GCS declares `parallel_parts: false`; files
//! still go in parallel.

use std::fmt;

use bytes::Bytes;
use object_store::gcp::GcpCredentialProvider;
use object_store::{Attribute, Attributes};
use reqwest::StatusCode;

use crate::store::object_error::{http_failure, storage};
use crate::{Error, Result};

/// Writes objects of one bucket.
#[derive(Clone)]
pub struct GcsWriter {
    /// Shared by every writer of the runtime (see [`crate::store::http`]).
    client: reqwest::Client,
    /// Limit of each request, start to end of the answer.
    timeout: std::time::Duration,
    base_url: String,
    bucket: String,
    credentials: Option<GcpCredentialProvider>,
}

impl fmt::Debug for GcsWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GcsWriter")
            .field("base_url", &self.base_url)
            .field("bucket", &self.bucket)
            .finish_non_exhaustive()
    }
}

/// An upload id is `<total size> <session URI>`: a chunk must know whether it is the last.
fn split_upload(upload: &str) -> Result<(u64, &str)> {
    upload
        .split_once(' ')
        .and_then(|(size, uri)| Some((size.parse().ok()?, uri)))
        .ok_or_else(|| Error::Other("malformed GCS upload session id".into()))
}

impl GcsWriter {
    pub fn new(
        base_url: &str,
        bucket: &str,
        credentials: Option<GcpCredentialProvider>,
        timeout: std::time::Duration,
    ) -> Result<Self> {
        Ok(GcsWriter {
            client: crate::store::http::plain_client("GCS")?,
            timeout,
            base_url: base_url.trim_end_matches('/').to_owned(),
            bucket: bucket.to_owned(),
            credentials,
        })
    }

    /// The request with its time limit and, unless anonymous, its bearer token.
    async fn authorize(&self, request: reqwest::RequestBuilder) -> Result<reqwest::RequestBuilder> {
        let request = request.timeout(self.timeout);
        let Some(provider) = &self.credentials else {
            return Ok(request);
        };
        let credential = provider
            .get_credential()
            .await
            .map_err(|e| storage("GCS credentials", &e))?;
        Ok(if credential.bearer.is_empty() {
            request
        } else {
            request.bearer_auth(&credential.bearer)
        })
    }

    fn failure(context: &str, status: Option<StatusCode>, message: String) -> Error {
        http_failure(
            format!("GCS {context}"),
            status.map(|s| s.as_u16()),
            &message,
        )
    }

    async fn send(
        &self,
        context: &str,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response> {
        let response = self
            .authorize(request)
            .await?
            .send()
            .await
            .map_err(|e| Self::failure(context, e.status(), e.to_string()))?;
        let status = response.status();
        if status.is_success() || status.as_u16() == 308 {
            return Ok(response);
        }
        let body = response.text().await.unwrap_or_default();
        let body: String = body.chars().take(500).collect();
        Err(Self::failure(
            context,
            Some(status),
            format!("HTTP {status}: {body}"),
        ))
    }

    /// Opens a resumable session for `key`; the metadata (SHA-256, storage class) is fixed here.
    pub async fn create_session(
        &self,
        key: &str,
        size: u64,
        sha256: &str,
        attributes: &Attributes,
    ) -> Result<String> {
        let mut url = url::Url::parse(&format!(
            "{}/upload/storage/v1/b/{}/o",
            self.base_url, self.bucket
        ))
        .map_err(|e| Error::BadConfig(format!("GCS endpoint: {e}")))?;
        url.query_pairs_mut()
            .append_pair("uploadType", "resumable")
            .append_pair("name", key);
        let mut body = serde_json::json!({
            "name": key,
            "metadata": { crate::store::SHA256_METADATA: sha256 },
        });
        if let Some(class) = attributes.get(&Attribute::StorageClass) {
            body["storageClass"] = serde_json::Value::String(class.to_string());
        }
        let request = self
            .client
            .post(url)
            .header("X-Upload-Content-Length", size)
            .json(&body);
        let context = format!("create upload {key:?}");
        let response = self.send(&context, request).await?;
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| Self::failure(&context, None, "no session URI in the answer".into()))?;
        Ok(format!("{size} {location}"))
    }

    /// Sends the bytes at `offset` of the session; the chunk that reaches the end finishes it.
    pub async fn put_chunk(
        &self,
        key: &str,
        upload: &str,
        offset: u64,
        data: Bytes,
    ) -> Result<String> {
        let (total, uri) = split_upload(upload)?;
        let end = offset + data.len() as u64;
        let range = if data.is_empty() {
            format!("bytes */{total}")
        } else {
            format!("bytes {offset}-{}/{total}", end - 1)
        };
        let request = self
            .client
            .put(uri)
            .header(reqwest::header::CONTENT_RANGE, range)
            .body(data);
        let response = self.send(&format!("put part of {key:?}"), request).await?;
        let finished = response.status() != StatusCode::PERMANENT_REDIRECT;
        if finished != (end == total) {
            return Err(Self::failure(
                &format!("put part of {key:?}"),
                None,
                format!("session state unexpected after bytes up to {end} of {total}"),
            ));
        }
        Ok(String::new())
    }

    /// Uploads a whole small object as a one-chunk session.
    pub async fn put(
        &self,
        key: &str,
        data: Bytes,
        sha256: &str,
        attributes: &Attributes,
    ) -> Result<()> {
        let upload = self
            .create_session(key, data.len() as u64, sha256, attributes)
            .await?;
        self.put_chunk(key, &upload, 0, data).await.map(drop)
    }

    /// The last chunk already finished the session; nothing is left to send.
    pub async fn finish_session(&self, _key: &str, _upload: &str) -> Result<()> {
        Ok(())
    }

    /// Copies an object inside the bucket with the JSON API's `rewriteTo` (the XML API's copy
    /// is missing from the emulator too). Metadata, and with it the SHA-256, is kept; large
    /// objects may take several calls, each continuing with the server's rewrite token.
    pub async fn copy(&self, from: &str, to: &str) -> Result<()> {
        let mut base = url::Url::parse(&self.base_url)
            .map_err(|e| Error::BadConfig(format!("GCS endpoint: {e}")))?;
        base.path_segments_mut()
            .map_err(|()| Error::BadConfig("GCS endpoint cannot take a path".into()))?
            .pop_if_empty()
            .extend([
                "storage",
                "v1",
                "b",
                &self.bucket,
                "o",
                from,
                "rewriteTo",
                "b",
                &self.bucket,
                "o",
                to,
            ]);
        let context = format!("copy {from:?} -> {to:?}");
        let mut token: Option<String> = None;
        loop {
            let mut url = base.clone();
            if let Some(t) = &token {
                url.query_pairs_mut().append_pair("rewriteToken", t);
            }
            let response = self
                .send(&context, self.client.post(url).json(&serde_json::json!({})))
                .await?;
            let body: serde_json::Value = response
                .json()
                .await
                .map_err(|e| Self::failure(&context, None, e.to_string()))?;
            if body["done"].as_bool().unwrap_or(true) {
                return Ok(());
            }
            token = body["rewriteToken"].as_str().map(str::to_owned);
            if token.is_none() {
                return Err(Self::failure(
                    &context,
                    None,
                    "rewrite not done and no token".into(),
                ));
            }
        }
    }

    /// Cancels a session; the server drops what it received.
    pub async fn cancel_session(&self, upload: &str) -> Result<()> {
        let (_, uri) = split_upload(upload)?;
        let response = self.authorize(self.client.delete(uri)).await?.send().await;
        // 499 is GCS's answer to a cancelled session; a gone session is already cancelled.
        match response {
            Ok(_) => Ok(()),
            Err(e) => Err(Self::failure("cancel upload", e.status(), e.to_string())),
        }
    }
}
