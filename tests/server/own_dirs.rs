//! Issue 12, item 6: a local repository in the server's own directories (backups, data,
//! state; by name or through a symbolic link), or with a control character in its path,
//! is refused with 7008 before any job exists, for uploads and downloads alike.

use serde_json::json;

use crate::harness::{Kind, Server, local_config, local_repo};

#[tokio::test]
async fn repositories_in_the_servers_directories_or_with_control_characters_are_7008() {
    let server = Server::start().await;
    let id = server.create_id("own").await;
    let link = server.root.path().join("link");
    std::os::unix::fs::symlink(&server.backups, &link).expect("symlink");
    let inside = [
        (server.backups.clone(), "backup"),
        (server.backups.join(&id), "backup"),
        (server.backups.join("new/deeper"), "backup"),
        (link.join("x"), "backup"),
        (server.data.clone(), "data"),
        (server.data.join("engine-rocksdb/repo"), "data"),
        (server.state.join("repo"), "state"),
    ];
    for (kind, backup) in [
        (Kind::Upload, id.as_str()),
        (Kind::Download, "2026-01-01T00.00.00Z_x"),
    ] {
        for (path, what) in &inside {
            let body = json!({"id": backup, "remoteRepository": local_repo(path), "config": local_config()});
            let (code, answer) = server.post(kind.path(), body).await;
            assert_eq!(
                (code, answer["errorNum"].clone()),
                (400, json!(7008)),
                "{path:?}: {answer}"
            );
            let message = answer["errorMessage"].as_str().expect("message");
            assert!(message.contains(&format!("{what} directory")), "{message}");
        }
        for c in ["\n", "\r", "\t", "\u{1b}"] {
            let repo = format!("local:{}/a{c}b", server.root.path().display());
            let body = json!({"id": backup, "remoteRepository": repo, "config": local_config()});
            let (code, answer) = server.post(kind.path(), body).await;
            assert_eq!(
                (code, answer["errorNum"].clone()),
                (400, json!(7008)),
                "{c:?}: {answer}"
            );
            assert!(!server.root.path().join(format!("a{c}b")).exists());
        }
    }
    assert!(!server.backups.join("new").exists(), "nothing made");
    assert!(
        !server.data.join("engine-rocksdb/repo").exists(),
        "nothing made"
    );
    assert_eq!(
        server.ids().await,
        std::slice::from_ref(&id),
        "the backup is untouched"
    );
    // Next to them is fine.
    let beside = local_repo(&server.root.path().join("backups-copy"));
    server.upload_completed(&id, &beside, local_config()).await;
}
