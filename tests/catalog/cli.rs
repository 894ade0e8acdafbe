//! `ferry backups`, `ferry verify` and `ferry prune`: the binary, its output and exit codes.

use std::path::Path;

use ferry::store::Location;

use super::common::{ferry, run, text};
use super::fixture::{Fixture, at, id, sha};
use super::servers::{Server, random_prefix};

fn ferry_in(state: &Path, args: &[&str]) -> std::process::Output {
    run(ferry(state).args(args))
}

/// A repository with one backup of each state; their ids.
async fn three_states(f: &Fixture) -> [String; 3] {
    let t = at("2026-03-01T10:00:00Z");
    let big = super::common::bytes(9, 300_000);
    let files: [(&str, &[u8]); 2] = [("big.sst", &big), ("c", b"c")];
    let complete = f.backup(&id(t, "complete"), t, &files).await;
    let incomplete = id(t, "incomplete");
    f.incomplete(&incomplete, t, &files).await;
    let damaged = f.backup(&id(t, "damaged"), t, &files).await;
    f.delete(&format!("{damaged}/c")).await;
    [complete, incomplete, damaged]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backups_verify_and_prune_on_a_local_repository() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo = tmp.path().join("repo");
    let state = tmp.path().join("state");
    let f = Fixture::new(Location::local(&repo));
    let [complete, incomplete, damaged] = three_states(&f).await;
    let r = repo.to_str().expect("utf-8");

    let out = ferry_in(&state, &["backups", r, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON array");
    let states: Vec<(&str, &str)> = listed
        .as_array()
        .expect("array")
        .iter()
        .map(|b| {
            (
                b["id"].as_str().expect("id"),
                b["state"].as_str().expect("state"),
            )
        })
        .collect();
    let mut want = vec![
        (complete.as_str(), "complete"),
        (incomplete.as_str(), "incomplete"),
        (damaged.as_str(), "damaged"),
    ];
    want.sort();
    assert_eq!(states, want);
    for b in listed.as_array().expect("array") {
        for key in ["id", "datetime", "files", "bytes", "state"] {
            assert!(b.get(key).is_some(), "{key} in {b}");
        }
    }
    let out = ferry_in(&state, &["backups", r]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("damaged") && stdout.contains("missing: c"),
        "{}",
        text(&out)
    );

    // verify: exit 0 only when whole, naming every bad file, with and without --read-data.
    for read_data in [false, true] {
        let mut args = vec!["verify", complete.as_str(), r];
        if read_data {
            args.push("--read-data");
        }
        let out = ferry_in(&state, &args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        args[1] = damaged.as_str();
        let out = ferry_in(&state, &args);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            "missing: c",
            "{}",
            text(&out)
        );
    }
    let mut flipped = super::common::bytes(9, 300_000);
    flipped[1000] ^= 0x80;
    f.replace(&format!("{complete}/big.sst"), &flipped, &sha(&flipped))
        .await;
    let out = ferry_in(&state, &["verify", &complete, r, "--read-data", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let problems = report["problems"].as_array().expect("problems");
    assert_eq!(problems.len(), 1, "{report}");
    assert!(
        problems[0].as_str().expect("line").contains("big.sst"),
        "{report}"
    );
    // No such backup: a directory not found (rclone's exit 3).
    let out = ferry_in(&state, &["verify", "2026-01-01T00.00.00Z_none", r]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));

    // prune: a dry run changes nothing and says what would go; then it goes.
    let before = f.snapshot().await;
    let out = ferry_in(
        &state,
        &[
            "prune",
            r,
            "--keep-last",
            "1",
            "--max-age",
            "1d",
            "--dry-run",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(f.snapshot().await, before, "dry run");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        stdout.contains(&format!("would delete {incomplete}")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("keep         {complete}")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("leave        {damaged}")),
        "{stdout}"
    );
    let out = ferry_in(
        &state,
        &["prune", r, "--keep-last", "1", "--dry-run", "--json"],
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(report["dryRun"], true, "{report}");
    let kept = report["decisions"]
        .as_array()
        .expect("decisions")
        .iter()
        .find(|d| d["id"] == complete.as_str())
        .expect("decided");
    assert_eq!(kept["action"], "keep", "{kept}");
    assert_eq!(kept["because"], serde_json::json!(["last"]), "{kept}");
    assert_eq!(f.snapshot().await, before, "dry run");
    let out = ferry_in(&state, &["prune", r, "--keep-last", "1", "--max-age", "1d"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let left: Vec<String> = f
        .catalog
        .list()
        .await
        .expect("list")
        .backups
        .into_iter()
        .map(|b| b.id)
        .collect();
    let mut want = vec![complete, damaged];
    want.sort();
    assert_eq!(left, want);

    let out = ferry_in(&state, &["prune", r, "--keep-daily", "x"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backups_of_a_remote_repository() {
    let server = Server::s3("moto", "MOTO", true);
    let prefix = random_prefix("catalog-cli");
    let f = Fixture::new(server.location(&prefix));
    let [complete, incomplete, damaged] = three_states(&f).await;
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = server.config_file(tmp.path());
    let config = config.to_str().expect("utf-8");
    let repo = server.repository(&prefix);
    let out = ferry_in(
        tmp.path(),
        &["backups", &repo, "--config", config, "--json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let ids: Vec<&str> = listed
        .as_array()
        .expect("array")
        .iter()
        .map(|b| b["id"].as_str().expect("id"))
        .collect();
    let mut want = vec![complete.as_str(), incomplete.as_str(), damaged.as_str()];
    want.sort();
    assert_eq!(ids, want);
    let out = ferry_in(tmp.path(), &["verify", &damaged, &repo, "--config", config]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "missing: c");
}
