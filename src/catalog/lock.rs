//! Retention locks on a backup's objects (S3 Object Lock, `crate::store::Retention`):
//! a backup with one object still locked is not deleted, and prune says until when.
//!
//! Every object is asked, not only `META`: a lock set by hand or by the bucket's default
//! retention need not be the same on all. On a bucket that cannot lock, the store answers
//! without a request per object.

use chrono::{DateTime, Utc};
use futures::StreamExt;

use super::{BackupEntry, Catalog, REQUESTS_IN_FLIGHT};
use crate::Result;
use crate::store::Retention;

impl Catalog {
    /// The latest lock of `backup`'s objects that still holds at `now`; `None`: it may go.
    pub async fn lock(
        &self,
        backup: &BackupEntry,
        now: DateTime<Utc>,
    ) -> Result<Option<Retention>> {
        let dir = &self.repository.child(&backup.id);
        let mut asks = futures::stream::iter(&backup.objects)
            .map(|o| async move { dir.backend.retention(&dir.key(&o.key)).await })
            .buffer_unordered(REQUESTS_IN_FLIGHT);
        let mut latest: Option<Retention> = None;
        while let Some(answer) = asks.next().await {
            if let Some(r) = answer?.filter(|r| r.holds_at(now))
                && latest.is_none_or(|l| r.until > l.until)
            {
                latest = Some(r);
            }
        }
        Ok(latest)
    }
}
