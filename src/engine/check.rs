//! `check`: do two trees hold the same data? Both sides are read and hashed, so a corrupted
//! object is found even when its stored metadata still claims the right checksum.

use futures::{StreamExt, TryStreamExt};
use std::collections::BTreeMap;

use super::Options;
use super::budget::Budget;
use super::download::hash_object;
use crate::Result;
use crate::store::Location;

/// One way in which the trees differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Difference {
    MissingInDestination(String),
    MissingInSource(String),
    SizeDiffers {
        key: String,
        src: u64,
        dst: u64,
    },
    ContentDiffers {
        key: String,
        src: String,
        dst: String,
    },
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Difference::MissingInDestination(k) => write!(f, "missing in destination: {k}"),
            Difference::MissingInSource(k) => write!(f, "only in destination: {k}"),
            Difference::SizeDiffers { key, src, dst } => {
                write!(
                    f,
                    "size differs: {key}: {src} bytes in source, {dst} in destination"
                )
            }
            Difference::ContentDiffers { key, src, dst } => {
                write!(
                    f,
                    "content differs: {key}: sha256 {src} in source, {dst} in destination"
                )
            }
        }
    }
}

/// The outcome of a check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    pub matching: u64,
    pub differences: Vec<Difference>,
}

impl CheckReport {
    pub fn is_match(&self) -> bool {
        self.differences.is_empty()
    }
}

/// Compares every file of `src` with `dst` by size and by the SHA-256 of the data read.
pub async fn check(src: &Location, dst: &Location, options: &Options) -> Result<CheckReport> {
    let (src_list, dst_list) =
        futures::try_join!(src.backend.list(&src.root), dst.backend.list(&dst.root))?;
    let mut dst_sizes: BTreeMap<String, u64> =
        dst_list.into_iter().map(|o| (o.key, o.size)).collect();
    let mut report = CheckReport::default();
    let mut to_hash = Vec::new();
    for o in src_list {
        match dst_sizes.remove(&o.key) {
            None => report
                .differences
                .push(Difference::MissingInDestination(o.key)),
            Some(d) if d != o.size => report.differences.push(Difference::SizeDiffers {
                key: o.key,
                src: o.size,
                dst: d,
            }),
            Some(_) => to_hash.push(o),
        }
    }
    report
        .differences
        .extend(dst_sizes.into_keys().map(Difference::MissingInSource));
    let budget = &Budget::new(options.max_in_flight);
    let compared: Vec<Option<Difference>> = futures::stream::iter(to_hash)
        .map(|o| async move {
            let (s, d) = futures::try_join!(
                hash_object(src, &o.key, o.size, None, budget),
                hash_object(dst, &o.key, o.size, None, budget)
            )?;
            Ok::<_, crate::Error>((s != d).then_some(Difference::ContentDiffers {
                key: o.key,
                src: s,
                dst: d,
            }))
        })
        .buffer_unordered(options.transfers.max(1))
        .try_collect()
        .await?;
    for c in compared {
        match c {
            Some(d) => report.differences.push(d),
            None => report.matching += 1,
        }
    }
    report.differences.sort_by_key(|d| d.to_string());
    Ok(report)
}
