//! One source file seen under another name, for `copyto` and `moveto` (rclone's
//! `CopyFile(fdst, fsrc, dstFileName, srcFileName)`): the engine copies a key to the same
//! key, so the source's backend is wrapped to answer for the destination's name with the
//! real file. Every call that names the aliased key is sent to the real one, and listings
//! show it under the alias; all other keys pass through unchanged.

use std::ops::Range;

use async_trait::async_trait;
use bytes::Bytes;
use ferry::Result;
use ferry::store::{
    Backend, Capabilities, Location, ObjectInfo, PendingUpload, SharedBackend, Stat,
};

/// `location`, in which the file `real` (relative to its root) is called `alias`.
pub fn renamed(location: &Location, real: &str, alias: &str) -> Location {
    if real == alias {
        return location.clone();
    }
    Location {
        backend: std::sync::Arc::new(Renamed {
            inner: location.backend.clone(),
            real: location.key(real),
            alias: location.key(alias),
        }),
        ..location.clone()
    }
}

#[derive(Debug)]
struct Renamed {
    inner: SharedBackend,
    /// Full keys in `inner`.
    real: String,
    alias: String,
}

impl Renamed {
    fn key<'a>(&'a self, key: &'a str) -> &'a str {
        if key == self.alias { &self.real } else { key }
    }
}

#[async_trait]
impl Backend for Renamed {
    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>> {
        let mut files = self.inner.list(prefix).await?;
        let (real, alias) = (rel(prefix, &self.real), rel(prefix, &self.alias));
        if let (Some(real), Some(alias)) = (real, alias) {
            files.retain(|f| f.key != alias);
            for f in files.iter_mut().filter(|f| f.key == real) {
                f.key = alias.to_owned();
            }
            files.sort_by(|a, b| a.key.cmp(&b.key));
        }
        Ok(files)
    }

    async fn stat(&self, key: &str) -> Result<Option<Stat>> {
        self.inner.stat(self.key(key)).await
    }

    async fn get_range(&self, key: &str, range: Range<u64>, etag: Option<&str>) -> Result<Bytes> {
        self.inner.get_range(self.key(key), range, etag).await
    }

    async fn put(&self, key: &str, data: Bytes, sha256: &str) -> Result<()> {
        self.inner.put(self.key(key), data, sha256).await
    }

    async fn create_upload(&self, key: &str, size: u64, sha256: &str) -> Result<String> {
        self.inner.create_upload(self.key(key), size, sha256).await
    }

    async fn put_part(
        &self,
        key: &str,
        upload: &str,
        index: u64,
        offset: u64,
        data: Bytes,
    ) -> Result<String> {
        let key = self.key(key);
        self.inner.put_part(key, upload, index, offset, data).await
    }

    async fn complete_upload(&self, key: &str, upload: &str, parts: Vec<String>) -> Result<()> {
        self.inner
            .complete_upload(self.key(key), upload, parts)
            .await
    }

    async fn read_staged(
        &self,
        key: &str,
        upload: &str,
        range: Range<u64>,
    ) -> Result<Option<Bytes>> {
        self.inner.read_staged(self.key(key), upload, range).await
    }

    async fn abort_upload(&self, key: &str, upload: &str) -> Result<()> {
        self.inner.abort_upload(self.key(key), upload).await
    }

    async fn pending_uploads(&self, prefix: &str) -> Result<Option<Vec<PendingUpload>>> {
        self.inner.pending_uploads(prefix).await
    }

    async fn copy(&self, from: &str, to: &str) -> Result<()> {
        self.inner.copy(self.key(from), self.key(to)).await
    }

    async fn delete(&self, key: &str) -> Result<()> {
        self.inner.delete(self.key(key)).await
    }
}

/// `key` relative to the listed `prefix`, when it lies below it.
fn rel<'a>(prefix: &str, key: &'a str) -> Option<&'a str> {
    if prefix.is_empty() {
        return Some(key);
    }
    key.strip_prefix(prefix)?.strip_prefix('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_alias_reads_and_lists_as_the_real_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("real.txt"), b"data").expect("write");
        std::fs::write(dir.path().join("other"), b"x").expect("write");
        let location = renamed(&Location::local(dir.path()), "real.txt", "alias.txt");
        let b = &location.backend;
        assert_eq!(
            b.stat("alias.txt")
                .await
                .expect("stat")
                .expect("there")
                .size,
            4
        );
        assert_eq!(
            &b.get_range("alias.txt", 0..4, None).await.expect("get")[..],
            b"data"
        );
        let keys: Vec<String> = b
            .list("")
            .await
            .expect("list")
            .into_iter()
            .map(|f| f.key)
            .collect();
        assert_eq!(keys, ["alias.txt", "other"]);
        b.delete("alias.txt").await.expect("delete");
        assert!(!dir.path().join("real.txt").exists());
    }
}
