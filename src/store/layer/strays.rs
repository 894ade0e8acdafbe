//! Uploads nobody knows the id of, found by their key and the time they began.
//!
//! A chunked upload exists on the server before its id reaches whoever asked for it: a
//! create whose answer was lost (and which was sent again), or a process killed in between,
//! leaves a pending upload that keeps its parts, and costs storage, until it is aborted. The
//! remedy is to list the pending uploads of that exact key and abort those begun at or after
//! the moment the create was first sent (less [`CLOCK_SKEW`]), but the one in use. Older
//! uploads of the same key are left alone: they are not this create's.
//!
//! Where the store cannot list ([`Backend::pending_uploads`] is `None`) nothing is done:
//! local staged files are found by path, Azure and GCS drop unfinished uploads by themselves
//! after a week, and an S3 server without ListMultipartUploads was already named in the log.
//! A failure to list or abort is logged and never fails the caller.

use std::time::Duration;

use crate::store::Backend;

/// How far the server's clock may be behind ours, for comparing its upload times with ours:
/// S3 refuses SigV4 requests whose time is more than 15 minutes off, so a server that
/// accepted the create is at most that far from this machine.
pub const CLOCK_SKEW: Duration = Duration::from_secs(15 * 60);

/// Aborts the pending uploads of the full key `key` begun since `since` (milliseconds since
/// the Unix epoch, less [`CLOCK_SKEW`]), except `keep`.
pub async fn abort_strays(backend: &dyn Backend, key: &str, since: i64, keep: Option<&str>) {
    let pending = match backend.pending_uploads(key).await {
        Ok(Some(pending)) => pending,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(key, error = %e, "could not list pending uploads to abort strays");
            return;
        }
    };
    let from = since.saturating_sub(CLOCK_SKEW.as_millis() as i64);
    for stray in pending.iter().filter(|u| {
        u.key == key
            && Some(u.upload.as_str()) != keep
            && u.initiated.is_some_and(|t| t.timestamp_millis() >= from)
    }) {
        match backend.abort_upload(key, &stray.upload).await {
            Ok(()) => {
                tracing::info!(key, upload = %stray.upload, "aborted an upload whose id was not known");
            }
            Err(e) => tracing::warn!(key, error = %e, "could not abort a stray upload"),
        }
    }
}
