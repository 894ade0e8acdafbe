//! Repository strings (behaviour spec §6): `normalise` and `clean_path`.

use ferry::config::{BackendKind, Config};
use ferry::repository::{Repository, clean_path, normalise};
use serde_json::json;

/// The spec's example config, plus one section of each other type.
pub fn sections() -> Config {
    Config::from_json(&json!({
        "S3": {"type": "s3"},
        "local": {"type": "local"},
        "gcs": {"type": "gcs"},
        "az": {"type": "azureblob"},
    }))
    .expect("fixed config is valid")
}

/// `clean_path` gives a path with no empty, `.` or `..` segment and no slash at either
/// end, and cleaning it again changes nothing.
pub fn check_clean(path: &str) {
    let clean = clean_path(path);
    assert!(
        !clean.starts_with('/') && !clean.ends_with('/'),
        "{path:?} -> {clean:?}"
    );
    if !clean.is_empty() {
        assert!(
            clean.split('/').all(|s| !matches!(s, "" | "." | "..")),
            "{path:?} -> {clean:?}"
        );
    }
    assert_eq!(clean_path(&clean), clean, "not idempotent for {path:?}");
}

/// A repository string either normalises to a clean path in a known section, which
/// normalises to itself again, or is refused with errorNum 7008.
pub fn check_normalise(input: &str, config: &Config, prefix: &str) -> Option<Repository> {
    let repo = match normalise(input, config, prefix) {
        Ok(repo) => repo,
        Err(e) => {
            let kind = ferry::Error::from(e).kind();
            assert_eq!(kind, ferry::ErrorKind::BadConfig, "{input:?}");
            return None;
        }
    };
    let section = config
        .section(&repo.section)
        .unwrap_or_else(|| panic!("{input:?}: section {:?} not in config", repo.section));
    if section.kind == BackendKind::Local {
        let rest = repo
            .path
            .strip_prefix('/')
            .unwrap_or_else(|| panic!("{input:?}: local path {:?} not absolute", repo.path));
        assert_eq!(clean_path(rest), rest, "{input:?}: local path not clean");
        let prefix = format!("/{}", clean_path(prefix));
        assert!(
            prefix == "/" || repo.path == prefix || repo.path.starts_with(&format!("{prefix}/")),
            "{input:?}: {:?} outside prefix {prefix:?}",
            repo.path
        );
    } else {
        assert_eq!(
            clean_path(&repo.path),
            repo.path,
            "{input:?}: path not clean"
        );
    }
    let again = normalise(&repo.to_string(), config, prefix);
    assert_eq!(again.as_ref(), Ok(&repo), "{input:?}: not idempotent");
    Some(repo)
}
