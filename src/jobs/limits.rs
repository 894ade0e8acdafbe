//! What the jobs of one server may hold at most (issue 12, item 4): API clients start jobs,
//! and without bounds 200 of them held 200 sockets, and their records stayed forever.

use std::time::Duration;

use super::JobRecord;

/// How long a finished job stays queryable by default (ArangoDB keeps no number; a week
/// covers a weekend's backups and their checks).
pub const RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);

/// Jobs that run at once by default: each may hold `--transfers` connections.
pub const MAX_JOBS: usize = 4;

/// The bounds of one server's jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Jobs running at once (`--max-jobs`); the others wait as `ACK`, in order.
    pub max_jobs: usize,
    /// How long a finished job stays queryable (`--job-retention`); then its record goes,
    /// at the start and on a schedule while the server runs ([`prune_interval`]).
    pub retention: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_jobs: MAX_JOBS,
            retention: RETENTION,
        }
    }
}

impl Limits {
    /// Whether `record` is of a finished job older than the retention.
    pub fn expired(&self, record: &JobRecord) -> bool {
        let cutoff =
            chrono::Utc::now() - chrono::Duration::from_std(self.retention).unwrap_or_default();
        record.state.is_finished()
            && chrono::DateTime::parse_from_rfc3339(&record.updated).is_ok_and(|t| t < cutoff)
    }

    /// How often expired records are looked for while the server runs: an eighth of the
    /// retention (a record lives at most that much longer), between a second and an hour.
    pub fn prune_interval(&self) -> Duration {
        (self.retention / 8).clamp(Duration::from_secs(1), Duration::from_secs(3600))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prune_interval_is_bounded() {
        let every = |secs| {
            Limits {
                retention: Duration::from_secs(secs),
                ..Limits::default()
            }
            .prune_interval()
        };
        assert_eq!(every(0), Duration::from_secs(1));
        assert_eq!(every(80), Duration::from_secs(10));
        assert_eq!(
            Limits::default().prune_interval(),
            Duration::from_secs(3600)
        );
    }
}
