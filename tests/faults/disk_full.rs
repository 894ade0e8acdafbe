//! The local disk fills up during a download: `ferry download` fails with errorNum 7004
//! (docs/hot-backup-api.md §7, "no space left on device") and removes what it staged; `ferry
//! copy` fails with the system's message.
//!
//! The full disk is a 1 MiB tmpfs mounted over the destination in a mount namespace of the
//! `ferry` process alone (`unshare -m` as root, `unshare -rm` otherwise): nothing outside the
//! test sees it, and it vanishes with the process. What is left on it is listed from inside
//! the namespace after `ferry` exits. Where neither works the test fails: it is not skipped.

use std::ffi::OsString;
use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use ferry::backup::{BackupDir, CreateOptions};

use crate::common::{bytes, ferry, text, write};

const SMALL_DISK: &str = "1m";
const MARK: &str = "--- left on the small disk ---";

/// Runs `ferry args...` with `dir` on a fresh tmpfs of [`SMALL_DISK`]; the output and what
/// was left on that disk afterwards: directories as `path/`, files as `sha256  ./path`.
fn on_small_disk(state: &Path, dir: &Path, args: &[OsString]) -> (Output, Vec<String>) {
    fs::create_dir_all(dir).expect("mkdir");
    let template = ferry(state);
    let script = format!(
        r#"mount -t tmpfs -o size={SMALL_DISK} ferry-small "$0" || exit 97
"$@"; rc=$?
echo '{MARK}'
cd "$0" && find . -mindepth 1 -type d -printf '%P/\n' && find . -type f -exec sha256sum {{}} +
exit $rc"#
    );
    let root = is_root();
    let mut cmd = Command::new("unshare");
    cmd.arg(if root { "-m" } else { "-rm" })
        .args(["sh", "-c", &script])
        .arg(dir)
        .arg(template.get_program())
        .args(args);
    for (k, v) in template.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let out = cmd.output().expect("unshare runs");
    assert_ne!(
        out.status.code(),
        Some(97),
        "cannot mount a tmpfs in a private mount namespace (needs root or user namespaces): {}",
        text(&out)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let (_, left) = stdout
        .split_once(MARK)
        .unwrap_or_else(|| panic!("unshare or sh failed: {}", text(&out)));
    let left = left
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    (out, left)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

fn os(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Vec<OsString> {
    args.iter().map(|a| a.as_ref().to_owned()).collect()
}

#[test]
fn download_onto_a_full_disk_is_7004_and_leaves_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let data = root.join("data");
    write(&data.join("big.sst"), &bytes(1, 3 << 20));
    write(&data.join("small"), &bytes(2, 5_000));
    let backups = BackupDir::new(root.join("backups"));
    let id = backups
        .create(&data, Some("full"), &CreateOptions::default())
        .expect("create")
        .id
        .to_string();
    let config = root.join("config.json");
    fs::write(&config, r#"{"local": {"type": "local"}}"#).expect("config");
    let repo = format!("local:/{}", root.join("repo").display());
    let state = root.join("state");
    let up = crate::common::run(ferry(&state).args(os(&[
        &"upload",
        &id,
        &repo,
        &"--backup-dir",
        &backups.root,
        &"--config",
        &config,
        &"--no-progress",
    ])));
    assert!(up.status.success(), "{}", text(&up));

    let full = root.join("full");
    let (out, left) = on_small_disk(
        &state,
        &full,
        &os(&[
            &"download",
            &id,
            &repo,
            &"--backup-dir",
            &full,
            &"--config",
            &config,
            &"--no-progress",
        ]),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("(errorNum 7004)"), "{}", text(&out));
    assert!(stderr.contains("No space left on device"), "{}", text(&out));
    assert!(
        left.iter().all(|p| !p.contains(&id)),
        "staged data left on the full disk: {left:?}"
    );
}

#[test]
fn copy_onto_a_full_disk_fails_with_the_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("src");
    write(&src.join("a"), &bytes(3, 600_000));
    write(&src.join("b"), &bytes(4, 600_000));
    write(&src.join("c"), &bytes(5, 600_000));
    let dst = dir.path().join("dst");
    let (out, left) = on_small_disk(
        &dir.path().join("state"),
        &dst,
        &os(&[&"copy", &src, &dst, &"--no-progress"]),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("No space left on device"),
        "{}",
        text(&out)
    );
    // What was published is whole and right: at most one of the three files fits.
    let digest: Vec<_> = crate::common::tree_digest(&src);
    for line in &left {
        let Some((sha, name)) = line.split_once("  ./") else {
            continue;
        };
        if !name.ends_with(".ferry-part") {
            assert!(
                digest.iter().any(|(p, s)| p == name && s == sha),
                "{name}: wrong data published: {left:?}"
            );
        }
    }
}
