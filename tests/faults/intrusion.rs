//! `ferry copy` and symbolic links: links in the source are not followed (a link to `/etc`
//! would otherwise copy `/etc`), links below the destination are not written through (a
//! link to `/etc` would otherwise overwrite files there). The server's cases (malicious
//! repositories, links in backups, download targets, the local path prefix) are in
//! `tests/server/intrusion.rs`.

use std::fs;
use std::os::unix::fs::symlink;

use crate::common::{bytes, ferry, run, text, tree_digest, write};

#[test]
fn copy_neither_reads_nor_writes_through_links() {
    let dir = tempfile::tempdir().expect("tempdir");
    let outside = dir.path().join("outside");
    write(&outside.join("secret"), b"not to be copied");
    let src = dir.path().join("src");
    write(&src.join("sub/file"), &bytes(1, 1_000));
    write(&src.join("plain"), &bytes(2, 1_000));
    symlink(&outside, src.join("dirlink")).expect("symlink");
    symlink(outside.join("secret"), src.join("filelink")).expect("symlink");
    let state = dir.path().join("state");

    // Links in the source are skipped: nothing from outside arrives.
    let first = dir.path().join("first");
    let out = run(ferry(&state)
        .args(["copy", "--no-progress"])
        .arg(&src)
        .arg(&first));
    assert!(out.status.success(), "{}", text(&out));
    let names: Vec<_> = tree_digest(&first).into_iter().map(|(p, _)| p).collect();
    assert_eq!(names, ["plain", "sub/file"]);

    // A destination whose subdirectory is a link: refused, naming the link; the link's
    // target is not written to.
    let dst = dir.path().join("dst");
    fs::create_dir_all(&dst).expect("mkdir");
    symlink(&outside, dst.join("sub")).expect("symlink");
    let out = run(ferry(&state)
        .args(["copy", "--no-progress"])
        .arg(&src)
        .arg(&dst));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("symbolic link") && stderr.contains("dst/sub"),
        "{}",
        text(&out)
    );
    let outside_now: Vec<_> = tree_digest(&outside).into_iter().map(|(p, _)| p).collect();
    assert_eq!(outside_now, ["secret"], "written through the link");
    assert_eq!(
        fs::read(outside.join("secret")).expect("read"),
        b"not to be copied"
    );
}
