//! The one bound on file data held in memory at once, over every transfer and hash of a run.

use tokio::sync::{Semaphore, SemaphorePermit};

use crate::{Error, Result};

/// Bytes of buffers in flight, counted in KiB so the semaphore's `u32` covers any size.
#[derive(Debug)]
pub struct Budget {
    permits: Semaphore,
    max_kib: u32,
}

impl Budget {
    pub fn new(bytes: u64) -> Self {
        let max_kib = bytes.div_ceil(1024).clamp(1, u32::MAX as u64 >> 1) as u32;
        Budget {
            permits: Semaphore::new(max_kib as usize),
            max_kib,
        }
    }

    /// Holds `bytes` of the budget for as long as the permit lives. A buffer larger than the
    /// whole budget takes all of it.
    pub async fn take(&self, bytes: u64) -> Result<SemaphorePermit<'_>> {
        let kib = (bytes.div_ceil(1024) as u32).clamp(1, self.max_kib);
        self.permits
            .acquire_many(kib)
            .await
            .map_err(|_| Error::Cancelled)
    }
}
