//! Interrupting is resuming: SIGINT (Ctrl-C) or SIGTERM stops a copy, keeps its journal and
//! its unfinished upload, says how to resume or discard, and exits with 128 + the signal
//! (rclone's `lib/atexit`); the same command run again sends only the parts not yet stored.
//! On a local directory and on the real S3 servers `backends/run` starts.

#[path = "common/mod.rs"]
mod common;
#[allow(dead_code)]
#[path = "conformance/servers.rs"]
mod servers;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::*;
use servers::Server;

const CHUNK: u64 = 5 << 20;

/// `ferry copy SRC DST --json` slowed down to watch it, with `extra` flags.
fn copy(state: &Path, src: &str, dst: &str, extra: &[&str]) -> Command {
    let mut cmd = ferry(state);
    cmd.args(["copy", src, dst, "--json", "--chunk-size", "5M"])
        .args(extra);
    cmd
}

/// Starts a throttled copy, waits until the journal shows `parts` stored parts (progress the
/// test can see, no clock involved), sends `signal`, and returns what the copy printed.
fn interrupt(mut cmd: Command, state: &Path, parts: usize, signal: &str) -> Output {
    let child = cmd
        .args(["--bwlimit", "8M"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    wait_for_parts(state, parts);
    let sent = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
    child.wait_with_output().expect("wait")
}

/// Interrupts a copy of a 30 MiB file after two parts, checks what it said, and reruns it:
/// the rerun sends exactly the parts the journal did not hold, and both sides match.
fn interrupt_then_resume(state: &Path, src: &Path, dst: &str, signal: &str, code: i32) {
    let size = 6 * CHUNK as usize;
    write(&src.join("big"), &bytes(21, size));
    write(&src.join("small"), b"small");
    let src = src.to_str().expect("utf-8");

    let out = interrupt(copy(state, src, dst, &[]), state, 2, signal);
    assert_eq!(out.status.code(), Some(code), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    let name = if signal == "-INT" {
        "SIGINT"
    } else {
        "SIGTERM"
    };
    assert!(err.contains(&format!("interrupted by {name}")), "{err}");
    assert!(err.contains("the resume journal and the unfinished uploads are kept"));
    assert!(
        err.contains("to resume, run the same command again"),
        "{err}"
    );
    assert!(err.contains("to discard instead: "), "{err}");
    assert_eq!(journals(state).len(), 1, "the journal is kept");
    let parts = journal_parts(state) as u64;
    assert!((2..6).contains(&parts), "{parts}");

    let out = run(&mut copy(state, src, dst, &[]));
    assert!(out.status.success(), "{}", text(&out));
    let done = done_line(&out);
    let small = if done["skipped"] == 1 { 0 } else { 5 };
    assert_eq!(
        done["bytesTransferred"].as_u64().expect("number") - small,
        size as u64 - parts * CHUNK,
        "only the parts not journalled are sent again: {done}"
    );
    assert!(
        journals(state).is_empty(),
        "the finished copy drops its journal"
    );
    let check = run(ferry(state).args(["check", src, dst]));
    assert!(check.status.success(), "{}", text(&check));
}

#[test]
fn sigterm_on_a_local_copy_keeps_the_staged_file_for_the_rerun() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let dst = d.join("dst");
    interrupt_then_resume(
        &d.join("state"),
        &d.join("src"),
        dst.to_str().expect("utf-8"),
        "-TERM",
        143,
    );
    assert!(staged_files(&dst).is_empty());
}

/// `ferry ARGS` with the server's config file.
fn on(server: &Server, dir: &Path, mut cmd: Command) -> Command {
    cmd.arg("--config").arg(server.config_file(dir));
    cmd
}

fn sigint_on_an_upload_resumes(server: &Server) {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let remote = server.repository(&format!("int-{}", uuid::Uuid::new_v4().simple()));
    let config = server.config_file(d);
    let config = config.to_str().expect("utf-8");
    let state = d.join("state");
    let src = d.join("src");
    let size = 6 * CHUNK as usize;
    write(&src.join("big"), &bytes(22, size));
    let src = src.to_str().expect("utf-8");

    let out = interrupt(
        on(server, d, copy(&state, src, &remote, &[])),
        &state,
        2,
        "-INT",
    );
    assert_eq!(out.status.code(), Some(130), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("interrupted by SIGINT"), "{err}");
    assert!(
        err.contains(&format!("ferry cleanup {remote} --max-age 0")),
        "{err}"
    );
    let parts = journal_parts(&state) as u64;
    assert!((2..6).contains(&parts), "{parts}");

    let out = run(&mut on(server, d, copy(&state, src, &remote, &[])));
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        done_line(&out)["bytesTransferred"],
        size as u64 - parts * CHUNK,
        "only the parts not journalled are sent again: {}",
        text(&out)
    );
    let check = run(ferry(&state).args(["check", src, &remote, "--config", config]));
    assert!(check.status.success(), "{}", text(&check));
}

/// The discard the message offers: `ferry cleanup` aborts the kept upload, and the rerun
/// then sends the whole file.
fn sigint_then_cleanup_discards(server: &Server) {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let remote = server.repository(&format!("int-{}", uuid::Uuid::new_v4().simple()));
    let config = server.config_file(d);
    let config = config.to_str().expect("utf-8");
    let state = d.join("state");
    let src = d.join("src");
    let size = 6 * CHUNK as usize;
    write(&src.join("big"), &bytes(23, size));
    let src = src.to_str().expect("utf-8");

    let out = interrupt(
        on(server, d, copy(&state, src, &remote, &[])),
        &state,
        2,
        "-INT",
    );
    assert_eq!(out.status.code(), Some(130), "{}", text(&out));
    let cleanup =
        run(ferry(&state).args(["cleanup", &remote, "--max-age", "0", "--config", config]));
    assert!(cleanup.status.success(), "{}", text(&cleanup));
    assert!(
        String::from_utf8_lossy(&cleanup.stdout).contains("aborted big"),
        "{}",
        text(&cleanup)
    );
    let out = run(&mut on(server, d, copy(&state, src, &remote, &[])));
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(done_line(&out)["bytesTransferred"], size as u64);
}

#[test]
fn sigint_on_a_local_copy_resumes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let dst = d.join("dst");
    interrupt_then_resume(
        &d.join("state"),
        &d.join("src"),
        dst.to_str().expect("utf-8"),
        "-INT",
        130,
    );
}

#[test]
fn s3s_fs_sigint_resumes() {
    sigint_on_an_upload_resumes(&Server::s3("s3s-fs", "S3S", false));
}

#[test]
fn moto_sigint_resumes() {
    sigint_on_an_upload_resumes(&Server::s3("moto", "MOTO", true));
}

#[test]
fn moto_sigint_then_cleanup_discards() {
    sigint_then_cleanup_discards(&Server::s3("moto", "MOTO", true).with_fake_upload_times());
}
