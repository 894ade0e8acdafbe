//! `--bwlimit` holds: the bytes a copy moves over the time it takes (the test's own clock,
//! around the whole process) stay within the limit, and the rate of rclone's forms that
//! applies is the one taken: one value, an upload:download pair, a timetable. The forms'
//! parsing is unit-tested in src/store/layer/bwtimetable.rs.

#[path = "common/mod.rs"]
mod common;
#[allow(dead_code)]
#[path = "conformance/servers.rs"]
mod servers;

use std::path::Path;
use std::time::Instant;

use common::*;
use servers::Server;

const SIZE: usize = 24 << 20;
const LIMIT: f64 = (8 << 20) as f64;

/// Copies a 24 MiB file with `limit` and returns the achieved rate over 8 MiB/s.
fn ratio(dir: &Path, dst: &str, limit: &str, config: Option<&Path>) -> f64 {
    let src = dir.join("src");
    write(&src.join("big"), &bytes(31, SIZE));
    let mut cmd = ferry(&dir.join("state"));
    cmd.args(["copy", "--json", "--chunk-size", "5M", "--bwlimit", limit])
        .arg(&src)
        .arg(dst);
    if let Some(c) = config {
        cmd.arg("--config").arg(c);
    }
    let start = Instant::now();
    let out = run(&mut cmd);
    let elapsed = start.elapsed().as_secs_f64();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(done_line(&out)["bytesTransferred"], SIZE as u64);
    SIZE as f64 / elapsed / LIMIT
}

/// At most the limit (5 % for rounding), and not far below it: the limit, not the machine,
/// sets the pace (a copy of 24 MiB on loopback runs far faster than 8 MiB/s).
fn assert_holds(ratio: f64, what: &str) {
    assert!(ratio <= 1.05, "{what}: {:.0} % of the limit", ratio * 100.0);
    assert!(
        ratio >= 0.5,
        "{what}: only {:.0} % of the limit",
        ratio * 100.0
    );
}

#[test]
fn one_rate_holds_on_a_local_copy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dst = dir.path().join("dst");
    let r = ratio(dir.path(), dst.to_str().expect("utf-8"), "8M", None);
    assert_holds(r, "8M");
}

#[test]
fn a_weekly_timetable_applies_now() {
    // One entry a week holds all week (it wraps around).
    let dir = tempfile::tempdir().expect("tempdir");
    let dst = dir.path().join("dst");
    let r = ratio(
        dir.path(),
        dst.to_str().expect("utf-8"),
        "Mon-00:00,8M",
        None,
    );
    assert_holds(r, "Mon-00:00,8M");
}

#[test]
fn bad_forms_are_usage_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    for bad in ["fast", "25:00,1M", "Mon-08:00", "1M:2M:3M"] {
        let out = run(ferry(&dir.path().join("state")).args(["copy", "a", "b", "--bwlimit", bad]));
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", text(&out));
    }
}

/// An upload takes the pair's first rate (the second, 1M, would take 24 s).
#[test]
fn s3s_fs_upload_takes_the_upload_rate_of_a_pair() {
    let server = Server::s3("s3s-fs", "S3S", false);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = server.config_file(dir.path());
    let remote = server.repository(&format!("bw-{}", uuid::Uuid::new_v4().simple()));
    let r = ratio(dir.path(), &remote, "8M:1M", Some(&config));
    assert_holds(r, "8M:1M upload");
}
