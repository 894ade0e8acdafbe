//! What the transfer commands do with the data, through the binary: a file that cannot be
//! read does not stop the others (rclone's way: the rest is copied, the failures listed, exit
//! 1, and `sync` then deletes nothing); S3 folder markers (`dir/` objects, put raw as the
//! AWS console does) are directories to `copy`, `check`, `ls`, `lsjson` and `size`, on the
//! real servers `backends/run` starts.

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

macro_rules! servers {
    ($($name:ident => $server:expr),* $(,)?) => {
        $(
            mod $name {
                use super::*;

                #[test]
                fn folder_markers_are_directories() {
                    folder_markers(&$server);
                }
            }
        )*
    };
}

servers! {
    s3s_fs => Server::s3("s3s-fs", "S3S", false),
    moto => Server::s3("moto", "MOTO", true),
}
