//! S3: listing pending multipart uploads (ListMultipartUploads).
//!
//! `object_store` can create, fill, complete and abort a multipart upload, but not list the
//! ones still pending, and an upload whose id was lost (a kill between CreateMultipartUpload
//! and the journal's record of the id) can only be found that way. The request goes out
//! through [`BucketRequests`].

use std::sync::atomic::{AtomicBool, Ordering};

use serde::Deserialize;

use super::request::{BucketRequests, Call};
use crate::Result;
use crate::store::PendingUpload;

/// Most pages one listing follows (1,000 uploads each): a bound, not an expected size.
const MAX_PAGES: usize = 1000;

/// Lists the pending multipart uploads of one bucket.
#[derive(Debug)]
pub struct S3UploadLister {
    requests: std::sync::Arc<BucketRequests>,
    /// The server answered NotImplemented: it cannot list, and is not asked again.
    unsupported: AtomicBool,
}

const WHAT: &str = "list pending uploads";

impl S3UploadLister {
    pub fn new(requests: std::sync::Arc<BucketRequests>) -> Self {
        S3UploadLister {
            requests,
            unsupported: AtomicBool::new(false),
        }
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
        let (status, text) = self
            .requests
            .send(Call {
                method: http::Method::GET,
                key: "",
                query,
                headers: Default::default(),
                body: Default::default(),
                what: WHAT,
            })
            .await?;
        if status == 501 || text.contains("<Code>NotImplemented</Code>") {
            if !self.unsupported.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    store = %self.requests.name,
                    "the server cannot list pending multipart uploads: an upload begun by a killed run before its id was journalled cannot be found and aborted here; a bucket lifecycle rule (AbortIncompleteMultipartUpload) is the backstop"
                );
            }
            return Ok(None);
        }
        if !(200..300).contains(&status) {
            let excerpt: String = text.chars().take(500).collect();
            return Err(self.requests.failure(
                WHAT,
                Some(status),
                &format!("HTTP {status}: {excerpt}"),
            ));
        }
        parse(&text).map(Some).map_err(|e| {
            self.requests
                .failure(WHAT, Some(status), &format!("unreadable answer: {e}"))
        })
    }
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
}
