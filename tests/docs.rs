//! The docs hold against the code: every `src/...` and `tests/...` path that
//! docs/ARCHITECTURE.md and docs/hot-backup-api.md name exists, and the error tables of
//! docs/hot-backup-api.md §7 are `src/error_table.rs`, number for number. A moved file or a
//! changed mapping fails here instead of leaving the map wrong.

use std::collections::BTreeSet;
use std::path::Path;

use ferry::ErrorKind;
use ferry::ErrorNum;
use ferry::error_table::{Operation, error_num};

fn doc(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every path in `text` that starts with `src/` or `tests/`, as far as it goes with path
/// characters. Placeholders (`src/store/<provider>/`) end at the `<` and are left out.
fn paths_named(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for start in ["src/", "tests/"] {
        let mut rest = text;
        while let Some(at) = rest.find(start) {
            let before = rest[..at].chars().next_back();
            let tail = &rest[at..];
            let end = tail
                .find(|c: char| !(c.is_ascii_alphanumeric() || "_-./".contains(c)))
                .unwrap_or(tail.len());
            let path = tail[..end].trim_end_matches('.');
            let placeholder = tail[end..].starts_with('<');
            // `../src/x` or `a/src/x` is not a path of this repository's root.
            let rooted =
                !matches!(before, Some(c) if c.is_ascii_alphanumeric() || "_-./".contains(c));
            if rooted && !placeholder && path.len() > start.len() {
                found.insert(path.to_owned());
            }
            rest = &tail[end.max(1)..];
        }
    }
    found
}

/// Fails naming every `src/...` or `tests/...` path in docs/`name` that does not exist.
fn assert_named_paths_exist(name: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let named = paths_named(&doc(name));
    assert!(
        named.len() > 10,
        "docs/{name}: only {named:?}: is the pattern still right?"
    );
    let missing: Vec<&String> = named.iter().filter(|p| !root.join(p).exists()).collect();
    assert!(
        missing.is_empty(),
        "docs/{name} names paths that do not exist: {missing:?}"
    );
}

#[test]
fn every_path_the_api_reference_names_exists() {
    assert_named_paths_exist("hot-backup-api.md");
}

#[test]
fn every_path_the_architecture_names_exists() {
    assert_named_paths_exist("ARCHITECTURE.md");
}

#[test]
fn paths_are_found_where_prose_names_them() {
    let found = paths_named(
        "in `src/store/layer/retry.rs`, (src/engine/) and src/a.rs. not ../src/x.rs or src/store/<provider>/",
    );
    let want: BTreeSet<String> = ["src/store/layer/retry.rs", "src/engine/", "src/a.rs"]
        .map(String::from)
        .into();
    assert_eq!(found, want);
}

/// Every error number, spelled so that a new variant fails to compile until it is added.
fn every_num() -> Vec<ErrorNum> {
    use ErrorNum as N;
    let all = vec![
        N::Failed,
        N::Forbidden,
        N::NotImplemented,
        N::BadParameter,
        N::FileNotFound,
        N::LockTimeout,
        N::QueueFull,
        N::ShuttingDown,
        N::HttpBadParameter,
        N::HttpUnauthorized,
        N::HttpNotFound,
        N::HttpMethodNotAllowed,
        N::CorruptedJson,
        N::SuperfluousSuffixes,
        N::DatabaseNotFound,
        N::HotBackupInternal,
        N::HotRestoreInternal,
        N::NoSpaceLeft,
        N::FailedToUpload,
        N::FailedToDownload,
        N::NoSuchHotBackup,
        N::RemoteRepositoryConfigBad,
        N::HotBackupConflict,
        N::TopologyMismatch,
        N::LocalLockFailed,
        N::LocalLockRetry,
        N::DbServersUnreachable,
    ];
    for n in &all {
        match n {
            N::Failed
            | N::Forbidden
            | N::NotImplemented
            | N::BadParameter
            | N::FileNotFound
            | N::LockTimeout
            | N::QueueFull
            | N::ShuttingDown
            | N::HttpBadParameter
            | N::HttpUnauthorized
            | N::HttpNotFound
            | N::HttpMethodNotAllowed
            | N::CorruptedJson
            | N::SuperfluousSuffixes
            | N::DatabaseNotFound
            | N::HotBackupInternal
            | N::HotRestoreInternal
            | N::NoSpaceLeft
            | N::FailedToUpload
            | N::FailedToDownload
            | N::NoSuchHotBackup
            | N::RemoteRepositoryConfigBad
            | N::HotBackupConflict
            | N::TopologyMismatch
            | N::LocalLockFailed
            | N::LocalLockRetry
            | N::DbServersUnreachable => {}
        }
    }
    all
}

/// Every kind, in the same way.
fn every_kind() -> Vec<ErrorKind> {
    use ErrorKind as K;
    let all = vec![
        K::BadConfig,
        K::BadParameter,
        K::InvalidId,
        K::NotFound,
        K::NoSuchBackup,
        K::Conflict,
        K::LockTimeout,
        K::Integrity,
        K::NoSpace,
        K::Cancelled,
        K::Storage,
        K::Internal,
    ];
    for k in &all {
        match k {
            K::BadConfig
            | K::BadParameter
            | K::InvalidId
            | K::NotFound
            | K::NoSuchBackup
            | K::Conflict
            | K::LockTimeout
            | K::Integrity
            | K::NoSpace
            | K::Cancelled
            | K::Storage
            | K::Internal => {}
        }
    }
    all
}

/// The kinds the doc's "failure" row stands for.
const FAILURES: [ErrorKind; 5] = [
    ErrorKind::NotFound,
    ErrorKind::Integrity,
    ErrorKind::Cancelled,
    ErrorKind::Storage,
    ErrorKind::Internal,
];

/// The columns of the kind table, in order.
const OPERATIONS: [Operation; 7] = [
    Operation::Create,
    Operation::List,
    Operation::Delete,
    Operation::Restore,
    Operation::StartTransfer,
    Operation::Upload,
    Operation::Download,
];

/// The cells of every table row of §7 whose first cell passes `first`.
fn section_7_rows(first: impl Fn(&str) -> bool) -> Vec<Vec<String>> {
    let text = doc("hot-backup-api.md");
    let start = text
        .find("\n## 7.")
        .expect("docs/hot-backup-api.md has a §7");
    let section = &text[start + 1..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    section
        .lines()
        .filter_map(|l| l.strip_prefix('|'))
        .map(|l| {
            l.split('|')
                .map(|c| c.trim().to_owned())
                .collect::<Vec<_>>()
        })
        .filter(|cells| first(&cells[0]))
        .collect()
}

#[test]
fn error_numbers_and_statuses_are_the_tables() {
    let rows = section_7_rows(|c| c.parse::<i64>().is_ok());
    let text = doc("hot-backup-api.md");
    let unsent = &text[text
        .find("Numbers Ferry defines but does not send")
        .expect("note")..];
    for num in every_num() {
        let code = num.code().to_string();
        match rows.iter().find(|r| r[0] == code) {
            Some(row) => assert_eq!(row[2], num.http_status().to_string(), "HTTP of {num:?}"),
            None => assert!(
                unsent[..unsent.find("\n\n").unwrap_or(unsent.len())]
                    .contains(&format!("{code} (")),
                "{num:?} ({code}) is neither in §7's table nor among the numbers not sent"
            ),
        }
    }
    let known: BTreeSet<String> = every_num().iter().map(|n| n.code().to_string()).collect();
    for row in &rows {
        assert!(
            known.contains(&row[0]),
            "§7 lists {} which the code lacks",
            row[0]
        );
    }
}

#[test]
fn kinds_by_operation_are_error_num() {
    let rows = section_7_rows(|c| c.starts_with('`') || c == "failure");
    let mut covered = BTreeSet::new();
    for row in &rows {
        let kinds: Vec<ErrorKind> = match row[0].as_str() {
            "failure" => FAILURES.to_vec(),
            name => every_kind()
                .into_iter()
                .filter(|k| format!("`{k:?}`") == name)
                .collect(),
        };
        assert!(!kinds.is_empty(), "§7 names an unknown kind {}", row[0]);
        for kind in kinds {
            covered.insert(format!("{kind:?}"));
            for (op, cell) in OPERATIONS.iter().zip(&row[1..]) {
                let code = error_num(kind, *op).code().to_string();
                assert_eq!(cell, &code, "{kind:?} in {op:?}");
            }
        }
    }
    for kind in every_kind() {
        assert!(
            covered.contains(&format!("{kind:?}")),
            "§7 lacks a row for {kind:?}"
        );
    }
}
