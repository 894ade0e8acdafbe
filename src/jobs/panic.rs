//! A panic inside a job's work becomes a failure of that job, never a job stuck `RUNNING`.

use super::JobError;
use crate::ErrorKind;

/// A job's work, with a panic inside it turned into a failure of that job: otherwise the
/// task would end with the record still `RUNNING`, and its status would say so forever.
/// The panic's message went to the log through the panic hook; the job's own message
/// stays generic, as a panic's text may hold anything (a URL, a header).
pub(super) async fn contain_panic<T>(
    work: impl std::future::Future<Output = std::result::Result<T, JobError>>,
) -> std::result::Result<T, JobError> {
    use futures::FutureExt;
    std::panic::AssertUnwindSafe(work)
        .catch_unwind()
        .await
        .unwrap_or_else(|_| {
            Err(JobError::new(
                ErrorKind::Internal,
                "internal error: the job stopped on a bug in Ferry (the server log has the details)",
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::Direction;

    #[tokio::test]
    async fn a_panicking_job_fails_instead_of_running_forever() {
        let outcome: std::result::Result<(), JobError> =
            contain_panic(async { panic!("key=AKIA-SECRET") }).await;
        let e = outcome.expect_err("a panic is a failure");
        assert_eq!(e.kind, ErrorKind::Internal);
        assert_eq!(e.num(Direction::Upload), crate::ErrorNum::FailedToUpload);
        assert!(!e.is_cancelled());
        assert!(!e.message.contains("AKIA-SECRET"));
        let fine: std::result::Result<u8, JobError> = contain_panic(async { Ok(7) }).await;
        assert_eq!(fine.ok(), Some(7));
    }
}
