//! `GET /_admin/statistics`: `server.uptime`, the one figure ArangoDB's clients read here.
//!
//! `arangobackup restore --max-wait-for-restart N` reads `server.uptime` before the
//! restore and then, once a second, waits for it to drop: on a single ArangoDB server a
//! restore takes effect by a restart of the server (`client-tools/Backup/BackupFeature.cpp`,
//! `executeRestore`, `waitForRestart`). Ferry swaps the data directory in before it answers
//! and does not restart; what a restart means to a client, the data it reads now being the
//! restored data, happens at the end of that swap. So Ferry's uptime is the time since the
//! server started or since the last restore finished, whichever is later (docs/clients.md).

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AppState;

/// When the data the server serves was put in place: start, or the end of a restore.
#[derive(Debug)]
pub struct Uptime(Mutex<Instant>);

impl Default for Uptime {
    fn default() -> Self {
        Uptime(Mutex::new(Instant::now()))
    }
}

impl Uptime {
    /// A restore has finished: the server counts as restarted now.
    pub fn restarted(&self) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
    }

    /// Seconds since then.
    pub fn seconds(&self) -> f64 {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .elapsed()
            .as_secs_f64()
    }
}

/// ArangoDB's statistics document, reduced to what is true of Ferry: no envelope around it,
/// `time` in Unix seconds.
pub async fn render(State(state): State<Arc<AppState>>) -> Response {
    let time = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default();
    axum::Json(json!({
        "time": time, "enabled": true,
        "server": {"uptime": state.uptime.seconds()},
        "error": false, "code": 200,
    }))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_restore_counts_as_a_restart() {
        let second_ago = Instant::now()
            .checked_sub(std::time::Duration::from_secs(1))
            .expect("the monotonic clock is older than a second");
        let uptime = Uptime(Mutex::new(second_ago));
        let before = uptime.seconds();
        assert!(before >= 1.0);
        uptime.restarted();
        assert!(uptime.seconds() < before);
    }
}
