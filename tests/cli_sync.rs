//! `copyto`, `move`, `moveto` and `sync` through the binary, on local trees and against
//! real S3 servers (s3s-fs, moto, started by `backends/run`): rclone's semantics, and the
//! promises that nothing is deleted (at DST by `sync`, at SRC by `move`) unless every copy
//! succeeded and was verified, that `--max-delete` and `--dry-run` delete nothing, and that
//! overlapping SRC and DST are refused (exit 7).

mod common;
#[allow(dead_code)]
#[path = "conformance/servers.rs"]
mod servers;

use std::fs;
use std::path::Path;
use std::process::Output;

use common::*;
use servers::Server;

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8")
}

fn ferry_ok(state: &Path, args: &[&str]) -> Output {
    let out = run(ferry(state).args(args));
    assert_eq!(code(&out), 0, "{args:?}: {}", text(&out));
    out
}

fn names(root: &Path) -> Vec<String> {
    if !root.exists() {
        return Vec::new();
    }
    tree_digest(root).into_iter().map(|(n, _)| n).collect()
}

/// `a.txt`, `sub/b.txt`, `sub/deep/c.txt`.
fn make_src(src: &Path) {
    write(&src.join("a.txt"), b"alpha");
    write(&src.join("sub/b.txt"), b"beta!");
    write(&src.join("sub/deep/c.txt"), &bytes(3, 100_000));
}

#[test]
fn copyto_gives_a_file_a_new_name_and_copies_a_directory_as_copy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    make_src(&d.join("src"));
    ferry_ok(
        d,
        &[
            "copyto",
            s(&d.join("src/a.txt")),
            s(&d.join("out/renamed.txt")),
        ],
    );
    assert_eq!(names(&d.join("out")), ["renamed.txt"]);
    assert_eq!(
        fs::read(d.join("out/renamed.txt")).expect("copied"),
        b"alpha"
    );
    // A rerun finds it there: nothing sent.
    let out = run(ferry(d).args([
        "copyto",
        "--error-on-no-transfer",
        s(&d.join("src/a.txt")),
        s(&d.join("out/renamed.txt")),
    ]));
    assert_eq!(code(&out), 9, "{}", text(&out));
    // `copy` of a file keeps its name inside DST.
    ferry_ok(d, &["copy", s(&d.join("src/a.txt")), s(&d.join("out"))]);
    assert_eq!(names(&d.join("out")), ["a.txt", "renamed.txt"]);
    ferry_ok(d, &["copyto", s(&d.join("src")), s(&d.join("tree"))]);
    assert_eq!(tree_digest(&d.join("tree")), tree_digest(&d.join("src")));
    assert!(names(&d.join("src")).len() == 3, "copyto leaves the source");
}

#[test]
fn move_deletes_sources_only_after_their_copies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    make_src(&d.join("src"));
    let before = tree_digest(&d.join("src"));
    ferry_ok(
        d,
        &[
            "move",
            "--delete-empty-src-dirs",
            s(&d.join("src")),
            s(&d.join("dst")),
        ],
    );
    assert_eq!(tree_digest(&d.join("dst")), before);
    assert!(d.join("src").is_dir(), "the source root stays");
    assert_eq!(
        fs::read_dir(d.join("src")).expect("ls").count(),
        0,
        "emptied"
    );

    // moveto renames one file; move of a file keeps its name.
    ferry_ok(
        d,
        &["moveto", s(&d.join("dst/a.txt")), s(&d.join("x/y.txt"))],
    );
    assert!(!d.join("dst/a.txt").exists());
    assert_eq!(fs::read(d.join("x/y.txt")).expect("moved"), b"alpha");
    ferry_ok(d, &["move", s(&d.join("x/y.txt")), s(&d.join("dst"))]);
    assert_eq!(fs::read(d.join("dst/y.txt")).expect("moved"), b"alpha");
    assert!(!d.join("x/y.txt").exists());
}

#[test]
fn a_failed_copy_keeps_every_source_and_every_destination_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    make_src(&d.join("src"));
    // `sub` is a file at the destination: `sub/b.txt` cannot be written there.
    write(&d.join("dst/sub"), b"in the way");
    write(&d.join("dst/extra"), b"only at dst");
    let before = tree_digest(&d.join("src"));
    let out = run(ferry(d).args(["move", s(&d.join("src")), s(&d.join("dst"))]));
    assert_ne!(code(&out), 0, "{}", text(&out));
    assert_eq!(tree_digest(&d.join("src")), before, "move deleted a source");
    let out = run(ferry(d).args(["sync", s(&d.join("src")), s(&d.join("dst"))]));
    assert_ne!(code(&out), 0, "{}", text(&out));
    assert_eq!(
        fs::read(d.join("dst/extra")).expect("kept"),
        b"only at dst",
        "sync deleted after a failed copy"
    );
    assert_eq!(tree_digest(&d.join("src")), before);
}

#[test]
fn sync_makes_dst_like_src_and_dry_run_and_max_delete_delete_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    make_src(&d.join("src"));
    write(&d.join("dst/a.txt"), b"stale");
    // Older than the source, as a stale file is: of the same size and (on a file system
    // with coarse timestamps) the same time, rclone's quick check would count it there.
    fs::File::options()
        .write(true)
        .open(d.join("dst/a.txt"))
        .and_then(|f| f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1)))
        .expect("set mtime");
    write(&d.join("dst/old1"), b"1");
    write(&d.join("dst/gone/old2"), b"2");
    let dst_before = tree_digest(&d.join("dst"));

    let out = ferry_ok(
        d,
        &["sync", "--dry-run", s(&d.join("src")), s(&d.join("dst"))],
    );
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        tree_digest(&d.join("dst")),
        dst_before,
        "dry run changed DST"
    );
    for line in [
        "a.txt: Skipped copy as --dry-run is set",
        "sub/b.txt: Skipped copy as --dry-run is set",
        "old1: Skipped delete as --dry-run is set",
        "gone/old2: Skipped delete as --dry-run is set",
    ] {
        assert!(said.contains(line), "{line}: {said}");
    }

    for max in ["0", "1"] {
        let out = run(ferry(d).args([
            "sync",
            "--max-delete",
            max,
            s(&d.join("src")),
            s(&d.join("dst")),
        ]));
        assert_eq!(code(&out), 7, "{}", text(&out));
        assert!(
            text(&out).contains("--max-delete threshold reached"),
            "{}",
            text(&out)
        );
        assert!(d.join("dst/old1").exists() && d.join("dst/gone/old2").exists());
    }
    // The copies of the refused run stand (as rclone's, which copies before deleting).
    assert_eq!(fs::read(d.join("dst/a.txt")).expect("copied"), b"alpha");

    let out = ferry_ok(
        d,
        &[
            "sync",
            "--json",
            "--max-delete",
            "2",
            s(&d.join("src")),
            s(&d.join("dst")),
        ],
    );
    assert_eq!(done_line(&out)["deleted"], 2, "{}", text(&out));
    assert_eq!(tree_digest(&d.join("dst")), tree_digest(&d.join("src")));

    // A source that exists and is empty empties the destination, as rclone's.
    fs::create_dir(d.join("empty")).expect("mkdir");
    ferry_ok(d, &["sync", s(&d.join("empty")), s(&d.join("dst"))]);
    assert_eq!(names(&d.join("dst")), Vec::<String>::new());
    // A missing one is exit 3 and deletes nothing.
    write(&d.join("dst/keep"), b"k");
    let out = run(ferry(d).args(["sync", s(&d.join("missing")), s(&d.join("dst"))]));
    assert_eq!(code(&out), 3, "{}", text(&out));
    assert!(d.join("dst/keep").exists());
}

#[test]
fn sync_of_one_file_deletes_nothing_else() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    make_src(&d.join("src"));
    write(&d.join("dst/other"), b"o");
    ferry_ok(d, &["sync", s(&d.join("src/a.txt")), s(&d.join("dst"))]);
    assert_eq!(names(&d.join("dst")), ["a.txt", "other"]);
}

#[test]
fn overlapping_src_and_dst_are_refused_by_sync_and_move() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    make_src(&d.join("src"));
    let before = tree_digest(&d.join("src"));
    let src = d.join("src");
    let inside = d.join("src/sub/new");
    let dotted = d.join("src/sub/..");
    for (a, b) in [
        (&src, &inside),
        (&inside, &src),
        (&src, &dotted),
        (&src, &src),
    ] {
        for cmd in ["sync", "move"] {
            let out = run(ferry(d).args([cmd, s(a), s(b)]));
            assert_eq!(code(&out), 7, "{cmd} {a:?} {b:?}: {}", text(&out));
            assert!(
                text(&out).contains("can't sync or move files on overlapping remotes"),
                "{}",
                text(&out)
            );
        }
    }
    assert_eq!(tree_digest(&d.join("src")), before);
    // Siblings whose names share a prefix do not overlap.
    ferry_ok(d, &["sync", s(&src), s(&d.join("src2"))]);
}

/// `ferry ARGS --config <server's config>`.
fn on(server: &Server, dir: &Path, args: &[&str]) -> Output {
    run(ferry(&dir.join("state"))
        .args(args)
        .arg("--config")
        .arg(server.config_file(dir)))
}

fn ls(server: &Server, dir: &Path, remote: &str) -> String {
    let out = on(server, dir, &["ls", remote]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    String::from_utf8(out.stdout).expect("utf-8")
}

fn on_server(server: &Server) {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let remote = server.repository(&format!("cli-{}", uuid::Uuid::new_v4().simple()));
    make_src(&d.join("src"));
    let ok = |args: &[&str]| {
        let out = on(server, d, args);
        assert_eq!(code(&out), 0, "{}: {args:?}: {}", server.name, text(&out));
        out
    };
    ok(&["copy", s(&d.join("src")), &remote]);
    ok(&[
        "copyto",
        &format!("{remote}/a.txt"),
        &format!("{remote}/extra/one"),
    ]);
    ok(&[
        "copyto",
        s(&d.join("src/a.txt")),
        &format!("{remote}/extra/two"),
    ]);
    let listed = ls(server, d, &remote);
    assert!(
        listed.contains(" extra/one\n") && listed.contains(" extra/two\n"),
        "{listed}"
    );

    let out = on(
        server,
        d,
        &["sync", "--max-delete", "1", s(&d.join("src")), &remote],
    );
    assert_eq!(code(&out), 7, "{}: {}", server.name, text(&out));
    assert_eq!(ls(server, d, &remote).lines().count(), 5);
    ok(&["sync", "--dry-run", s(&d.join("src")), &remote]);
    assert_eq!(ls(server, d, &remote).lines().count(), 5);
    ok(&["sync", s(&d.join("src")), &remote]);
    assert_eq!(
        ls(server, d, &remote),
        "        5 a.txt\n        5 sub/b.txt\n   100000 sub/deep/c.txt\n"
    );
    let out = on(server, d, &["sync", &remote, &format!("{remote}/sub")]);
    assert_eq!(code(&out), 7, "{}: {}", server.name, text(&out));

    // Down again by moving: the remote is empty afterwards, the tree is here.
    ok(&["move", &remote, s(&d.join("back"))]);
    assert_eq!(tree_digest(&d.join("back")), tree_digest(&d.join("src")));
    assert_eq!(code(&on(server, d, &["ls", &remote])), 3);
    ok(&[
        "moveto",
        s(&d.join("back/a.txt")),
        &format!("{remote}/z/a2.txt"),
    ]);
    assert_eq!(ls(server, d, &remote), "        5 z/a2.txt\n");
    assert!(!d.join("back/a.txt").exists());
}

#[test]
fn s3s_fs() {
    on_server(&Server::s3("s3s-fs", "S3S", false));
}

#[test]
fn moto() {
    on_server(&Server::s3("moto", "MOTO", true));
}
