//! Upload and download jobs: backup transfers that run in the background, report progress,
//! can be aborted, and survive a restart of the server.

mod error;
mod manager;
mod present;
mod record;
mod repositories;
pub mod transfer;

pub use error::JobError;
pub use manager::{JobManager, RETENTION};
pub use record::{JobRecord, JobState};
pub use repositories::Repositories;
pub use transfer::{BackupTransfer, Direction};
