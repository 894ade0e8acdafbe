//! Hostile input (issue 7, item 4): a malicious repository, symbolic links in a backup, at the
//! download's target or scratch place, or on the way to a local repository. Nothing is read
//! or written outside the backup directory and the repository; each case fails with a clear
//! error or, where the link is only Ferry's own scratch name, goes around it.
//!
//! Ferry never follows a symbolic link below a tree it reads or writes (a backup, a
//! repository, a scratch directory): a link can lead anywhere, and following it would upload
//! a foreign file (`/etc/shadow`) or overwrite one. Backups never contain links (create skips
//! them), so a link found in one was put there by someone else: it is refused, not skipped.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use serde_json::json;

use crate::common::{tree_digest, write};
use crate::harness::{
    Kind, Options, Server, data_digest, error, job_state, local_config, local_repo,
};
use crate::jobs::leftovers;
use crate::transfer::names;

/// A backup created and uploaded to `<root>/repo`: its id, the repository directory and string.
async fn uploaded(server: &Server, label: &str) -> (String, PathBuf, String) {
    let id = server.create_id(label).await;
    let repo_dir = server.root.path().join("repo");
    let repo = local_repo(&repo_dir);
    server.upload_completed(&id, &repo, local_config()).await;
    (id, repo_dir, repo)
}

/// Runs a job that must fail with `num`; its error message.
async fn job_fails(server: &Server, kind: Kind, id: &str, repo: &str, num: i64) -> String {
    let job = server.start_job(kind, id, repo, local_config()).await;
    let end = server.wait_job(kind, &job).await;
    assert_eq!(job_state(&end), "FAILED", "{end}");
    assert_eq!(end["DBServers"]["SNGL"]["Error"], num, "{end}");
    end["DBServers"]["SNGL"]["ErrorMessage"]
        .as_str()
        .expect("ErrorMessage")
        .to_owned()
}

/// A directory outside everything the server may touch, with one file in it.
fn victim(server: &Server) -> PathBuf {
    let dir = server.root.path().join("victim");
    write(&dir.join("precious"), b"do not touch");
    dir
}

fn assert_untouched(dir: &Path) {
    assert_eq!(names(dir), ["precious"], "{} was written to", dir.display());
    assert_eq!(
        fs::read(dir.join("precious")).expect("read"),
        b"do not touch"
    );
}

#[tokio::test]
async fn malicious_sha256sums_are_refused_and_nothing_is_written_outside() {
    let server = Server::start().await;
    let (id, repo_dir, repo) = uploaded(&server, "evil").await;
    server.ok("delete", json!({ "id": id }), 200).await;
    let victim = victim(&server);
    // What a naive download would fetch for `../x`: a file next to the backup.
    write(&repo_dir.join("x"), b"outside the backup");
    let sums_path = repo_dir.join(&id).join("SHA256SUMS");
    let good = fs::read_to_string(&sums_path).expect("SHA256SUMS");
    let hash = "0".repeat(64);
    let deep = format!("{}f", format!("{}/", "d".repeat(200)).repeat(25));
    let long = "l".repeat(300);
    let escape = format!(
        "../{}/precious",
        victim.file_name().expect("name").to_string_lossy()
    );
    let evil = [
        "../x",
        "/etc/x",
        "a/../../x",
        "a/./b",
        "a//b",
        "a\0b",
        escape.as_str(),
        long.as_str(),
        deep.as_str(),
    ];
    for name in evil {
        fs::write(&sums_path, format!("{good}{hash}  {name}\n")).expect("write SHA256SUMS");
        let message = job_fails(&server, Kind::Download, &id, &repo, 7006).await;
        assert!(
            message.contains("SHA256SUMS") || message.contains("name too long"),
            "{name:?}: unclear error: {message}"
        );
        assert!(server.ids().await.is_empty(), "{name:?}");
        assert_eq!(
            leftovers(&server.backups, &id),
            Vec::<String>::new(),
            "{name:?}"
        );
        assert_untouched(&victim);
        assert_eq!(
            fs::read(repo_dir.join("x")).expect("x"),
            b"outside the backup"
        );
    }
    let root = names(server.root.path());
    for unexpected in ["x", "etc", "a"] {
        assert!(!root.contains(&unexpected.to_owned()), "{root:?}");
    }
}

#[tokio::test]
async fn upload_refuses_links_in_a_backup() {
    let server = Server::start().await;
    let victim = victim(&server);
    // The link targets hold exactly the bytes SHA256SUMS expects: following them would pass
    // verification and upload a file from outside the backup.
    write(&victim.join("CURRENT"), b"MANIFEST-000001\n");
    let cases = [
        ("engine-rocksdb/CURRENT", victim.join("CURRENT")),
        ("engine-rocksdb", victim.clone()),
    ];
    for (i, (inside, target)) in cases.iter().enumerate() {
        let id = server.create_id(&format!("link{i}")).await;
        let path = server.backups.join(&id).join(inside);
        if path.is_dir() {
            for f in ["000001.sst", "000002.sst", "MANIFEST-000001"] {
                fs::copy(path.join(f), victim.join(f)).expect("copy");
            }
            fs::remove_dir_all(&path).expect("rm dir");
        } else {
            fs::remove_file(&path).expect("rm file");
        }
        symlink(target, &path).expect("symlink");
        let repo_dir = server.root.path().join(format!("repo{i}"));
        let message = job_fails(&server, Kind::Upload, &id, &local_repo(&repo_dir), 7005).await;
        assert!(
            message.contains("symbolic link") && message.contains(inside),
            "{inside}: unclear error: {message}"
        );
        let uploaded = tree_digest(&repo_dir);
        assert!(
            !uploaded
                .iter()
                .any(|(p, _)| p.contains("CURRENT") || p.ends_with("META")),
            "{inside}: {uploaded:?}"
        );
        for f in ["000001.sst", "000002.sst", "MANIFEST-000001"] {
            let _ = fs::remove_file(victim.join(f));
        }
    }
    assert_untouched_but(&victim, &["CURRENT"]);
}

fn assert_untouched_but(dir: &Path, also: &[&str]) {
    let mut expected: Vec<String> = also.iter().map(|s| (*s).to_owned()).collect();
    expected.push("precious".into());
    expected.sort();
    assert_eq!(names(dir), expected);
}

#[tokio::test]
async fn downloads_never_write_through_links() {
    let server = Server::start().await;
    let (id, _repo_dir, repo) = uploaded(&server, "target").await;
    server.ok("delete", json!({ "id": id }), 200).await;
    let victim = victim(&server);

    // The backup's own place is a link: it is taken (7011), and nothing goes through it.
    let target = server.backups.join(&id);
    symlink(&victim, &target).expect("symlink");
    job_fails(&server, Kind::Download, &id, &repo, 7011).await;
    assert_untouched(&victim);
    assert!(server.ids().await.is_empty());
    fs::remove_file(&target).expect("rm link");

    // The scratch place is a link (Ferry never makes one): it is removed, the download goes
    // to a real directory.
    let scratch = server.backups.join(format!(".downloading-{id}"));
    symlink(&victim, &scratch).expect("symlink");
    let job = server
        .start_job(Kind::Download, &id, &repo, local_config())
        .await;
    server.wait_completed(Kind::Download, &job).await;
    assert_untouched(&victim);
    assert!(fs::symlink_metadata(&target).expect("backup").is_dir());
    assert_eq!(server.ids().await, [id]);
    assert!(!scratch.exists());
}

#[tokio::test]
async fn restore_refuses_a_backup_whose_file_became_a_link() {
    let server = Server::start().await;
    let id = server.create_id("restore").await;
    let victim = victim(&server);
    write(&victim.join("CURRENT"), b"MANIFEST-000001\n");
    let file = server.backups.join(&id).join("engine-rocksdb/CURRENT");
    fs::remove_file(&file).expect("rm");
    symlink(victim.join("CURRENT"), &file).expect("symlink");
    let before = data_digest(&server.data);
    let (code, answer) = server
        .post("/_admin/backup/restore", json!({ "id": id }))
        .await;
    assert!(code >= 400, "{answer}");
    let message = answer["errorMessage"].as_str().unwrap_or_default();
    assert!(message.contains("CURRENT"), "{answer}");
    assert_eq!(
        data_digest(&server.data),
        before,
        "the data directory changed"
    );
    assert_untouched_but(&victim, &["CURRENT"]);
}

#[tokio::test]
async fn the_local_path_prefix_holds_through_links() {
    let root = tempfile::tempdir().expect("tempdir");
    let allowed = root.path().join("allowed");
    let other = root.path().join("other");
    fs::create_dir_all(&allowed).expect("mkdir");
    fs::create_dir_all(&other).expect("mkdir");
    symlink(&other, allowed.join("escape")).expect("symlink");
    let server = Server::with(Options {
        args: vec!["--local-path-prefix".into(), allowed.display().to_string()],
        ..Options::default()
    })
    .await;
    let id = server.create_id("p").await;
    for repo in [allowed.join("escape"), allowed.join("escape/deeper/repo")] {
        let body =
            json!({"id": id, "remoteRepository": local_repo(&repo), "config": local_config()});
        let (code, answer) = server.post(Kind::Upload.path(), body).await;
        assert_eq!(code, 400, "{}: {answer}", repo.display());
        let message = error(&answer, 400, 7008);
        assert!(message.contains("symbolic link"), "{message}");
    }
    assert_eq!(names(&other), Vec::<String>::new());
    // A link that stays inside the prefix is fine.
    fs::create_dir_all(allowed.join("real")).expect("mkdir");
    symlink(allowed.join("real"), allowed.join("inside")).expect("symlink");
    let repo = local_repo(&allowed.join("inside/repo"));
    server.upload_completed(&id, &repo, local_config()).await;
    assert_eq!(
        tree_digest(&allowed.join("real/repo").join(&id)),
        tree_digest(&server.backups.join(&id))
    );
}
