//! Uploads nobody knows the id of: finding and aborting them.
//!
//! A chunked upload is created on the server before its id can be journalled. A kill in
//! between leaves a pending upload that holds its parts, and costs storage, until someone
//! aborts it. So the journal records an *intent* (key, time) before the create; a later run
//! that finds an intent it cannot account for aborts the uploads of that key begun since
//! (see [`crate::store::layer::abort_strays`]) that are not the upload it continues. A create
//! whose answer was lost and which was sent again is made up for by the retry layer itself.
//!
//! [`cleanup`] is `ferry cleanup`: every pending upload under a location older than a given
//! age, like `rclone cleanup`.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::Run;
pub use crate::store::layer::CLOCK_SKEW;
use crate::store::{Location, PendingUpload};
use crate::{Error, Result};

impl Run<'_> {
    /// Aborts the pending uploads of `key` (relative to the destination) begun since `since`
    /// (milliseconds since the Unix epoch, less [`CLOCK_SKEW`]), except `keep`.
    pub(super) async fn abort_strays(&self, key: &str, since: i64, keep: Option<&str>) {
        let abs = self.dst.key(key);
        crate::store::layer::abort_strays(&*self.dst.backend, &abs, since, keep).await;
    }
}

/// What [`cleanup`] did.
#[derive(Debug, Default)]
pub struct CleanupReport {
    /// Uploads aborted.
    pub aborted: Vec<PendingUpload>,
    /// Uploads under the location left alone: younger than the age asked for, or of no
    /// stated age.
    pub kept: usize,
    /// Uploads that could not be aborted, with why.
    pub failed: Vec<(PendingUpload, Error)>,
}

/// Aborts every pending upload under `location` begun more than `max_age` ago (`ferry
/// cleanup`). Fails on a store that cannot list pending uploads.
pub async fn cleanup(location: &Location, max_age: Duration) -> Result<CleanupReport> {
    let prefix = if location.root.is_empty() {
        String::new()
    } else {
        format!("{}/", location.root)
    };
    let backend = &location.backend;
    let pending = backend
        .pending_uploads(&prefix)
        .await?
        .ok_or_else(|| {
            Error::Other(format!(
                "{}: this store cannot list pending uploads (local paths, Azure Blob, GCS and S3 servers without ListMultipartUploads); Azure and GCS drop unfinished uploads after a week by themselves",
                location.display
            ))
        })?;
    let max_age = chrono::Duration::from_std(max_age).unwrap_or(chrono::Duration::MAX);
    let before: DateTime<Utc> = Utc::now()
        .checked_sub_signed(max_age)
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    let mut report = CleanupReport::default();
    for upload in pending {
        if !upload.key.starts_with(&prefix) {
            continue;
        }
        if upload.initiated.is_none_or(|t| t > before) {
            report.kept += 1;
            continue;
        }
        match backend.abort_upload(&upload.key, &upload.upload).await {
            Ok(()) => report.aborted.push(upload),
            Err(e) => report.failed.push((upload, e)),
        }
    }
    Ok(report)
}
