//! A job's `Progress.Total`/`Done` count every file the transfer makes present at the
//! destination: those the engine sends or copies server-side, and those it never sees:
//! files hard-linked from local backups, `SHA256SUMS` and `META`.
//!
//! kube-arangodb counts a transfer complete only when every server is `COMPLETED` *and* the
//! sum of `Total` is above 0 (`pkg/handlers/backup/arango_client_impl.go`, `Progress`): a
//! download whose files are all linked would otherwise report `Total: 0` and be waited for
//! forever. With `SHA256SUMS` and `META` counted, `Total` is never 0.

use std::sync::Arc;

use crate::engine::{FileAction, Progress};

/// The files and bytes made present outside the engine.
#[derive(Debug, Clone, Copy, Default)]
pub struct Extra {
    pub files: u64,
    pub bytes: u64,
}

impl Extra {
    /// Sets them as the whole plan before the engine starts, so that a status read in
    /// between never shows more done than planned.
    pub fn plan(self, progress: &dyn Progress) {
        progress.planned(self.files, self.bytes);
    }
}

/// One file made present outside the engine, counted done.
pub fn done(progress: &dyn Progress, key: &str, size: u64) {
    progress.advanced(size);
    progress.file_done(key, size, FileAction::Skipped);
}

/// The engine's progress reports with [`Extra`] added to its plan.
pub struct WithExtra {
    pub inner: Arc<dyn Progress>,
    pub extra: Extra,
}

impl Progress for WithExtra {
    fn planned(&self, files: u64, bytes: u64) {
        self.inner
            .planned(files + self.extra.files, bytes + self.extra.bytes);
    }

    fn advanced(&self, bytes: u64) {
        self.inner.advanced(bytes);
    }

    fn file_done(&self, key: &str, size: u64, action: FileAction) {
        self.inner.file_done(key, size, action);
    }

    fn transferred(&self, bytes: u64) {
        self.inner.transferred(bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Stats;

    #[test]
    fn extra_files_are_planned_and_done() {
        let stats = Arc::new(Stats::default());
        let extra = Extra {
            files: 3,
            bytes: 30,
        };
        extra.plan(&*stats);
        done(&*stats, "linked", 10);
        let with = WithExtra {
            inner: stats.clone(),
            extra,
        };
        with.planned(2, 200);
        with.advanced(200);
        with.file_done("a", 100, FileAction::Copied);
        with.file_done("b", 100, FileAction::ServerSideCopied);
        done(&*stats, "SHA256SUMS", 15);
        done(&*stats, "META", 5);
        let s = stats.snapshot();
        assert_eq!((s.files_total, s.files_done), (5, 5));
        assert_eq!((s.bytes_total, s.bytes_done), (230, 230));
    }
}
