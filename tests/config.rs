//! Config files for the CLI (JSON, rclone INI, `$FERRY_CONFIG`) and secret redaction.

mod common;

use std::fs;

use common::*;
use ferry::config::Config;
use ferry::repository::normalise;
use ferry::retry::RetryPolicy;
use ferry::store::resolve_location;
use serde_json::json;

const SECRET: &str = "S3cr3t-K3y-that-must-never-show";
/// Azure keys are base64.
const AZ_KEY: &str = "U2VjcmV0S2V5VGhhdE11c3ROZXZlclNob3c=";
const SAS: &str = "sv=2022-11-02&ss=b&sig=S3cr3t-K3y-that-must-never-show";

fn secret_config() -> Config {
    // Parsable without a real private key (as for the emulator); the secret rides in the JSON.
    let sa = json!({"disable_oauth": true, "client_email": "", "private_key": "",
                    "private_key_id": SECRET, "gcs_base_url": "http://127.0.0.1:1"})
    .to_string();
    Config::from_json(&json!({
        "s3": {"type": "s3", "access_key_id": "AKIAEXAMPLE", "secret_access_key": SECRET,
               "session_token": SECRET, "endpoint": "http://127.0.0.1:1", "region": "us-east-1"},
        "az": {"type": "azureblob", "account": "acct", "key": AZ_KEY,
               "endpoint": "http://127.0.0.1:1/acct"},
        "azsas": {"type": "azureblob", "sas_url": format!("https://acct.blob.core.windows.net/c?{SAS}")},
        "gcs": {"type": "gcs", "service_account_credentials": sa, "endpoint": "http://127.0.0.1:1"},
    }))
    .expect("valid config")
}

#[test]
fn secrets_never_formatted() {
    let config = secret_config();
    let shown = format!("{config:?}");
    assert!(!shown.contains(SECRET), "{shown}");
    for (section, path) in [
        ("s3", "b/p"),
        ("az", "c/p"),
        ("azsas", "c/p"),
        ("gcs", "b/p"),
    ] {
        let repo = normalise(&format!("{section}:{path}"), &config, "/").expect("valid");
        let location = resolve_location(&repo, &config, &RetryPolicy::quick()).expect("resolves");
        let shown = format!("{location:?} {:?} {}", location.backend, location.display);
        assert!(
            !shown.contains(SECRET) && !shown.contains(AZ_KEY),
            "{shown}"
        );
    }
}

#[tokio::test]
async fn secrets_not_in_storage_errors() {
    let config = secret_config();
    let policy = RetryPolicy {
        max_retries: 0,
        ..RetryPolicy::quick()
    };
    for (section, path) in [("s3", "b/p"), ("az", "c/p")] {
        let repo = normalise(&format!("{section}:{path}"), &config, "/").expect("valid");
        let location = resolve_location(&repo, &config, &policy).expect("resolves");
        let err = location
            .backend
            .list(&location.root)
            .await
            .expect_err("nothing listens");
        let shown = format!("{err} {err:?}");
        assert!(
            !shown.contains(SECRET) && !shown.contains(AZ_KEY),
            "{shown}"
        );
    }
}

#[test]
fn bad_option_values_name_the_option() {
    for (section, option) in [
        (
            json!({"type": "s3", "force_path_style": "maybe"}),
            "force_path_style",
        ),
        (json!({"type": "s3", "chunk_size": "lots"}), "chunk_size"),
        (json!({"type": "s3", "endpoint": "not a url"}), "endpoint"),
        // Found by fuzzing: object_store panicked signing requests to such an endpoint.
        (
            json!({"type": "s3", "endpoint": "http://12/./.0.1:9"}),
            "endpoint",
        ),
        (
            json!({"type": "s3", "endpoint": "http://u:p@127.0.0.1:9"}),
            "endpoint",
        ),
        (
            json!({"type": "s3", "endpoint": "ftp://127.0.0.1"}),
            "endpoint",
        ),
        (
            json!({"type": "s3", "access_key_id": "x"}),
            "secret_access_key",
        ),
        (json!({"type": "azureblob", "sas_url": "nope"}), "sas_url"),
        (
            json!({"type": "gcs", "service_account_credentials": "{bad"}),
            "service_account_credentials",
        ),
    ] {
        let config = Config::from_json(&json!({"r": section})).expect("sections parse");
        let repo = normalise("r:bucket", &config, "/").expect("valid");
        let err = resolve_location(&repo, &config, &RetryPolicy::quick()).expect_err("bad value");
        assert_eq!(err.kind(), ferry::ErrorKind::BadConfig);
        assert!(err.to_string().contains(option), "{option}: {err}");
    }
}

#[test]
fn cli_reads_rclone_ini_json_and_env() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state");
    let src = dir.path().join("src");
    write(&src.join("a/file"), &bytes(1, 1000));
    let ini = dir.path().join("rclone.conf");
    fs::write(&ini, "[backups]\ntype = local\nnounce = ignored\n").expect("write ini");
    let js = dir.path().join("ferry.json");
    fs::write(&js, r#"{"repo": {"type": "local"}}"#).expect("write json");

    let target = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let out = run(ferry(&state)
        .args(["copy", "--no-progress", "--config"])
        .arg(&ini)
        .arg(&src)
        .arg(format!("backups:{}", target("via-ini"))));
    assert!(out.status.success(), "{}", text(&out));
    let out = run(ferry(&state)
        .args(["copy", "--no-progress", "--config"])
        .arg(&js)
        .arg(&src)
        .arg(format!("repo:{}", target("via-json"))));
    assert!(out.status.success(), "{}", text(&out));
    let out = run(ferry(&state)
        .env("FERRY_CONFIG", &js)
        .args(["copy", "--no-progress"])
        .arg(&src)
        .arg(format!("repo:{}", target("via-env"))));
    assert!(out.status.success(), "{}", text(&out));
    for name in ["via-ini", "via-json", "via-env"] {
        assert_eq!(
            tree_digest(&src),
            tree_digest(&dir.path().join(name)),
            "{name}"
        );
    }

    // A relative local path in a local section breaks ArangoDB's rule: 7008, named.
    let out = run(ferry(&state)
        .args(["copy", "--no-progress", "--config"])
        .arg(&js)
        .arg(&src)
        .arg("repo:relative/path"));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("must be absolute"),
        "{}",
        text(&out)
    );
}

#[test]
fn cli_error_with_secret_config_does_not_leak() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state");
    let src = dir.path().join("src");
    write(&src.join("f"), b"data");
    let cfg = dir.path().join("c.json");
    fs::write(
        &cfg,
        json!({"s3": {"type": "s3", "access_key_id": "AKIAEXAMPLE", "secret_access_key": SECRET,
                      "endpoint": "http://127.0.0.1:1"}})
        .to_string(),
    )
    .expect("write");
    let out = run(ferry(&state)
        .env("FERRY_LOG", "trace")
        .args(["copy", "--no-progress", "--retries", "0", "--config"])
        .arg(&cfg)
        .arg(&src)
        .arg("s3:bucket/x"));
    // Nothing listens there: a temporary error once the retries are spent (rclone's 5).
    assert_eq!(out.status.code(), Some(5), "{}", text(&out));
    assert!(!text(&out).contains(SECRET), "{}", text(&out));
}
