//! What the transfer commands do with the data, through the binary: a file that cannot be
//! read does not stop the others (rclone's way: the rest is copied, the failures listed, exit
//! 1, and `sync` then deletes nothing); S3 folder markers (`dir/` objects, put raw as the
//! AWS console does) are directories to `copy`, `check`, `ls`, `lsjson` and `size`;
//! modification times are kept (local files, rclone's `mtime` metadata on S3, read by rclone
//! and read from rclone's uploads) and decide, with the size, what is already there. On
//! local trees and the real servers `backends/run` starts.

mod common;
#[allow(dead_code)]
#[path = "conformance/servers.rs"]
mod servers;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use common::*;
use servers::Server;

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

/// 2024-03-05 10:11:12.123456789 UTC.
const MTIME: (u64, u32) = (1_709_633_472, 123_456_789);

fn mtime() -> std::time::SystemTime {
    std::time::UNIX_EPOCH + std::time::Duration::new(MTIME.0, MTIME.1)
}

fn set_mtime(path: &Path, t: std::time::SystemTime) {
    let file = fs::File::options().write(true).open(path).expect("open");
    file.set_modified(t).expect("set mtime");
}

fn mtime_of(path: &Path) -> std::time::SystemTime {
    fs::metadata(path).expect("stat").modified().expect("mtime")
}

fn make_unreadable(path: &Path, unreadable: bool) {
    let mode = if unreadable { 0o000 } else { 0o644 };
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
}

/// The final `--json` line's counts: (copied, skipped).
fn copied_skipped(out: &Output) -> (Option<u64>, Option<u64>) {
    let done = done_line(out);
    (done["copied"].as_u64(), done["skipped"].as_u64())
}

#[test]
fn modification_times_are_kept_and_decide_what_is_there() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let (src, out) = (d.join("src"), d.join("out"));
    write(&src.join("a.txt"), b"alpha");
    write(&src.join("sub/b.txt"), b"beta!");
    set_mtime(&src.join("a.txt"), mtime());
    let copy = |extra: &[&str]| {
        let args = [&["copy", s(&src), s(&out), "--json"][..], extra].concat();
        run(unprivileged(d).args(args))
    };
    let first = copy(&[]);
    assert_eq!(code(&first), 0, "{}", text(&first));
    assert_eq!(mtime_of(&out.join("a.txt")), mtime());
    assert_eq!(
        mtime_of(&out.join("sub/b.txt")),
        mtime_of(&src.join("sub/b.txt"))
    );

    // The same size and time: there, without reading the source (which cannot be read).
    make_unreadable(&src.join("a.txt"), true);
    let quick = copy(&[]);
    assert_eq!(code(&quick), 0, "{}", text(&quick));
    assert_eq!(copied_skipped(&quick), (Some(0), Some(2)));
    // --checksum reads it, and so fails on it.
    let checksum = copy(&["--checksum"]);
    assert_eq!(code(&checksum), 1, "{}", text(&checksum));
    make_unreadable(&src.join("a.txt"), false);

    // Other bytes of the same size and time pass the quick check (rclone's too) and
    // --size-only, not --checksum; -I sends everything.
    write(&src.join("a.txt"), b"ALPHA");
    set_mtime(&src.join("a.txt"), mtime());
    assert_eq!(copied_skipped(&copy(&[])), (Some(0), Some(2)));
    assert_eq!(copied_skipped(&copy(&["--size-only"])), (Some(0), Some(2)));
    assert_eq!(copied_skipped(&copy(&["-c"])), (Some(1), Some(1)));
    assert_eq!(fs::read(out.join("a.txt")).expect("read"), b"ALPHA");
    assert_eq!(
        copied_skipped(&copy(&["--ignore-times"])),
        (Some(2), Some(0))
    );
    // A newer time with the same content: the SHA-256 still finds it there.
    set_mtime(
        &src.join("a.txt"),
        mtime() + std::time::Duration::from_secs(60),
    );
    assert_eq!(copied_skipped(&copy(&[])), (Some(0), Some(2)));

    // lsl and lsjson show the time (the tests run in UTC unless TZ says otherwise).
    let lsl = run(ferry(d).args(["lsl", s(&out)]).env("TZ", "UTC"));
    assert_eq!(code(&lsl), 0, "{}", text(&lsl));
    let lsl = String::from_utf8_lossy(&lsl.stdout).into_owned();
    assert!(
        lsl.lines()
            .any(|l| l == "        5 2024-03-05 10:11:12.123456789 a.txt"),
        "{lsl}"
    );
    let json = run(ferry(d).args(["lsjson", s(&out)]));
    let items: Vec<serde_json::Value> =
        serde_json::from_slice(&json.stdout).expect("lsjson is JSON");
    let a = items.iter().find(|i| i["Path"] == "a.txt").expect("a.txt");
    assert_eq!(a["ModTime"], "2024-03-05T10:11:12.123456789Z", "{a}");
}

fn prefix() -> String {
    format!("data-{}", uuid::Uuid::new_v4().simple())
}

/// `ferry ARGS --config <server's config>`.
fn ferry_on(server: &Server, dir: &Path, args: &[&str]) -> Output {
    run(ferry(&dir.join("state"))
        .args(args)
        .arg("--config")
        .arg(server.config_file(dir)))
}

fn ok(out: Output) -> String {
    assert_eq!(code(&out), 0, "{}", text(&out));
    String::from_utf8(out.stdout).expect("utf-8")
}

/// PUTs a zero-byte object named `key` (`prefix/dir/`) as the AWS console makes a folder:
/// raw, as no `object_store` path can end in `/`.
fn put_marker(server: &Server, key: &str) {
    use ferry::store::s3::{BucketRequests, Call, bucket_url};
    let section = &server.section;
    let field = |k: &str| section[k].as_str().expect("s3 section").to_owned();
    let region = field("region");
    let credentials = object_store::aws::AwsCredential {
        key_id: field("access_key_id"),
        secret_key: field("secret_access_key"),
        token: None,
    };
    let provider: object_store::aws::AwsCredentialProvider =
        std::sync::Arc::new(object_store::StaticCredentialProvider::new(credentials));
    let url = bucket_url(Some(&server.endpoint), &server.bucket, &region, false);
    let requests = BucketRequests::new(
        "test".into(),
        &url,
        &region,
        Some(provider),
        std::time::Duration::from_secs(30),
    )
    .expect("requests");
    let call = Call {
        method: http::Method::PUT,
        key,
        query: vec![],
        headers: Default::default(),
        body: bytes::Bytes::new(),
        what: "put folder marker",
    };
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let (status, answer) = runtime.block_on(requests.send(call)).expect("put");
    assert_eq!(status, 200, "{answer}");
}

/// A tree uploaded by Ferry, and markers beside it as the console would add them: `dir/`
/// over files, `dir/empty/` over nothing, and `dir/zero.txt`, an empty file that is not one.
/// s3s-fs keeps no markers (it makes directories of them), moto keeps them as objects: on
/// both, Ferry sees the same files.
fn folder_markers(server: &Server) {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let p = prefix();
    let remote = server.repository(&p);
    write(&d.join("src/dir/a.txt"), b"alpha");
    write(&d.join("src/dir/sub/b.txt"), &bytes(5, 10_000));
    write(&d.join("src/dir/zero.txt"), b"");
    ok(ferry_on(server, d, &["copy", s(&d.join("src")), &remote]));
    for marker in ["dir/", "dir/sub/", "dir/empty/"] {
        put_marker(server, &format!("{p}/{marker}"));
    }

    let listed = ok(ferry_on(server, d, &["ls", &remote]));
    let names: Vec<&str> = listed
        .lines()
        .map(|l| l.split_whitespace().last().unwrap_or(""))
        .collect();
    assert_eq!(
        names,
        ["dir/a.txt", "dir/sub/b.txt", "dir/zero.txt"],
        "{listed}"
    );
    let size = ok(ferry_on(server, d, &["size", &remote, "--json"]));
    let size: serde_json::Value = serde_json::from_str(&size).expect("json");
    assert_eq!(
        (size["count"].as_u64(), size["bytes"].as_u64()),
        (Some(3), Some(10_005))
    );
    let json = ok(ferry_on(server, d, &["lsjson", "-R", &remote]));
    let items: Vec<serde_json::Value> = serde_json::from_str(&json).expect("json");
    let seen: Vec<(String, bool)> = items
        .iter()
        .map(|i| {
            (
                i["Path"].as_str().unwrap_or("").to_owned(),
                i["IsDir"] == true,
            )
        })
        .collect();
    let want = [
        ("dir", true),
        ("dir/a.txt", false),
        ("dir/sub", true),
        ("dir/sub/b.txt", false),
        ("dir/zero.txt", false),
    ];
    let want: Vec<(String, bool)> = want.iter().map(|(p, d)| ((*p).to_owned(), *d)).collect();
    assert_eq!(seen, want, "{json}");

    // Down to a local tree (where a file `dir` beside the directory `dir` cannot be), and
    // `check` both ways finds the same files.
    let down = d.join("down");
    ok(ferry_on(server, d, &["copy", &remote, s(&down)]));
    assert_eq!(tree_digest(&down), tree_digest(&d.join("src")));
    ok(ferry_on(server, d, &["check", &remote, s(&down)]));
    ok(ferry_on(server, d, &["check", s(&d.join("src")), &remote]));
    // Copying a subtree that has a marker of its own.
    let sub = d.join("sub");
    ok(ferry_on(
        server,
        d,
        &["copy", &format!("{remote}/dir/sub"), s(&sub)],
    ));
    assert_eq!(tree_digest(&sub), tree_digest(&d.join("src/dir/sub")));
}

/// rclone, as backends/rclone-s3 installs it, with `remote:` as this server (and none of
/// the runner's `RCLONE_*` settings, which rclone would take as overrides).
fn rclone(server: &Server, dir: &Path) -> Command {
    let tools = std::env::var_os("FERRY_TOOLS_DIR").map_or_else(
        || Path::new(&std::env::var_os("HOME").expect("HOME")).join(".cache/ferry/tools"),
        std::path::PathBuf::from,
    );
    let bin = tools.join("rclone-1.75.2/venv/bin/rclone");
    assert!(
        bin.exists(),
        "{}: run backends/rclone-s3 once to install rclone",
        bin.display()
    );
    let mut cmd = Command::new(bin);
    // s3s-fs answers 500 to rclone's first look (is the path a file? a HEAD of a key that is
    // a directory on its disk): retried ten times with backoff, that costs minutes.
    cmd.arg("--low-level-retries=1");
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("RCLONE_") {
            cmd.env_remove(name);
        }
    }
    let section = &server.section;
    let field = |k: &str| section[k].as_str().expect("s3 section").to_owned();
    cmd.env("RCLONE_CONFIG", dir.join("rclone.conf"))
        .env("RCLONE_CONFIG_REMOTE_TYPE", "s3")
        .env("RCLONE_CONFIG_REMOTE_PROVIDER", "Other")
        .env("RCLONE_CONFIG_REMOTE_ENDPOINT", &server.endpoint)
        .env("RCLONE_CONFIG_REMOTE_ACCESS_KEY_ID", field("access_key_id"))
        .env(
            "RCLONE_CONFIG_REMOTE_SECRET_ACCESS_KEY",
            field("secret_access_key"),
        )
        .env("RCLONE_CONFIG_REMOTE_REGION", field("region"))
        .env("RCLONE_CONFIG_REMOTE_FORCE_PATH_STYLE", "true")
        .env("TZ", "UTC");
    cmd
}

/// Times kept on S3 as rclone keeps them: what Ferry uploads, rclone reads with its time;
/// what rclone uploads, Ferry finds there by size and time without reading the source; a
/// download gets the time the object keeps.
fn modification_times(server: &Server) {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let remote = server.repository(&prefix());
    let src = d.join("src");
    write(&src.join("a.txt"), b"alpha");
    write(&src.join("big.bin"), &bytes(7, 6 << 20));
    for f in ["a.txt", "big.bin"] {
        set_mtime(&src.join(f), mtime());
    }
    // Uploaded by Ferry (one request and, past 5 MiB chunks, chunked): rclone sees the time.
    ok(ferry_on(
        server,
        d,
        &["copy", s(&src), &format!("{remote}/ferry")],
    ));
    let lsl = rclone(server, d)
        .args(["lsl", &format!("{remote}/ferry")])
        .output()
        .expect("rclone runs");
    let lsl_text = text(&lsl);
    assert_eq!(code(&lsl), 0, "{lsl_text}");
    let listed = String::from_utf8_lossy(&lsl.stdout).into_owned();
    for (size, name) in [(5, "a.txt"), (6 << 20, "big.bin")] {
        let line = format!("{size:>9} 2024-03-05 10:11:12.123456789 {name}");
        assert!(listed.lines().any(|l| l == line), "{line:?} in {lsl_text}");
    }
    let json = ok(ferry_on(server, d, &["lsjson", &format!("{remote}/ferry")]));
    assert!(
        json.contains("\"ModTime\":\"2024-03-05T10:11:12.123456789Z\""),
        "{json}"
    );

    // Uploaded by rclone: Ferry reads its `mtime` and skips both files unread.
    let up = rclone(server, d)
        .args(["copy", s(&src), &format!("{remote}/rclone")])
        .output()
        .expect("rclone runs");
    assert_eq!(code(&up), 0, "{}", text(&up));
    let lsl = ok(ferry_on(server, d, &["lsl", &format!("{remote}/rclone")]));
    assert!(lsl.contains("2024-03-05 10:11:12.123456789 a.txt"), "{lsl}");
    let state = d.join("state");
    let args = ["copy", s(&src), &format!("{remote}/rclone"), "--json"];
    let config = server.config_file(d);
    make_unreadable(&src.join("big.bin"), true);
    let rerun = run(unprivileged(&state).args(args).arg("--config").arg(&config));
    make_unreadable(&src.join("big.bin"), false);
    assert_eq!(code(&rerun), 0, "{}", text(&rerun));
    assert_eq!(
        copied_skipped(&rerun),
        (Some(0), Some(2)),
        "{}",
        text(&rerun)
    );

    // Downloaded: the local files get the objects' times (rclone's and Ferry's alike).
    for from in ["ferry", "rclone"] {
        let down = d.join(format!("down-{from}"));
        ok(ferry_on(
            server,
            d,
            &["copy", &format!("{remote}/{from}"), s(&down)],
        ));
        for f in ["a.txt", "big.bin"] {
            assert_eq!(mtime_of(&down.join(f)), mtime(), "{from}/{f}");
        }
    }
}

macro_rules! servers {
    ($($name:ident => $server:expr),* $(,)?) => {
        $(
            mod $name {
                use super::*;

                #[test]
                fn folder_markers_are_directories() {
                    folder_markers(&$server);
                }

                #[test]
                fn modification_times_as_rclone_keeps_them() {
                    modification_times(&$server);
                }
            }
        )*
    };
}

servers! {
    s3s_fs => Server::s3("s3s-fs", "S3S", false),
    moto => Server::s3("moto", "MOTO", true),
}
