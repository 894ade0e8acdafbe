//! The command line against the real servers `backends/run` starts (S3: s3s-fs, moto;
//! Azure: Azurite; GCS: fake-gcs-server): exit 3 for a missing remote path, a single
//! object as SRC, rclone's on-the-fly and environment remotes (a secret in them never
//! printed), and the listing and deleting commands. Each case under a random prefix.

#[path = "common/mod.rs"]
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

fn prefix() -> String {
    format!("cli-{}", uuid::Uuid::new_v4().simple())
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

fn missing_paths_and_single_files(server: &Server) {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let remote = server.repository(&prefix());
    let no_bucket = format!("remote:nb{}/x", uuid::Uuid::new_v4().simple());
    for missing in [format!("{remote}/nothing-here"), no_bucket] {
        for args in [
            &["copy", &missing, d.join("down").to_str().expect("utf-8")][..],
            &["check", &missing, d.to_str().expect("utf-8")],
            &["ls", &missing],
            &["size", &missing],
        ] {
            // No retries: fake-gcs-server's 500 would be retried for minutes.
            let out = ferry_on(server, d, &[args, &["--retries", "0"]].concat());
            // fake-gcs-server answers 500 for a bucket that does not exist (GCS: 404).
            if server.name == "fake-gcs-server" && missing.starts_with("remote:nb") {
                assert_eq!(code(&out), 5, "{args:?}: {}", text(&out));
                continue;
            }
            assert_eq!(code(&out), 3, "{}: {args:?}: {}", server.name, text(&out));
        }
    }
    assert!(!d.join("down").exists());

    write(&d.join("src/a.txt"), b"alpha");
    write(&d.join("src/sub/b.txt"), b"beta!");
    ok(ferry_on(
        server,
        d,
        &["copy", d.join("src").to_str().expect("utf-8"), &remote],
    ));
    // One object as SRC: that object alone.
    ok(ferry_on(
        server,
        d,
        &[
            "copy",
            &format!("{remote}/sub/b.txt"),
            d.join("one").to_str().expect("utf-8"),
        ],
    ));
    assert_eq!(tree_digest(&d.join("one")).len(), 1, "{}", server.name);
    assert_eq!(fs::read(d.join("one/b.txt")).expect("copied"), b"beta!");

    assert_eq!(
        ok(ferry_on(server, d, &["ls", &remote])),
        "        5 a.txt\n        5 sub/b.txt\n",
        "{}",
        server.name
    );
    assert_eq!(
        ok(ferry_on(server, d, &["cat", &format!("{remote}/a.txt")])),
        "alpha"
    );
    assert!(ok(ferry_on(server, d, &["size", &remote])).contains("Total size: 10 B (10 Byte)"));
    assert!(ok(ferry_on(server, d, &["lsd", &remote])).ends_with(" sub\n"));
    ok(ferry_on(server, d, &["mkdir", &format!("{remote}/new")]));

    ok(ferry_on(server, d, &["delete", "--dry-run", &remote]));
    assert_eq!(ok(ferry_on(server, d, &["ls", &remote])).lines().count(), 2);
    ok(ferry_on(server, d, &["delete", &format!("{remote}/sub")]));
    assert_eq!(
        ok(ferry_on(server, d, &["ls", &remote])),
        "        5 a.txt\n"
    );
    ok(ferry_on(server, d, &["purge", &remote]));
    let out = ferry_on(server, d, &["ls", &remote]);
    assert_eq!(code(&out), 3, "{}: purged: {}", server.name, text(&out));
}

/// `key=value,...` of a section, every value quoted (rclone's doubled quotes inside).
fn connection_string(section: &serde_json::Value, skip: &[&str]) -> String {
    section
        .as_object()
        .expect("object")
        .iter()
        .filter(|(k, _)| !skip.contains(&k.as_str()) && k.as_str() != "type")
        .map(|(k, v)| {
            let v = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
            format!("{k}=\"{}\"", v.replace('"', "\"\""))
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn on_the_fly_and_environment(server: &Server) {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write(&d.join("src/a"), &bytes(1, 7 << 20));
    let kind = server.section["type"].as_str().expect("type");
    let path = format!("{}/{}", server.bucket, prefix());
    let fly = format!(":{kind},{}:{path}", connection_string(&server.section, &[]));
    let out = run(ferry(&d.join("state"))
        .env("FERRY_LOG", "debug")
        .args(["copy", "--json"])
        .arg(d.join("src"))
        .arg(&fly));
    assert_eq!(code(&out), 0, "{}: {}", server.name, text(&out));
    for secret in ["secret_access_key", "key"] {
        if let Some(s) = server.section[secret].as_str() {
            assert!(
                !text(&out).contains(s),
                "{}: secret shown: {}",
                server.name,
                text(&out)
            );
        }
    }
    let out =
        run(ferry(&d.join("state")).args(["check", d.join("src").to_str().expect("utf-8"), &fly]));
    assert_eq!(code(&out), 0, "{}: {}", server.name, text(&out));

    // The same remote from the environment: type and options, and an option overridden
    // in the string (the chunk size) over the environment's.
    let mut cmd = ferry(&d.join("state"));
    for (k, v) in server.section.as_object().expect("object") {
        let v = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
        cmd.env(format!("RCLONE_CONFIG_CIREMOTE_{}", k.to_uppercase()), v);
    }
    let out = run(cmd.args(["ls", &format!("ciremote,chunk_size=8M:{path}")]));
    assert_eq!(code(&out), 0, "{}: {}", server.name, text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{:>9} a\n", 7 << 20)
    );
}

macro_rules! servers {
    ($($name:ident => $server:expr),* $(,)?) => {
        $(
            mod $name {
                use super::*;

                #[test]
                fn missing_paths_single_files_and_listings() {
                    missing_paths_and_single_files(&$server);
                }

                #[test]
                fn on_the_fly_and_environment_remotes() {
                    on_the_fly_and_environment(&$server);
                }
            }
        )*
    };
}

servers! {
    s3s_fs => Server::s3("s3s-fs", "S3S", false),
    moto => Server::s3("moto", "MOTO", true),
    azurite => Server::azurite(),
    fake_gcs => Server::fake_gcs(),
}
