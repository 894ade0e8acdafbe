//! Config objects: every section read from JSON or rclone INI either resolves to a
//! location or is refused, without a network request (clients are built, never used).

use ferry::config::{BackendKind, Config};
use ferry::retry::RetryPolicy;
use ferry::store::resolve_location;

/// A config that was read: each of its sections is normalised with a path fit for its type
/// and resolved. Only panics (and the repository invariants) count here: a refusal of a
/// section is an expected answer.
pub fn check_sections(config: &Config) {
    for section in config.sections() {
        let path = match section.kind {
            BackendKind::Local => "/fuzz/repo",
            _ => "bucket/fuzz/repo",
        };
        let input = format!("{}:{path}", section.name);
        let Some(repo) = crate::repository::check_normalise(&input, config, "/") else {
            continue;
        };
        let _ = resolve_location(&repo, config, &RetryPolicy::quick());
    }
}

/// A config that could not be read is a 7008 (bad repository configuration) and nothing else.
pub fn check_refusal(e: &ferry::Error) {
    assert_eq!(e.kind(), ferry::ErrorKind::BadConfig, "{e}");
}
