//! The `ferry` binary end to end on local directories: copy, check, resume after `kill -9`,
//! a file changed mid-transfer, and the awkward trees (empty files, deep, unicode, many
//! files, > 2 GiB). Interruption by a signal: tests/cli_interrupt.rs.

mod common;

use std::fs;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::*;

fn copy_ok(state: &Path, src: &Path, dst: &Path, extra: &[&str]) -> serde_json::Value {
    let out = run(ferry(state)
        .arg("copy")
        .arg(src)
        .arg(dst)
        .arg("--json")
        .args(extra));
    assert!(out.status.success(), "{}", text(&out));
    done_line(&out)
}

fn check_code(state: &Path, src: &Path, dst: &Path) -> (i32, String) {
    let out = run(ferry(state).arg("check").arg(src).arg(dst));
    (out.status.code().unwrap_or(-1), text(&out))
}

#[test]
fn help_lists_subcommands() {
    let state = tempfile::tempdir().expect("tempdir");
    let out = run(ferry(state.path()).arg("--help"));
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for cmd in ["copy", "check"] {
        assert!(help.contains(cmd), "{help}");
    }
}

#[test]
fn errors_are_one_line_and_nonzero() {
    let state = tempfile::tempdir().expect("tempdir");
    let out = run(ferry(state.path()).args(["copy", "nosuchsection:bucket/x", "/tmp/x"]));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.starts_with("ferry: error: "), "{err}");
    assert!(err.contains("nosuchsection"), "{err}");

    let out = run(ferry(state.path()).args(["copy", "/a", "/b", "--chunk-size", "lots"]));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[test]
fn cleanup_of_a_store_that_cannot_list_is_a_one_line_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(ferry(dir.path()).arg("cleanup").arg(dir.path()));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.starts_with("ferry: error: ") && err.contains("cannot list pending uploads"),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "{}", text(&out));

    let out = run(ferry(dir.path()).args(["cleanup", "/tmp", "--max-age", "a day"]));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[test]
fn awkward_tree_round_trip_and_skip_on_rerun() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (src, dst, state) = (
        dir.path().join("src"),
        dir.path().join("dst"),
        dir.path().join("state"),
    );
    write(&src.join("empty"), b"");
    write(&src.join("sub/also empty"), b"");
    write(
        &src.join("names with spaces/ünïcödé 名前 😀.bin"),
        &bytes(1, 5000),
    );
    write(&src.join("a#b%20c[d]{e}~f"), b"odd characters");
    let deep: String = (0..40).map(|i| format!("d{i}/")).collect();
    write(&src.join(format!("{deep}leaf")), &bytes(2, 123));
    write(&src.join("big"), &bytes(3, 9 << 20));
    // Names as long as file systems allow (255 bytes): staged names must still fit.
    write(&src.join("l".repeat(250)), &bytes(4, 3 << 20));
    write(&src.join("é".repeat(125)), b"multi-byte long name");

    let done = copy_ok(&state, &src, &dst, &["--chunk-size", "1M"]);
    assert_eq!(done["files"], 8);
    assert_eq!(done["copied"], 8);
    assert_eq!(tree_digest(&src), tree_digest(&dst));
    assert_eq!(check_code(&state, &src, &dst).0, 0);
    assert!(journals(&state).is_empty(), "journal removed after success");

    let again = copy_ok(&state, &src, &dst, &["--chunk-size", "1M"]);
    assert_eq!(again["skipped"], 8, "{again}");
    assert_eq!(again["bytesTransferred"], 0, "{again}");
}

#[test]
fn check_finds_every_kind_of_difference() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (src, dst, state) = (
        dir.path().join("src"),
        dir.path().join("dst"),
        dir.path().join("state"),
    );
    for i in 0..4 {
        write(&src.join(format!("f{i}")), &bytes(i, 10_000));
    }
    copy_ok(&state, &src, &dst, &[]);
    // Same size, one bit flipped: only reading the data can tell.
    let mut data = fs::read(dst.join("f0")).expect("read");
    data[5000] ^= 1;
    fs::write(dst.join("f0"), &data).expect("corrupt");
    fs::remove_file(dst.join("f1")).expect("remove");
    fs::write(dst.join("f2"), b"short").expect("truncate");
    write(&dst.join("extra"), b"x");

    let (code, out) = check_code(&state, &src, &dst);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("content differs: f0"), "{out}");
    assert!(out.contains("missing in destination: f1"), "{out}");
    assert!(out.contains("size differs: f2"), "{out}");
    assert!(out.contains("only in destination: extra"), "{out}");
    assert!(out.contains("1 matching files, 4 differences"), "{out}");

    // A copy repairs it (the corrupted file has the right size but the wrong SHA-256).
    copy_ok(&state, &src, &dst, &[]);
    fs::remove_file(dst.join("extra")).expect("remove extra");
    assert_eq!(check_code(&state, &src, &dst).0, 0);
}

#[test]
fn ten_thousand_small_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (src, dst, state) = (
        dir.path().join("src"),
        dir.path().join("dst"),
        dir.path().join("state"),
    );
    for i in 0..10_000u64 {
        let size = (i * 37 % 4096) as usize;
        write(
            &src.join(format!("d{:02}/f{i:05}", i % 100)),
            &bytes(i, size),
        );
    }
    let done = copy_ok(&state, &src, &dst, &[]);
    assert_eq!(done["files"], 10_000);
    assert_eq!(tree_digest(&src), tree_digest(&dst));
}

#[test]
fn sparse_file_larger_than_2_gib() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (src, dst, state) = (
        dir.path().join("src"),
        dir.path().join("dst"),
        dir.path().join("state"),
    );
    fs::create_dir_all(&src).expect("mkdir");
    let size: u64 = (2 << 30) + (300 << 20) + 12_345;
    let file = fs::File::create(src.join("huge.sparse")).expect("create");
    file.set_len(size).expect("sparse");
    // Data at both ends and across the 2 GiB and 4 GiB-of-bits boundaries.
    use std::os::unix::fs::FileExt;
    for offset in [0, (1 << 31) - 3, size - 10] {
        file.write_all_at(&bytes(offset, 10), offset)
            .expect("write");
    }
    drop(file);
    let done = copy_ok(&state, &src, &dst, &["--chunk-size", "64M"]);
    assert_eq!(done["bytes"], size);
    assert_eq!(
        fs::metadata(dst.join("huge.sparse")).expect("stat").len(),
        size
    );
    assert_eq!(check_code(&state, &src, &dst).0, 0);
}

/// Starts a slow copy (bandwidth-limited) of one large file.
fn slow_copy(state: &Path, src: &Path, dst: &Path) -> Child {
    ferry(state)
        .arg("copy")
        .arg(src)
        .arg(dst)
        .args(["--chunk-size", "1M", "--bwlimit", "8M", "--no-progress"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn")
}

/// Waits (at most 20 s: a hang fails the test) for a spawned copy; its exit code and stderr.
fn finish(child: &mut Child) -> (Option<i32>, String) {
    let start = Instant::now();
    let code = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s.code();
        }
        assert!(start.elapsed() < Duration::from_secs(20), "the copy hangs");
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut err = String::new();
    use std::io::Read;
    child
        .stderr
        .take()
        .expect("piped")
        .read_to_string(&mut err)
        .ok();
    (code, err)
}

#[test]
fn resume_after_kill_resends_only_unfinished_parts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (src, dst, state) = (
        dir.path().join("src"),
        dir.path().join("dst"),
        dir.path().join("state"),
    );
    let size = 24 << 20;
    write(&src.join("big.sst"), &bytes(9, size));
    write(&src.join("small"), b"small");

    let mut child = slow_copy(&state, &src, &dst);
    wait_for_parts(&state, 4);
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");

    assert!(
        !dst.join("big.sst").exists(),
        "nothing unverified is published"
    );
    assert_eq!(
        staged_files(&dst).len(),
        1,
        "staged data kept for the resume"
    );
    let parts_done = journal_parts(&state);
    assert!((4..24).contains(&parts_done), "{parts_done}");

    let done = copy_ok(&state, &src, &dst, &["--chunk-size", "1M"]);
    let small_sent = if done["skipped"] == 1 { 0 } else { 5 };
    let resent = done["bytesTransferred"].as_u64().expect("number") - small_sent;
    assert_eq!(
        resent,
        (size - parts_done * (1 << 20)) as u64,
        "exactly the parts not journalled are sent again: {done}"
    );
    assert_eq!(tree_digest(&src), tree_digest(&dst));
    assert!(staged_files(&dst).is_empty());
    assert!(journals(&state).is_empty());
}

#[test]
fn a_file_changed_mid_transfer_fails_instead_of_mixing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (src, dst, state) = (
        dir.path().join("src"),
        dir.path().join("dst"),
        dir.path().join("state"),
    );
    write(&src.join("big"), &bytes(5, 24 << 20));
    let mut child = slow_copy(&state, &src, &dst);
    wait_for_parts(&state, 2);
    // Same size, new bytes in the middle: only the version check can tell.
    {
        use std::os::unix::fs::FileExt;
        let f = fs::OpenOptions::new()
            .write(true)
            .open(src.join("big"))
            .expect("open");
        f.write_all_at(b"changed", 12 << 20).expect("write");
    }
    let (code, err) = finish(&mut child);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("changed while it was being transferred"),
        "{err}"
    );
    assert!(!dst.join("big").exists(), "nothing mixed is published");
}
