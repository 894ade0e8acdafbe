//! rclone's filters through the binary (`--include`, `--exclude`, `--filter`,
//! `--filter-from`, `--include-from`, `--exclude-from`, `--min-size`, `--max-size`) on
//! copy, sync, move and the listings, locally and against s3s-fs: the same files chosen
//! as rclone chooses them, and `sync` leaving excluded files at DST alone.

mod common;
#[allow(dead_code)]
#[path = "conformance/servers.rs"]
mod servers;

use std::path::Path;
use std::process::Output;

use common::*;
use servers::Server;

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8")
}

fn ok(out: Output) -> String {
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    String::from_utf8(out.stdout).expect("utf-8")
}

fn names(root: &Path) -> Vec<String> {
    if !root.exists() {
        return Vec::new();
    }
    tree_digest(root).into_iter().map(|(n, _)| n).collect()
}

/// `a.txt` (5 B), `b.jpg` (2 KiB), `logs/x.log` (10 B), `logs/keep/y.txt` (3 B),
/// `secret/k.txt` (4 B).
fn make_src(src: &Path) {
    write(&src.join("a.txt"), b"alpha");
    write(&src.join("b.jpg"), &bytes(1, 2048));
    write(&src.join("logs/x.log"), b"0123456789");
    write(&src.join("logs/keep/y.txt"), b"yyy");
    write(&src.join("secret/k.txt"), b"kkkk");
}

/// The files of SRC a `copy` with `flags` brings over.
fn copied(flags: &[&str]) -> Vec<String> {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    make_src(&d.join("src"));
    ok(run(ferry(d)
        .arg("copy")
        .args(flags)
        .arg(d.join("src"))
        .arg(d.join("dst"))));
    names(&d.join("dst"))
}

#[test]
fn copy_takes_the_files_rclone_would() {
    assert_eq!(
        copied(&["--include", "*.txt"]),
        ["a.txt", "logs/keep/y.txt", "secret/k.txt"]
    );
    assert_eq!(copied(&["--include", "/*.txt"]), ["a.txt"]);
    assert_eq!(
        copied(&["--exclude", "secret/**", "--exclude", "*.jpg"]),
        ["a.txt", "logs/keep/y.txt", "logs/x.log"]
    );
    assert_eq!(
        copied(&[
            "--filter",
            "+ logs/keep/**",
            "--filter",
            "- logs/**",
            "--filter",
            "- secret/"
        ]),
        ["a.txt", "b.jpg", "logs/keep/y.txt", "secret/k.txt"]
    );
    assert_eq!(
        copied(&["--include", "*.{jpg,log}"]),
        ["b.jpg", "logs/x.log"]
    );
    assert_eq!(copied(&["--min-size", "1K"]), ["b.jpg"]);
    assert_eq!(
        copied(&["--max-size", "5b"]),
        ["a.txt", "logs/keep/y.txt", "secret/k.txt"]
    );
    assert_eq!(
        copied(&["--include", "*.TXT", "--ignore-case", "--max-size", "4b"]),
        ["logs/keep/y.txt", "secret/k.txt"]
    );
}

#[test]
fn rule_files_and_bad_rules() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write(
        &d.join("rules"),
        b"# keep the text\n+ *.txt\n\n; the rest goes\n- **\n",
    );
    write(&d.join("globs"), b"*.log\n*.jpg\n");
    assert_eq!(
        copied(&["--filter-from", s(&d.join("rules"))]),
        ["a.txt", "logs/keep/y.txt", "secret/k.txt"]
    );
    assert_eq!(
        copied(&["--include-from", s(&d.join("globs"))]),
        ["b.jpg", "logs/x.log"]
    );
    assert_eq!(
        copied(&["--exclude-from", s(&d.join("globs"))]),
        ["a.txt", "logs/keep/y.txt", "secret/k.txt"]
    );
    make_src(&d.join("src"));
    for bad in [
        &["--filter", "x.txt"][..],
        &["--include", "a***"],
        &["--exclude", "[ab"],
        &["--filter-from", "/nonexistent/rules"],
    ] {
        let out = run(ferry(d)
            .arg("copy")
            .args(bad)
            .arg(d.join("src"))
            .arg(d.join("dst")));
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", text(&out));
    }
    assert!(!d.join("dst").exists());
}

#[test]
fn sync_and_move_leave_what_the_filters_exclude() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    make_src(&d.join("src"));
    write(&d.join("dst/old.txt"), b"o");
    write(&d.join("dst/old.jpg"), b"j");
    ok(run(ferry(d).args([
        "sync",
        "--exclude",
        "*.jpg",
        s(&d.join("src")),
        s(&d.join("dst")),
    ])));
    // old.txt is not in SRC: deleted; old.jpg is excluded: stays; b.jpg not copied.
    assert_eq!(
        names(&d.join("dst")),
        [
            "logs/keep/y.txt",
            "logs/x.log",
            "old.jpg",
            "secret/k.txt",
            "a.txt"
        ]
        .iter()
        .map(|s| s.to_string())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect::<Vec<_>>()
    );
    ok(run(ferry(d).args([
        "sync",
        "--exclude",
        "*.jpg",
        "--delete-excluded",
        s(&d.join("src")),
        s(&d.join("dst")),
    ])));
    assert!(!d.join("dst/old.jpg").exists());
    ok(run(ferry(d).args([
        "move",
        "--include",
        "logs/**",
        s(&d.join("src")),
        s(&d.join("moved")),
    ])));
    assert_eq!(names(&d.join("moved")), ["logs/keep/y.txt", "logs/x.log"]);
    assert_eq!(names(&d.join("src")), ["a.txt", "b.jpg", "secret/k.txt"]);
}

#[test]
fn listings_and_size_are_filtered() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    make_src(&d.join("src"));
    let src = s(&d.join("src")).to_owned();
    assert_eq!(
        ok(run(ferry(d).args(["ls", "--include", "*.txt", &src]))),
        "        5 a.txt\n        3 logs/keep/y.txt\n        4 secret/k.txt\n"
    );
    let size = ok(run(ferry(d).args([
        "size",
        "--json",
        "--exclude",
        "*.jpg",
        &src,
    ])));
    let size: serde_json::Value = serde_json::from_str(&size).expect("json");
    assert_eq!(
        (size["count"].as_u64(), size["bytes"].as_u64()),
        (Some(4), Some(22))
    );
    let lsd = ok(run(ferry(d).args(["lsd", "--exclude", "secret/**", &src])));
    assert!(lsd.contains(" logs\n") && !lsd.contains("secret"), "{lsd}");
    let json = ok(run(ferry(d).args([
        "lsjson",
        "-R",
        "--files-only",
        "--min-size",
        "1K",
        &src,
    ])));
    assert!(
        json.contains("\"b.jpg\"") && !json.contains("a.txt"),
        "{json}"
    );
}

#[test]
fn on_s3s_fs() {
    let server = Server::s3("s3s-fs", "S3S", false);
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    make_src(&d.join("src"));
    let remote = server.repository(&format!("cli-{}", uuid::Uuid::new_v4().simple()));
    let on = |args: &[&str]| {
        ok(run(ferry(&d.join("state"))
            .args(args)
            .arg("--config")
            .arg(server.config_file(d))))
    };
    on(&["copy", "--exclude", "secret/**", s(&d.join("src")), &remote]);
    assert_eq!(
        on(&["ls", &remote]),
        "        5 a.txt\n     2048 b.jpg\n        3 logs/keep/y.txt\n       10 logs/x.log\n"
    );
    assert_eq!(
        on(&["ls", "--include", "*.log", &remote]),
        "       10 logs/x.log\n"
    );
    on(&["sync", "--include", "*.txt", &remote, s(&d.join("down"))]);
    assert_eq!(names(&d.join("down")), ["a.txt", "logs/keep/y.txt"]);
}
