//! Uploads nobody finished: this run's when it gives one up or is cancelled, an earlier
//! run's that this one does not continue, and those nobody knows the id of.
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

use std::collections::HashMap;
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

    /// Done with the upload of `key`: published, or given up (then `abort` names the upload
    /// to drop on the server). Ends it in the journal and among this run's active uploads.
    pub(super) async fn forget(&self, key: &str, abort: Option<&str>) -> Result<()> {
        if let Some(upload) = abort {
            self.abort_all([(key.to_owned(), upload.to_owned())]).await;
        }
        self.journal.end(key)?;
        self.active
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
        Ok(())
    }

    /// Aborts uploads (key relative to the destination → upload id); a failure is logged.
    pub(super) async fn abort_all(&self, uploads: impl IntoIterator<Item = (String, String)>) {
        for (key, upload) in uploads {
            let abs = self.dst.key(&key);
            if let Err(e) = self.dst.backend.abort_upload(&abs, &upload).await {
                tracing::warn!(key = %abs, error = %e, "could not abort an upload");
            }
        }
    }

    /// Uploads an earlier run left open that this run did not take over.
    fn leftovers(&self) -> HashMap<String, String> {
        let settled = self.settled.lock().unwrap_or_else(|p| p.into_inner());
        self.journal
            .open_uploads()
            .iter()
            .filter(|(k, _)| !settled.contains(*k))
            .map(|(k, o)| (k.clone(), o.upload.clone()))
            .collect()
    }

    /// Aborts uploads an earlier run left open that this run did not continue, and those it
    /// may have created without journalling their ids.
    pub(super) async fn abort_leftovers(&self) {
        self.abort_all(self.leftovers()).await;
        let intents: Vec<(String, i64)> = {
            let settled = self.settled.lock().unwrap_or_else(|p| p.into_inner());
            self.journal
                .earlier_intents()
                .iter()
                .filter(|(k, _)| !settled.contains(*k))
                .map(|(k, at)| (k.clone(), *at))
                .collect()
        };
        for (key, at) in intents {
            self.abort_strays(&key, at, None).await;
        }
    }

    /// Aborts every upload that is not finished, this run's and earlier ones'.
    pub(super) async fn abort_everything(&self) {
        let mut uploads = self.leftovers();
        uploads.extend(
            self.active
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .drain(),
        );
        self.abort_all(uploads).await;
        // Creates cut off by the cancel, and earlier runs' that never reached the journal.
        for (key, at) in self.journal.intents() {
            self.abort_strays(&key, at, None).await;
        }
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
