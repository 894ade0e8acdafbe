//! Upload and download jobs: backup transfers that run in the background, report progress,
//! can be aborted, and survive a restart of the server.

mod error;
mod limits;
mod manager;
mod own_dirs;
mod panic;
mod present;
mod record;
mod repositories;
mod slots;
pub mod transfer;

pub use error::JobError;
pub use limits::{Limits, MAX_JOBS, RETENTION};
pub use manager::JobManager;
pub use own_dirs::OwnDirs;
pub use record::{JobRecord, JobState, now_string};
pub use repositories::Repositories;
pub use transfer::{BackupTransfer, Direction};
