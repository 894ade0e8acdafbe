//! What the answers must look like: the envelopes and the job status object
//! (docs/hot-backup-api.md §1, §5), and the digests that compare data directories, backups and
//! repositories.

use std::fs;
use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use crate::harness::Kind;

/// The body as JSON, or a panic showing it.
pub fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text:?}"))
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .map(String::as_str)
        .collect()
}

/// Checks the success envelope, exactly; its `result`.
pub fn success(answer: &Value, code: u16) -> Value {
    assert_eq!(keys(answer), ["error", "code", "result"], "{answer}");
    assert_eq!(answer["error"], false, "{answer}");
    assert_eq!(answer["code"], code, "{answer}");
    answer["result"].clone()
}

/// Checks the error envelope, exactly; its `errorMessage`.
pub fn error(answer: &Value, code: u16, num: i64) -> String {
    let mut k = keys(answer);
    k.sort_unstable();
    assert_eq!(k, ["code", "error", "errorMessage", "errorNum"], "{answer}");
    assert_eq!(answer["error"], true, "{answer}");
    assert_eq!(answer["code"], code, "{answer}");
    assert_eq!(answer["errorNum"], num, "{answer}");
    let message = answer["errorMessage"]
        .as_str()
        .expect("errorMessage string");
    assert!(!message.is_empty(), "{answer}");
    message.to_owned()
}

/// `STARTED`, `COMPLETED`, ... of a status object.
pub fn job_state(status: &Value) -> &str {
    status["DBServers"]["SNGL"]["Status"]
        .as_str()
        .unwrap_or_else(|| panic!("no Status: {status}"))
}

/// `DBServers.SNGL.Progress.<name>` as a number.
pub fn progress(status: &Value, name: &str) -> u64 {
    status["DBServers"]["SNGL"]["Progress"][name]
        .as_u64()
        .unwrap_or_else(|| panic!("no Progress.{name}: {status}"))
}

/// `2026-08-04T15:27:52Z`.
pub fn is_utc_time(s: &str) -> bool {
    s.len() == 20 && chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%SZ").is_ok()
}

/// The status object of docs/hot-backup-api.md §5 (with Ferry's byte counts).
pub fn check_status(kind: Kind, job: &str, status: &Value) {
    assert_eq!(
        keys(status),
        [
            "Timestamp",
            kind.status_key(),
            "Cancelled",
            "BackupId",
            "DBServers"
        ],
        "{status}"
    );
    assert!(
        is_utc_time(status["Timestamp"].as_str().unwrap_or_default()),
        "{status}"
    );
    assert_eq!(status[kind.status_key()], job, "{status}");
    assert!(status["Cancelled"].is_boolean(), "{status}");
    assert!(status["BackupId"].is_string(), "{status}");
    assert_eq!(keys(&status["DBServers"]), ["SNGL"], "{status}");
    let server = &status["DBServers"]["SNGL"];
    let state = job_state(status);
    assert!(
        ["ACK", "STARTED", "COMPLETED", "FAILED", "CANCELLED"].contains(&state),
        "{status}"
    );
    if state == "FAILED" {
        assert_eq!(
            keys(server),
            ["Status", "Progress", "Error", "ErrorMessage"],
            "{status}"
        );
        assert!(server["Error"].as_i64().is_some(), "{status}");
        assert!(
            !server["ErrorMessage"]
                .as_str()
                .unwrap_or_default()
                .is_empty(),
            "{status}"
        );
    } else {
        assert_eq!(keys(server), ["Status", "Progress"], "{status}");
    }
    let p = &server["Progress"];
    assert_eq!(
        keys(p),
        [
            "Total",
            "Done",
            "Time",
            "Timestamp",
            "TotalBytes",
            "DoneBytes",
            "BytesPerSecond"
        ],
        "{status}"
    );
    for n in ["Total", "Done", "TotalBytes", "DoneBytes"] {
        assert!(p[n].is_u64(), "{status}");
    }
    assert!(p["BytesPerSecond"].is_number(), "{status}");
    assert!(
        is_utc_time(p["Time"].as_str().unwrap_or_default()),
        "{status}"
    );
    assert_eq!(p["Timestamp"], p["Time"], "{status}");
    assert!(
        progress(status, "Done") <= progress(status, "Total"),
        "{status}"
    );
    assert!(
        progress(status, "DoneBytes") <= progress(status, "TotalBytes"),
        "{status}"
    );
}

/// `local:/<abs path>` as the seed writes it (`local://tmp/backups`).
pub fn local_repo(path: &Path) -> String {
    format!("local:/{}", path.display())
}

/// The config of a local repository section.
pub fn local_config() -> Value {
    json!({"local": {"type": "local"}})
}

/// Files of a data directory by relative path and SHA-256, without the write-lock file.
pub fn data_digest(dir: &Path) -> Vec<(String, String)> {
    crate::common::tree_digest(dir)
        .into_iter()
        .filter(|(p, _)| p != ".ferry-write.lock")
        .collect()
}

/// Files of a backup without `META` and `SHA256SUMS`: what the data directory held.
pub fn backup_data_digest(dir: &Path) -> Vec<(String, String)> {
    crate::common::tree_digest(dir)
        .into_iter()
        .filter(|(p, _)| p != "META" && p != "SHA256SUMS")
        .collect()
}

/// Runs `sha256sum -c SHA256SUMS` in `dir` (the format promise of
/// docs/hot-backup-api.md §3).
pub fn sha256sum_check(dir: &Path) {
    let out = Command::new("sha256sum")
        .args(["-c", "--quiet", "SHA256SUMS"])
        .current_dir(dir)
        .output()
        .expect("sha256sum runs");
    assert!(
        out.status.success(),
        "sha256sum -c in {}: {}{}",
        dir.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The entries of a backup's `SHA256SUMS`, as `(path, sha256)` sorted by path.
pub fn sums(dir: &Path) -> Vec<(String, String)> {
    let text = fs::read_to_string(dir.join("SHA256SUMS")).expect("read SHA256SUMS");
    let mut out: Vec<(String, String)> = text
        .lines()
        .map(|l| {
            let (sha, path) = l
                .split_once("  ")
                .or_else(|| l.split_once(" *"))
                .unwrap_or_else(|| panic!("not a sha256sum line: {l:?}"));
            (path.to_owned(), sha.to_owned())
        })
        .collect();
    out.sort();
    out
}
