//! Issue 12, item 6: like `rclone rcd` without `--rc-no-auth`, `ferry serve` refuses to
//! listen on an address other than loopback without authentication, unless
//! `--allow-unauthenticated` says so, and then warns.

use std::process::{Child, Command, Stdio};
use std::time::Instant;

use crate::harness::TIMEOUT;

/// `ferry serve --listen 0.0.0.0:0` with `args`, its stderr in a file.
fn serve(root: &tempfile::TempDir, args: &[&str]) -> (Child, std::path::PathBuf) {
    let log = root.path().join(format!("serve-{}.log", args.len()));
    let child = Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(["serve", "--listen", "0.0.0.0:0", "--data-dir"])
        .arg(root.path().join("data"))
        .arg("--backup-dir")
        .arg(root.path().join("backups"))
        .args(args)
        .env_remove("FERRY_LOG")
        .env("HOME", root.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log"))
        .spawn()
        .expect("spawn");
    (child, log)
}

/// Waits until the server exits (its code) or says it listens (`None`, then killed).
fn outcome(mut child: Child, log: &std::path::Path) -> (Option<i32>, String) {
    let started = Instant::now();
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if let Some(status) = child.try_wait().expect("wait") {
            return (status.code(), text);
        }
        if text.contains("ferry: listening on") {
            let _ = child.kill();
            let _ = child.wait();
            return (None, text);
        }
        assert!(
            started.elapsed() < TIMEOUT,
            "neither started nor exited:\n{text}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn a_non_loopback_address_needs_authentication_or_an_explicit_opt_out() {
    let root = tempfile::tempdir().expect("tempdir");
    let (child, log) = serve(&root, &[]);
    let (code, text) = outcome(child, &log);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("--allow-unauthenticated"), "{text}");
    assert!(!text.contains("listening"), "{text}");

    let (child, log) = serve(&root, &["--allow-unauthenticated"]);
    let (code, text) = outcome(child, &log);
    assert_eq!(code, None, "started: {text}");
    assert!(
        text.contains("WARN") && text.contains("WITHOUT AUTHENTICATION"),
        "{text}"
    );

    let file = root.path().join("pw");
    std::fs::write(&file, "listen-pa55word").expect("write");
    let (child, log) = serve(&root, &["--password-file", file.to_str().expect("utf-8")]);
    let (code, text) = outcome(child, &log);
    assert_eq!(code, None, "started: {text}");
    assert!(!text.contains("WITHOUT AUTHENTICATION"), "{text}");
}
