//! Repository string normalisation: every vector of docs/hot-backup-api.md §6, and more.

use ferry::config::Config;
use ferry::repository::{RepositoryError, normalise};
use serde_json::json;

fn config() -> Config {
    Config::from_json(&json!({
        "S3": {"type": "s3", "provider": "Other"},
        "local": {"type": "local"},
        "gcs": {"type": "google cloud storage"},
        "a:b": {"type": "local"},
    }))
    .expect("test config is valid")
}

/// `(input, local prefix, expected result or None for a 7008 failure)`.
const VECTORS: &[(&str, &str, Option<&str>)] = &[
    // The vectors of docs/hot-backup-api.md §6.
    ("", "/", None),
    (":", "/", None),
    ("noob:", "/", None),
    ("S3:////////////", "/", Some("S3:")),
    ("S3:////////////a////////////////a", "/", Some("S3:a/a")),
    ("S3:////////////a/.///////////////", "/", Some("S3:a")),
    ("S3:/..", "/", Some("S3:")),
    ("local:/a/", "/", Some("local:/a")),
    ("local:/a//", "/", Some("local:/a")),
    ("local:/a/../", "/", Some("local:/")),
    ("local:/../a/.././", "/", Some("local:/")),
    ("local://tmp/backups", "/", Some("local:/tmp/backups")),
    ("local:/a/b/c", "/b", None),
    // Ours.
    ("S3:/x", "/", Some("S3:x")),
    ("S3:bucket/dir/", "/", Some("S3:bucket/dir")),
    ("S3:a/../../../b", "/", Some("S3:b")),
    ("S3:a/b:c/d", "/", Some("S3:a/b:c/d")),
    (
        "S3:bücket/ünïcödé/名前",
        "/",
        Some("S3:bücket/ünïcödé/名前"),
    ),
    ("S3:a b/c d", "/", Some("S3:a b/c d")),
    ("S3:...", "/", Some("S3:...")),
    ("S3", "/", None),
    ("s3:x", "/", None),
    ("/S3:x", "/", None),
    ("a/b:c", "/", None),
    ("S3:x\0y", "/", None),
    ("gcs:/bucket//p", "/", Some("gcs:bucket/p")),
    ("local:relative/path", "/", None),
    ("local:", "/", None),
    ("local:/", "/", Some("local:/")),
    ("local:/b", "/b", Some("local:/b")),
    ("local:/b/c/../d", "/b", Some("local:/b/d")),
    ("local:/bc", "/b", None),
    ("local:/b/..", "/b", None),
    ("local:/b/../../b/x", "/b//", Some("local:/b/x")),
    ("local:/x:y", "/", Some("local:/x:y")),
];

#[test]
fn spec_vectors() {
    let config = config();
    for (input, prefix, expected) in VECTORS {
        let got = normalise(input, &config, prefix);
        match (expected, &got) {
            (Some(want), Ok(repo)) => assert_eq!(&repo.to_string(), want, "input {input:?}"),
            (None, Err(e)) => {
                let err: ferry::Error = e.clone().into();
                assert_eq!(err.kind(), ferry::ErrorKind::BadConfig, "input {input:?}");
            }
            _ => panic!("input {input:?} prefix {prefix:?}: expected {expected:?}, got {got:?}"),
        }
    }
}

#[test]
fn section_is_before_the_first_colon() {
    // `a:b` is a section of the config, but the first colon decides: section `a`.
    assert_eq!(
        normalise("a:b:/x", &config(), "/"),
        Err(RepositoryError::UnknownSection("a".into()))
    );
}

#[test]
fn errors_name_the_rule() {
    let c = config();
    let msg = |s: &str, p: &str| normalise(s, &c, p).expect_err("must fail").to_string();
    assert!(msg("nocolon", "/").contains("no colon"));
    assert!(msg(":x", "/").contains("empty config section"));
    assert!(msg("a/b:x", "/").contains("must not contain '/'"));
    assert!(msg("noob:x", "/").contains("not a key of the config"));
    assert!(msg("local:rel", "/").contains("must be absolute"));
    assert!(msg("local:/a/b/c", "/b").contains("local path prefix"));
}

#[test]
fn very_long_input_is_refused_quickly() {
    let long = format!("S3:{}", "a/".repeat(100_000));
    assert_eq!(
        normalise(&long, &config(), "/"),
        Err(RepositoryError::TooLong)
    );
    let just_fits = format!("S3:{}", "a/".repeat(2000));
    assert_eq!(
        normalise(&just_fits, &config(), "/").map(|r| r.path.len()),
        Ok(3999)
    );
}

#[test]
fn dot_dot_never_escapes_the_root() {
    let c = config();
    for depth in 0..20 {
        let input = format!("local:/{}etc", "../".repeat(depth));
        assert_eq!(normalise(&input, &c, "/").expect("valid").path, "/etc");
    }
}
