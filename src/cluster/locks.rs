//! A DB server's write locks held for a coordinator between two requests.
//!
//! The coordinator locks every DB server first and snapshots afterwards, so a lock outlives
//! the request that took it. Each is kept here under a random id until the snapshot takes
//! it ([`Locks::take`]), the coordinator releases it, or its lease runs out: a coordinator
//! that dies between the lock and the snapshot never leaves a DB server locked for long.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::backup::ExclusiveGuard;

/// The held locks, by id. Cheap to clone.
#[derive(Debug, Default, Clone)]
pub struct Locks {
    held: Arc<Mutex<HashMap<String, ExclusiveGuard>>>,
}

impl Locks {
    fn table(&self) -> std::sync::MutexGuard<'_, HashMap<String, ExclusiveGuard>> {
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Keeps `guard` for at most `lease`; its id. Must run inside a tokio runtime.
    pub fn keep(&self, guard: ExclusiveGuard, lease: Duration) -> String {
        let id = uuid::Uuid::new_v4().to_string();
        self.table().insert(id.clone(), guard);
        let (this, expiring) = (self.clone(), id.clone());
        tokio::spawn(async move {
            tokio::time::sleep(lease).await;
            if this.take(&expiring).is_some() {
                tracing::warn!(lock = %expiring, "cluster write lock released: its lease ran out");
            }
        });
        id
    }

    /// Takes lock `id` out of the table (to snapshot under it, or to drop it).
    pub fn take(&self, id: &str) -> Option<ExclusiveGuard> {
        self.table().remove(id)
    }
}
