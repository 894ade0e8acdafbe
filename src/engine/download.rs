//! The download step: reading a file of the source, from whichever store holds it (for a
//! local source, the disk), always insisting on the version first seen, and hashing a
//! stored file by reading it through.

use std::ops::Range;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};

use super::Run;
use super::budget::Budget;
use super::digest::Hasher;
use super::plan::ranges;
use crate::store::Location;
use crate::{Error, Result};

/// Read size when hashing a stored file: two reads of this size are in flight per file.
const HASH_READ: u64 = 8 << 20;

impl Run<'_> {
    /// Reads a range of the source, insisting on the version first seen.
    pub(super) async fn read(
        &self,
        key: &str,
        range: Range<u64>,
        etag: Option<&str>,
    ) -> Result<Bytes> {
        if range.is_empty() {
            return Ok(Bytes::new());
        }
        let abs = self.src().key(key);
        self.src().backend.get_range(&abs, range, etag).await
    }
}

/// SHA-256 of the file `key` of `location` by reading it through, insisting on `etag`.
pub async fn hash_object(
    location: &Location,
    key: &str,
    size: u64,
    etag: Option<&str>,
    budget: &Budget,
) -> Result<String> {
    let abs = location.key(key);
    let chunks = futures::stream::iter(ranges(size, HASH_READ))
        .map(|(_, range)| {
            let abs = abs.as_str();
            async move {
                let permit = budget.take(range.end - range.start).await?;
                let data = location.backend.get_range(abs, range, etag).await?;
                Ok::<_, Error>((data, permit))
            }
        })
        .buffered(2);
    // Each buffer keeps its share of the budget until it is hashed.
    let hasher = chunks
        .try_fold(Hasher::new(), |h, (data, permit)| async move {
            let h = h.update(data).await;
            drop(permit);
            h
        })
        .await?;
    Ok(hasher.finish())
}
