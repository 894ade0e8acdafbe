//! Blocking work (file system, hashing a file) off the async threads, on tokio's blocking
//! pool: one helper for the local store, the backup operations of the API and the jobs.

use crate::Error;

/// A blocking task that panicked (or was cancelled with its runtime); each caller's error
/// type says what that means to its own callers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskFailed(pub String);

impl std::fmt::Display for TaskFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "task failed: {}", self.0)
    }
}

/// Runs `work` on the blocking pool and waits for its result.
pub async fn blocking<T, E>(work: impl FnOnce() -> Result<T, E> + Send + 'static) -> Result<T, E>
where
    T: Send + 'static,
    E: From<TaskFailed> + Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|e| Err(TaskFailed(e.to_string()).into()))
}

impl From<TaskFailed> for Error {
    fn from(e: TaskFailed) -> Self {
        Error::Other(format!("file {e}"))
    }
}
