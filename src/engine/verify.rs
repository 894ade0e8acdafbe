//! The verify step: does the destination already hold a file's exact content, and does
//! what was published there have the size and SHA-256 it must have. Nothing unverified is
//! published: data sent through Ferry is hashed on its way (see [`super::upload`]), and what
//! did not pass through it (server-side copies, remote stores' assembled uploads) is checked
//! here.

use super::Run;
use super::download::hash_object;
use crate::store::{Location, Stat};
use crate::{Error, Result};

impl Run<'_> {
    pub(super) async fn stat(&self, location: &Location, key: &str) -> Result<Option<Stat>> {
        location.backend.stat(&location.key(key)).await
    }

    /// Whether the destination already holds this exact content: same size and SHA-256
    /// (read from its metadata, or by reading a local file).
    pub(super) async fn present(&self, key: &str, size: u64, sha256: &str) -> Result<bool> {
        if self.existing.get(key) != Some(&size) {
            return Ok(false);
        }
        let Some(stat) = self.stat(self.dst(), key).await? else {
            return Ok(false);
        };
        if stat.size != size {
            return Ok(false);
        }
        let dst_sha = match stat.sha256 {
            Some(s) => s,
            None if self.dst().capabilities().local => {
                hash_object(self.dst(), key, size, None, &self.budget).await?
            }
            None => return Ok(false),
        };
        Ok(dst_sha == sha256)
    }

    /// After a write that did not pass through Ferry's hashing (server-side copy) or to a
    /// remote store: the published object must have the right size and SHA-256 metadata.
    pub(super) async fn verify_published(&self, key: &str, size: u64, sha256: &str) -> Result<()> {
        let abs = self.dst().key(key);
        let stat = self
            .stat(self.dst(), key)
            .await?
            .ok_or_else(|| Error::Other(format!("{abs}: missing right after it was written")))?;
        let sha_ok = stat.sha256.as_deref().is_none_or(|s| s == sha256);
        if stat.size != size || !sha_ok {
            return Err(Error::Integrity {
                path: abs,
                expected: format!("{sha256} ({size} bytes)"),
                actual: format!(
                    "{} ({} bytes)",
                    stat.sha256.as_deref().unwrap_or("?"),
                    stat.size
                ),
            });
        }
        Ok(())
    }

    pub(super) fn integrity(&self, key: &str, expected: &str, actual: String) -> Error {
        Error::Integrity {
            path: self.src().key(key),
            expected: expected.to_owned(),
            actual,
        }
    }
}
