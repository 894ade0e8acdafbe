//! What the transfer commands do with the data, through the binary: a file that cannot be
//! read does not stop the others (rclone's way: the rest is copied, the failures listed, exit
//! 1, and `sync` then deletes nothing).

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use common::*;

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8")
}

fn names(root: &Path) -> Vec<String> {
    tree_digest(root).into_iter().map(|(n, _)| n).collect()
}

/// `ferry`, without the capabilities that let root read any file when the tests run as
/// root (`setpriv` drops them from the bounding set), so that a file of mode 000 is as
/// unreadable to it as to anyone else.
fn unprivileged(state: &Path) -> Command {
    let base = ferry(state);
    let probe = state.join("probe-mode-000");
    write(&probe, b"x");
    fs::set_permissions(&probe, fs::Permissions::from_mode(0o000)).expect("chmod");
    let privileged = fs::read(&probe).is_ok();
    fs::remove_file(&probe).expect("rm");
    if !privileged {
        return base;
    }
    let mut cmd = Command::new("setpriv");
    cmd.arg("--bounding-set=-dac_override,-dac_read_search")
        .arg(base.get_program());
    for (key, value) in base.get_envs() {
        match value {
            Some(v) => cmd.env(key, v),
            None => cmd.env_remove(key),
        };
    }
    cmd
}

/// `a.txt`, `sub/b.txt` and `secret.txt`, which nobody may read.
fn tree_with_unreadable_file(src: &Path) {
    write(&src.join("a.txt"), b"alpha");
    write(&src.join("sub/b.txt"), &bytes(2, 70_000));
    let secret = src.join("secret.txt");
    write(&secret, b"hidden");
    fs::set_permissions(&secret, fs::Permissions::from_mode(0o000)).expect("chmod");
}

#[test]
fn an_unreadable_file_does_not_stop_a_copy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    tree_with_unreadable_file(&d.join("src"));
    let out = run(unprivileged(d).args(["copy", s(&d.join("src")), s(&d.join("out"))]));
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert_eq!(names(&d.join("out")), ["a.txt", "sub/b.txt"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("secret.txt: Failed to copy: ") && stderr.contains("ermission denied"),
        "{}",
        text(&out)
    );
    assert!(stderr.contains("1 file failed to copy"), "{}", text(&out));
    // Readable again, the rerun copies it and skips the others.
    let secret = d.join("src/secret.txt");
    fs::set_permissions(&secret, fs::Permissions::from_mode(0o644)).expect("chmod");
    let out = run(unprivileged(d).args(["copy", s(&d.join("src")), s(&d.join("out")), "--json"]));
    assert_eq!(code(&out), 0, "{}", text(&out));
    let done = done_line(&out);
    assert_eq!(
        (done["copied"].as_u64(), done["skipped"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(tree_digest(&d.join("out")), tree_digest(&d.join("src")));
}

#[test]
fn sync_with_a_failed_file_copies_the_rest_and_deletes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    tree_with_unreadable_file(&d.join("src"));
    write(&d.join("dst/extra.txt"), b"stays");
    let out = run(unprivileged(d).args(["sync", s(&d.join("src")), s(&d.join("dst"))]));
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert_eq!(names(&d.join("dst")), ["a.txt", "extra.txt", "sub/b.txt"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("not deleting files as there were IO errors")
            && stderr.contains("secret.txt: Failed to copy"),
        "{}",
        text(&out)
    );
}

#[test]
fn move_with_a_failed_file_copies_the_rest_and_keeps_every_source() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    tree_with_unreadable_file(&d.join("src"));
    let out = run(unprivileged(d).args(["move", s(&d.join("src")), s(&d.join("dst"))]));
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert_eq!(names(&d.join("dst")), ["a.txt", "sub/b.txt"]);
    let secret = d.join("src/secret.txt");
    fs::set_permissions(&secret, fs::Permissions::from_mode(0o644)).expect("chmod");
    assert_eq!(names(&d.join("src")), ["a.txt", "secret.txt", "sub/b.txt"]);
}
