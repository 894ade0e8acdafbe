//! Slow start for files in flight.
//!
//! Hundreds of files in flight means hundreds of connections. Opened all at once they arrive
//! as one burst of connects, and a server with a short accept queue (s3s-fs listens with a
//! backlog of 128) drops the overflow: those connects are retried by the kernel after one
//! second, then three, and W3's download went from 5 s to 30 s (`nstat`:
//! `TcpExtListenOverflows`). Like TCP's slow start, a run begins with [`INITIAL`] files in
//! flight and admits one more each time a file finishes, until the run's limit: connections
//! then open at the rate files complete.

use tokio::sync::{Semaphore, SemaphorePermit};

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::{Error, Result};

/// Files in flight when a run starts.
pub const INITIAL: usize = 32;

/// Admission of files into flight, widening from [`INITIAL`] to a limit.
#[derive(Debug)]
pub struct Ramp {
    slots: Semaphore,
    granted: AtomicUsize,
    limit: usize,
}

impl Ramp {
    pub fn new(limit: usize) -> Self {
        let limit = limit.max(1);
        let initial = INITIAL.min(limit);
        Ramp {
            slots: Semaphore::new(initial),
            granted: AtomicUsize::new(initial),
            limit,
        }
    }

    /// Waits for a slot; the file is in flight while the permit lives.
    pub async fn admit(&self) -> Result<SemaphorePermit<'_>> {
        self.slots
            .acquire()
            .await
            .map_err(|_| Error::Other("transfer slots closed".into()))
    }

    /// A file finished: one more may be in flight from now on, up to the limit.
    pub fn widen(&self) {
        let widened = self
            .granted
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |g| {
                (g < self.limit).then_some(g + 1)
            });
        if widened.is_ok() {
            self.slots.add_permits(1);
        }
    }

    /// Files that may be in flight now.
    #[cfg(test)]
    fn width(&self) -> usize {
        self.granted.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn starts_narrow_and_widens_to_the_limit() {
        let ramp = Ramp::new(40);
        assert_eq!(ramp.width(), INITIAL);
        let held: Vec<_> = futures::future::join_all((0..INITIAL).map(|_| ramp.admit()))
            .await
            .into_iter()
            .collect::<Result<_>>()
            .expect("slots");
        assert!(
            ramp.slots.try_acquire().is_err(),
            "no slot beyond the initial ones"
        );
        drop(held);
        for _ in 0..100 {
            ramp.widen();
        }
        assert_eq!(ramp.width(), 40);
        assert_eq!(ramp.slots.available_permits(), 40);
    }

    #[tokio::test]
    async fn a_small_limit_is_the_width() {
        let ramp = Ramp::new(4);
        assert_eq!(ramp.width(), 4);
        ramp.widen();
        assert_eq!(ramp.slots.available_permits(), 4);
    }
}
