//! The command line's promises on local trees, through the binary: rclone's exit codes
//! (never 0 when nothing was done), a single file as SRC, rclone's remote strings
//! (`:backend,opt=v:path`, `RCLONE_CONFIG_*` remotes) and an rclone.conf with sections of
//! types Ferry lacks. The same against the real servers: `tests/cli_remote.rs`.

mod common;

use std::fs;
use std::path::Path;

use common::*;

fn code(out: &std::process::Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_missing_source_directory_is_exit_3_and_copies_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dst = dir.path().join("dst");
    let out = run(ferry(dir.path())
        .arg("copy")
        .arg(dir.path().join("nonexistent"))
        .arg(&dst));
    assert_eq!(code(&out), 3, "{}", text(&out));
    assert!(
        stderr(&out).contains("directory not found"),
        "{}",
        text(&out)
    );
    assert!(!dst.exists());

    let out = run(ferry(dir.path())
        .arg("check")
        .arg(dir.path().join("a"))
        .arg(dir.path().join("b")));
    assert_eq!(code(&out), 3, "{}", text(&out));
    // The destination of a check must exist too.
    write(&dir.path().join("a/f"), b"x");
    let out = run(ferry(dir.path())
        .arg("check")
        .arg(dir.path().join("a"))
        .arg(dir.path().join("b")));
    assert_eq!(code(&out), 3, "{}", text(&out));
}

#[test]
fn a_single_file_as_src_copies_that_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(&dir.path().join("src/a.txt"), b"alpha");
    write(&dir.path().join("src/b.txt"), b"beta");
    let dst = dir.path().join("dst");
    let out = run(ferry(dir.path())
        .args(["copy", "--json"])
        .arg(dir.path().join("src/a.txt"))
        .arg(&dst));
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(done_line(&out)["copied"], 1, "{}", text(&out));
    assert_eq!(fs::read(dst.join("a.txt")).expect("copied"), b"alpha");
    assert!(!dst.join("b.txt").exists());
}

#[test]
fn error_on_no_transfer_is_exit_9() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(&dir.path().join("src/a"), b"alpha");
    let (src, dst) = (dir.path().join("src"), dir.path().join("dst"));
    let copy = |extra: &[&str]| {
        run(ferry(dir.path())
            .arg("copy")
            .arg(&src)
            .arg(&dst)
            .args(extra))
    };
    let out = copy(&["--error-on-no-transfer"]);
    assert_eq!(code(&out), 0, "something was copied: {}", text(&out));
    let out = copy(&["--error-on-no-transfer"]);
    assert_eq!(code(&out), 9, "all there already: {}", text(&out));
    assert_eq!(code(&copy(&[])), 0);
    // An empty source transfers nothing either.
    fs::create_dir_all(dir.path().join("empty")).expect("mkdir");
    let out = run(ferry(dir.path())
        .arg("copy")
        .arg(dir.path().join("empty"))
        .arg(&dst)
        .arg("--error-on-no-transfer"));
    assert_eq!(code(&out), 9, "{}", text(&out));
}

#[test]
fn usage_errors_are_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    for args in [
        &["copy", "/a", "/b", "--transfers", "0"][..],
        &["copy", "/a", "/b", "--chunk-size", "0"],
        &["copy", "/a"],
        &["ls"],
        &["nosuchcommand"],
    ] {
        let out = run(ferry(dir.path()).args(args));
        assert_eq!(code(&out), 2, "{args:?}: {}", text(&out));
    }
}

const SECRET: &str = "TopSecretKey-4f1e";

#[test]
fn a_remote_string_starting_with_a_colon_is_never_a_local_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(&dir.path().join("src/a"), b"alpha");
    for bad in [
        format!(":s3,secret_access_key={SECRET}"),
        format!(":s3,secret_access_key=\"{SECRET}:b/x"),
        format!(":s3/x,secret_access_key={SECRET}:b"),
        ":".to_owned(),
        "::b".to_owned(),
    ] {
        let out = run(ferry(dir.path())
            .current_dir(dir.path())
            .arg("copy")
            .arg(dir.path().join("src"))
            .arg(&bad));
        assert_eq!(code(&out), 2, "{bad}: {}", text(&out));
        assert!(!text(&out).contains(SECRET), "{bad}: {}", text(&out));
        let made: Vec<_> = fs::read_dir(dir.path())
            .expect("read")
            .flatten()
            .map(|e| e.file_name())
            .filter(|n| n.to_string_lossy().starts_with(':'))
            .collect();
        assert!(made.is_empty(), "{bad}: made {made:?}");
    }
}

#[test]
fn on_the_fly_and_environment_remotes() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(&dir.path().join("src/sub/a"), b"alpha");
    let src = dir.path().join("src");
    let on_the_fly = format!(":local:{}", dir.path().join("fly").display());
    let out = run(ferry(dir.path()).arg("copy").arg(&src).arg(&on_the_fly));
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(
        fs::read(dir.path().join("fly/sub/a")).expect("copied"),
        b"alpha"
    );

    let out = run(ferry(dir.path())
        .env("RCLONE_CONFIG_CIDISK_TYPE", "local")
        .arg("copy")
        .arg(&src)
        .arg(format!("cidisk:{}", dir.path().join("env").display())));
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(
        fs::read(dir.path().join("env/sub/a")).expect("copied"),
        b"alpha"
    );

    let out = run(ferry(dir.path())
        .arg("copy")
        .arg(&src)
        .arg(format!("cidisk:{}", dir.path().join("env2").display())));
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(
        stderr(&out).contains("no remote \"cidisk\""),
        "{}",
        text(&out)
    );
}

#[test]
fn an_rclone_conf_with_types_ferry_lacks_still_serves_the_others() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(&dir.path().join("src/a"), b"alpha");
    let conf = dir.path().join("rclone.conf");
    fs::write(
        &conf,
        "[gdrive]\ntype = drive\nclient_id = x\n\n[secret]\ntype = crypt\nremote = gdrive:x\npassword = p\n\n\
         [b2]\ntype = b2\naccount = a\n\n[box]\ntype = sftp\nhost = h\n\n[disk]\ntype = local\n",
    )
    .expect("write conf");
    let out = run(ferry(dir.path())
        .arg("copy")
        .arg("--config")
        .arg(&conf)
        .arg(dir.path().join("src"))
        .arg(format!("disk:{}", dir.path().join("dst").display())));
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(dir.path().join("dst/a").exists());
    for (remote, kind) in [
        ("gdrive", "drive"),
        ("secret", "crypt"),
        ("b2", "b2"),
        ("box", "sftp"),
    ] {
        let out = run(ferry(dir.path())
            .arg("ls")
            .arg("--config")
            .arg(&conf)
            .arg(format!("{remote}:x")));
        assert_eq!(code(&out), 1, "{}", text(&out));
        assert!(
            stderr(&out).contains(&format!("{kind:?}")),
            "{remote}: {}",
            text(&out)
        );
    }
}

/// A tree for the listing commands: `a` (5 bytes), `d/b` (3), `d/e/c` (1).
fn listing_tree(root: &Path) {
    write(&root.join("a"), b"alpha");
    write(&root.join("d/b"), b"bet");
    write(&root.join("d/e/c"), b"c");
}

fn stdout_of(dir: &Path, args: &[&str]) -> String {
    let out = run(ferry(dir).args(args));
    assert_eq!(code(&out), 0, "{args:?}: {}", text(&out));
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn ls_lsd_lsjson_size_and_cat() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("t");
    listing_tree(&root);
    let r = root.to_str().expect("utf-8");
    assert_eq!(
        stdout_of(dir.path(), &["ls", r]),
        "        5 a\n        3 d/b\n        1 d/e/c\n"
    );
    let lsd = stdout_of(dir.path(), &["lsd", r]);
    assert_eq!(lsd.lines().count(), 1, "{lsd}");
    assert!(
        lsd.starts_with("          -1 ") && lsd.ends_with("        -1 d\n"),
        "{lsd:?}"
    );
    let lsd = stdout_of(dir.path(), &["lsd", "-R", r]);
    assert!(
        lsd.lines().last().is_some_and(|l| l.ends_with(" d/e")),
        "{lsd}"
    );

    let top: serde_json::Value =
        serde_json::from_str(&stdout_of(dir.path(), &["lsjson", r])).expect("json");
    let paths: Vec<_> = top
        .as_array()
        .expect("array")
        .iter()
        .map(|i| {
            (
                i["Path"].as_str().expect("path").to_owned(),
                i["IsDir"] == true,
                i["Size"].clone(),
            )
        })
        .collect();
    assert_eq!(
        paths,
        [
            ("a".to_owned(), false, 5.into()),
            ("d".to_owned(), true, (-1).into())
        ]
    );
    let all: serde_json::Value =
        serde_json::from_str(&stdout_of(dir.path(), &["lsjson", "-R", "--files-only", r]))
            .expect("json");
    assert_eq!(all.as_array().map(Vec::len), Some(3));
    assert_eq!(all[2]["Name"], "c");
    assert_eq!(all[2]["Path"], "d/e/c");

    assert_eq!(
        stdout_of(dir.path(), &["size", r]),
        "Total objects: 3\nTotal size: 9 B (9 Byte)\n"
    );
    let size: serde_json::Value =
        serde_json::from_str(&stdout_of(dir.path(), &["size", "--json", r])).expect("json");
    assert_eq!(
        (size["count"].clone(), size["bytes"].clone()),
        (3.into(), 9.into())
    );

    assert_eq!(stdout_of(dir.path(), &["cat", &format!("{r}/d/b")]), "bet");
    assert_eq!(stdout_of(dir.path(), &["cat", r]), "alphabetc");
    assert_eq!(
        stdout_of(dir.path(), &["ls", &format!("{r}/a")]),
        "        5 a\n"
    );

    for cmd in ["ls", "lsd", "lsjson", "size", "cat", "delete", "purge"] {
        let out = run(ferry(dir.path()).arg(cmd).arg(dir.path().join("missing")));
        assert_eq!(code(&out), 3, "{cmd}: {}", text(&out));
    }
}

#[test]
fn delete_purge_and_mkdir() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("t");
    listing_tree(&root);
    let r = root.to_str().expect("utf-8");

    let out = run(ferry(dir.path()).args(["delete", "--dry-run", r]));
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(
        stderr(&out).contains("d/e/c: Skipped delete as --dry-run is set"),
        "{}",
        text(&out)
    );
    assert_eq!(tree_digest(&root).len(), 3, "dry run deletes nothing");

    stdout_of(dir.path(), &["delete", &format!("{r}/d")]);
    assert_eq!(tree_digest(&root).len(), 1);
    assert!(root.join("d/e").is_dir(), "delete keeps directories");

    let out = run(ferry(dir.path()).args(["purge", "-n", r]));
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(root.join("a").exists());
    stdout_of(dir.path(), &["purge", r]);
    assert!(!root.exists());

    let made = dir.path().join("m/n/o");
    let m = made.to_str().expect("utf-8");
    stdout_of(dir.path(), &["mkdir", "--dry-run", m]);
    assert!(!made.exists());
    stdout_of(dir.path(), &["mkdir", m]);
    assert!(made.is_dir());
    stdout_of(dir.path(), &["mkdir", m]);
}
