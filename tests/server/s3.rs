//! docs/hot-backup-api.md §3-§6 against S3 servers (moto, s3s-fs, reached through
//! `backends/run`'s settings): the upload/download round trip, the remote layout read back
//! independently of the job.

use ferry::config::Config;
use ferry::repository::normalise;
use ferry::retry::RetryPolicy;
use ferry::store::{Location, resolve_location};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::common::tree_digest;
use crate::harness::{Kind, Server, job_state};

/// One S3 server's settings (`<TAG>_ENDPOINT`, ... as `backends/run` exports them).
#[derive(Debug, Clone)]
pub struct S3 {
    pub endpoint: String,
    pub bucket: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub region: String,
}

fn setting(tag: &str, key: &str) -> String {
    let name = format!("{tag}_{key}");
    std::env::var(&name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: run the tests through backends/run (README's test command), \
             which starts the storage servers and exports their settings"
        )
    })
}

impl S3 {
    pub fn from_env(tag: &str) -> S3 {
        S3 {
            endpoint: setting(tag, "ENDPOINT"),
            bucket: setting(tag, "BUCKET"),
            access_key_id: setting(tag, "ACCESS_KEY_ID"),
            secret_access_key: setting(tag, "SECRET_ACCESS_KEY"),
            region: setting(tag, "REGION"),
        }
    }

    pub fn moto() -> S3 {
        S3::from_env("MOTO")
    }

    pub fn s3s() -> S3 {
        S3::from_env("S3S")
    }

    /// The config section, as the brief of the API shows it.
    pub fn section(&self) -> Value {
        json!({
            "type": "s3", "provider": "Other", "endpoint": self.endpoint,
            "access_key_id": self.access_key_id, "secret_access_key": self.secret_access_key,
            "region": self.region,
        })
    }

    /// `{"S3": <section>}`.
    pub fn config(&self) -> Value {
        json!({ "S3": self.section() })
    }

    /// `S3:<bucket>/<prefix>`.
    pub fn repository(&self, prefix: &str) -> String {
        format!("S3:{}/{prefix}", self.bucket)
    }

    /// The same place, through Ferry's storage layer (to read back what a job wrote).
    pub fn location(&self, prefix: &str) -> Location {
        let config = Config::from_json(&self.config()).expect("valid config");
        let repo = normalise(&self.repository(prefix), &config, "/").expect("valid repository");
        resolve_location(&repo, &config, &RetryPolicy::quick()).expect("resolves")
    }
}

/// Removes every object under `prefix` (tests clean up after themselves: moto keeps
/// everything in memory).
pub async fn remove_prefix(s3: &S3, prefix: &str) {
    let location = s3.location(prefix);
    for object in location.backend.list(&location.root).await.expect("list") {
        location
            .backend
            .delete(&location.key(&object.key))
            .await
            .expect("delete");
    }
}

/// A fresh prefix per test, so tests and runs never see each other's objects.
pub fn random_prefix(case: &str) -> String {
    format!("server-tests/{case}-{}", uuid::Uuid::new_v4().simple())
}

/// Every object under `location`, by relative key, with the SHA-256 of its bytes.
pub async fn remote_digest(location: &Location) -> Vec<(String, String)> {
    let listing = location.backend.list(&location.root).await.expect("list");
    let mut out = Vec::new();
    for object in listing {
        let data = if object.size == 0 {
            Default::default()
        } else {
            location
                .backend
                .get_range(&location.key(&object.key), 0..object.size, None)
                .await
                .expect("get")
        };
        out.push((object.key, hex::encode(Sha256::digest(&data))));
    }
    out.sort();
    out
}

/// Upload to `s3`, check the remote tree, delete locally, download, check again.
async fn round_trip(s3: &S3, case: &str) {
    let server = Server::start().await;
    crate::common::write(
        &server.data.join("engine-rocksdb/000009.sst"),
        &crate::common::bytes(9, 12 << 20),
    );
    let created = server.create(Some(case)).await;
    let id = created["id"].as_str().expect("id").to_owned();
    let original = tree_digest(&server.backups.join(&id));
    let prefix = random_prefix(case);
    let repo = s3.repository(&prefix);

    let job = server
        .start_job(Kind::Upload, &id, &repo, s3.config())
        .await;
    let done = server.wait_completed(Kind::Upload, &job).await;
    crate::transfer::assert_all_done(&done, &created);
    let root = s3.location(&prefix);
    let listing = root.backend.list(&root.root).await.expect("list");
    assert!(
        listing.iter().all(|o| o.key.starts_with(&format!("{id}/"))),
        "only <repo>/<id>/ is written: {listing:?}"
    );
    assert_eq!(
        remote_digest(&root.child(&id)).await,
        original,
        "the remote backup is the local one, byte for byte"
    );

    server.ok("delete", json!({ "id": id }), 200).await;
    let job = server
        .start_job(Kind::Download, &id, &repo, s3.config())
        .await;
    let done = server.wait_completed(Kind::Download, &job).await;
    crate::transfer::assert_all_done(&done, &created);
    assert_eq!(server.ids().await, [id.as_str()]);
    assert_eq!(tree_digest(&server.backups.join(&id)), original);
    assert_eq!(crate::transfer::names(&server.backups), [id.as_str()]);

    // Refused while it exists locally.
    server
        .fails(
            "download",
            json!({"id": id, "remoteRepository": repo, "config": s3.config()}),
            400,
            7011,
        )
        .await;
    // A backup that is not in the repository.
    let other = server.create_id("elsewhere").await;
    server.ok("delete", json!({ "id": other }), 200).await;
    let body = json!({"id": other, "remoteRepository": repo, "config": s3.config()});
    let (code, answer) = server.post(Kind::Download.path(), body).await;
    if code == 202 {
        let job = answer["result"]["downloadId"].as_str().expect("downloadId");
        let end = server.wait_job(Kind::Download, job).await;
        assert_eq!(job_state(&end), "FAILED", "{end}");
        assert_eq!(end["DBServers"]["SNGL"]["Error"], 7007, "{end}");
    } else {
        crate::harness::error(&answer, 404, 7007);
    }
    assert_eq!(server.ids().await, [id]);
    remove_prefix(s3, &prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moto_round_trip() {
    round_trip(&S3::moto(), "moto").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3s_fs_round_trip() {
    round_trip(&S3::s3s(), "s3s").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_paths_are_normalised_and_options_may_be_json_scalars() {
    let s3 = S3::moto();
    let server = Server::start().await;
    let id = server.create_id("norm").await;
    let prefix = random_prefix("norm");
    // `S3:/<bucket>//<prefix>/./a/../` is `S3:<bucket>/<prefix>` (docs/hot-backup-api.md §6,
    // rules 3, 5).
    let repo = format!("S3:/{}//{prefix}/./a/../", s3.bucket);
    let mut config = s3.config();
    config["S3"]["force_path_style"] = json!(true);
    config["S3"]["upload_concurrency"] = json!(2);
    config["S3"]["no_check_bucket"] = json!("true");
    config["S3"]["chunk_size"] = json!("5M");
    let job = server.start_job(Kind::Upload, &id, &repo, config).await;
    server.wait_completed(Kind::Upload, &job).await;
    assert_eq!(
        remote_digest(&s3.location(&prefix).child(&id)).await,
        tree_digest(&server.backups.join(&id))
    );
    remove_prefix(&s3, &prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incremental_upload_copies_known_files_server_side() {
    let s3 = S3::moto();
    let proxy = crate::throttle::Throttle::start(&s3.endpoint, 1 << 30).await;
    let mut config = s3.config();
    config["S3"]["endpoint"] = json!(proxy.endpoint());
    let server = Server::start().await;
    let big = 12 << 20;
    crate::common::write(
        &server.data.join("engine-rocksdb/000010.sst"),
        &crate::common::bytes(10, big),
    );
    let first = server.create_id("first").await;
    let second = server.create_id("second").await;
    let prefix = random_prefix("incremental");
    let repo = s3.repository(&prefix);

    server.upload_completed(&first, &repo, config.clone()).await;
    assert!(
        proxy.bytes(true) > big as u64,
        "the first upload sends the data"
    );
    proxy.new_generation();
    let job = server.start_job(Kind::Upload, &second, &repo, config).await;
    server.wait_completed(Kind::Upload, &job).await;
    let sent = proxy.bytes(true);
    assert!(
        sent < 1 << 20,
        "identical files are copied server-side, not sent again: {sent} bytes sent"
    );
    assert_eq!(
        remote_digest(&s3.location(&prefix).child(&second)).await,
        tree_digest(&server.backups.join(&second))
    );
    remove_prefix(&s3, &prefix).await;
}

/// An object of a backup in S3 rewritten behind Ferry's back (same size, other size), its
/// SHA-256 metadata left as it was: the download fails with 7006 naming the file.
#[tokio::test]
async fn download_of_a_corrupt_s3_object_fails_with_7006() {
    for s3 in [S3::moto(), S3::s3s()] {
        let server = Server::start().await;
        let id = server.create_id("rot").await;
        crate::jobs::bystander(&server).await;
        let prefix = random_prefix("corrupt");
        let repo = s3.repository(&prefix);
        server.upload_completed(&id, &repo, s3.config()).await;
        server.ok("delete", json!({ "id": id }), 200).await;
        let location = s3.location(&prefix);
        for (file, cut) in [("engine-rocksdb/000002.sst", false), ("SERVER", true)] {
            let key = location.key(&format!("{id}/{file}"));
            let stat = location
                .backend
                .stat(&key)
                .await
                .expect("stat")
                .expect("uploaded");
            let original = location
                .backend
                .get_range(&key, 0..stat.size, None)
                .await
                .expect("get");
            let mut data = original.to_vec();
            if cut {
                data.pop();
            } else {
                data[7] ^= 0x80;
            }
            let claimed = stat.sha256.expect("sha256 metadata");
            location
                .backend
                .put(&key, data.into(), &claimed)
                .await
                .expect("rewrite");
            crate::jobs::corrupt_download_fails(&server, &id, &repo, s3.config(), file).await;
            // Put it back, so the next case has one corruption only.
            location
                .backend
                .put(&key, original, &claimed)
                .await
                .expect("restore");
        }
        remove_prefix(&s3, &prefix).await;
    }
}
