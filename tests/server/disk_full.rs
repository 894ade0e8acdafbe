//! The backup directory's disk fills up during a download job: the job FAILs with errorNum 7004
//! (docs/hot-backup-api.md §7) and removes what it staged. The disk is a 1 MiB tmpfs mounted
//! over the backup directory in a mount namespace of the server alone (`unshare -m` as root,
//! `-rm` otherwise), looked at through `/proc/<pid>/root`. Where that is impossible the test
//! fails.

use std::fs;

use crate::common::{bytes, write};
use crate::harness::{Kind, Options, Server, job_state, local_config, local_repo};

#[tokio::test]
async fn download_job_onto_a_full_disk_is_7004_and_leaves_nothing() {
    let source = Server::start().await;
    write(&source.data.join("big.bin"), &bytes(9, 3 << 20));
    let id = source.create_id("big").await;
    let repo = local_repo(&source.root.path().join("repo"));
    source.upload_completed(&id, &repo, local_config()).await;

    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let mount = r#"mkdir -p "$0" && mount -t tmpfs -o size=1m ferry-small "$0" && exec "$@""#;
    let wrap = [
        "unshare",
        if root { "-m" } else { "-rm" },
        "sh",
        "-c",
        mount,
        "{backups}",
    ];
    let server = Server::with(Options {
        empty: true,
        wrap: wrap.iter().map(|s| (*s).to_owned()).collect(),
        ..Options::default()
    })
    .await;
    let job = server
        .start_job(Kind::Download, &id, &repo, local_config())
        .await;
    let end = server.wait_job(Kind::Download, &job).await;
    assert_eq!(job_state(&end), "FAILED", "{end}");
    assert_eq!(end["DBServers"]["SNGL"]["Error"], 7004, "{end}");
    let message = end["DBServers"]["SNGL"]["ErrorMessage"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains("No space left on device"), "{end}");
    let pid = server.pid().expect("running");
    let seen = format!("/proc/{pid}/root{}", server.backups.display());
    let left: Vec<String> = fs::read_dir(&seen)
        .unwrap_or_else(|e| panic!("{seen}: {e}"))
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(&id))
        .collect();
    assert_eq!(
        left,
        Vec::<String>::new(),
        "staged data left on the full disk"
    );
    assert!(server.ids().await.is_empty());
}
