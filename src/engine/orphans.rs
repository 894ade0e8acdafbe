//! Uploads nobody knows the id of: finding and aborting them.
//!
//! A chunked upload is created on the server before its id can be journalled. A kill in
//! between (or a create whose answer was lost and which was then sent again) leaves a pending
//! upload that holds its parts, and costs storage, until someone aborts it. So the journal
//! records an *intent* (key, time) before the create; a later run that finds an intent it
//! cannot account for lists the pending uploads of that exact key and aborts those begun at
//! or after the intent (less [`CLOCK_SKEW`]) that are not the upload it continues. Older
//! uploads of the same key are left alone: they are not this transfer's.
//!
//! Where the store cannot list ([`crate::store::Backend::pending_uploads`] is `None`) nothing
//! is done: local staged files are found by path, Azure and GCS drop unfinished uploads by
//! themselves after a week, and an S3 server without ListMultipartUploads was already named
//! in the log. A failure to list or abort is logged and never fails the transfer.
//!
//! [`cleanup`] is `ferry cleanup`: every pending upload under a location older than a given
//! age, like `rclone cleanup`.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::Run;
use crate::retry::RetryPolicy;
use crate::store::{Location, PendingUpload};
use crate::{Error, Result};

/// How far the server's clock may be behind ours, for comparing its upload times with the
/// journal's intents: S3 refuses SigV4 requests whose time is more than 15 minutes off, so a
/// server that accepted the create is at most that far from this machine.
pub const CLOCK_SKEW: Duration = Duration::from_secs(15 * 60);

impl Run<'_> {
    /// Aborts the pending uploads of `key` (relative to the destination) begun since `since`
    /// (milliseconds since the Unix epoch, less [`CLOCK_SKEW`]), except `keep`.
    pub(super) async fn abort_strays(&self, key: &str, since: i64, keep: Option<&str>) {
        let abs = self.t.dst.key(key);
        let backend = &self.t.dst.backend;
        let listed = self
            .t
            .options
            .retry
            .run("list pending uploads", || backend.pending_uploads(&abs))
            .await;
        let pending = match listed {
            Ok(Some(pending)) => pending,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(key = %abs, error = %e, "could not list pending uploads to abort strays");
                return;
            }
        };
        let from = since.saturating_sub(CLOCK_SKEW.as_millis() as i64);
        for stray in pending.iter().filter(|u| {
            u.key == abs
                && Some(u.upload.as_str()) != keep
                && u.initiated.is_some_and(|t| t.timestamp_millis() >= from)
        }) {
            match backend.abort_upload(&abs, &stray.upload).await {
                Ok(()) => {
                    tracing::info!(key = %abs, upload = %stray.upload, "aborted an upload whose id was not journalled");
                }
                Err(e) => {
                    tracing::warn!(key = %abs, error = %e, "could not abort a stray upload");
                }
            }
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
pub async fn cleanup(
    location: &Location,
    max_age: Duration,
    retry: &RetryPolicy,
) -> Result<CleanupReport> {
    let prefix = if location.root.is_empty() {
        String::new()
    } else {
        format!("{}/", location.root)
    };
    let backend = &location.backend;
    let pending = retry
        .run("list pending uploads", || backend.pending_uploads(&prefix))
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
        match retry
            .run("abort upload", || {
                backend.abort_upload(&upload.key, &upload.upload)
            })
            .await
        {
            Ok(()) => report.aborted.push(upload),
            Err(e) => report.failed.push((upload, e)),
        }
    }
    Ok(report)
}
