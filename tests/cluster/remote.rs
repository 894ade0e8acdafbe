//! S3 repositories for the cluster: s3s-fs as `backends/run` started it (its settings in
//! the environment), and a three-node Garage cluster (replication 3) that a test starts for
//! itself with `backends/garage cluster start`, so that it may kill a node.

use std::path::Path;
use std::process::Command;

use ferry::config::Config;
use ferry::repository::normalise;
use ferry::retry::RetryPolicy;
use ferry::store::{Location, resolve_location};
use serde_json::{Value, json};

/// One S3 server's settings (`<TAG>_ENDPOINT`, ...).
#[derive(Debug, Clone)]
pub struct S3 {
    pub endpoint: String,
    pub bucket: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub region: String,
}

fn from(get: impl Fn(&str) -> Option<String>, tag: &str) -> S3 {
    let setting = |key: &str| {
        let name = format!("{tag}_{key}");
        get(&name).unwrap_or_else(|| {
            panic!("{name} is not set: run the tests through backends/run (README's test command)")
        })
    };
    S3 {
        endpoint: setting("ENDPOINT"),
        bucket: setting("BUCKET"),
        access_key_id: setting("ACCESS_KEY_ID"),
        secret_access_key: setting("SECRET_ACCESS_KEY"),
        region: setting("REGION"),
    }
}

impl S3 {
    pub fn from_env(tag: &str) -> S3 {
        from(|name| std::env::var(name).ok(), tag)
    }

    /// `{"S3": <section>}` with the server reached at `endpoint` (its own, or a proxy's).
    pub fn config_at(&self, endpoint: &str) -> Value {
        json!({"S3": {
            "type": "s3", "provider": "Other", "endpoint": endpoint,
            "access_key_id": self.access_key_id, "secret_access_key": self.secret_access_key,
            "region": self.region, "force_path_style": true, "chunk_size": "5M",
        }})
    }

    pub fn config(&self) -> Value {
        self.config_at(&self.endpoint)
    }

    /// `S3:<bucket>/<prefix>`.
    pub fn repository(&self, prefix: &str) -> String {
        format!("S3:{}/{prefix}", self.bucket)
    }

    /// The same place through Ferry's storage layer, to read back what the jobs wrote.
    pub fn location(&self, prefix: &str) -> Location {
        let config = Config::from_json(&self.config()).expect("valid config");
        let repo = normalise(&self.repository(prefix), &config, "/").expect("valid repository");
        resolve_location(&repo, &config, &RetryPolicy::quick()).expect("resolves")
    }

    /// Whether `<prefix>/<key>` is in the store.
    pub async fn has(&self, prefix: &str, key: &str) -> bool {
        let location = self.location(prefix);
        let found = location.backend.stat(&location.key(key)).await;
        found.expect("stat").is_some()
    }

    /// The JSON object at `<prefix>/<key>`.
    pub async fn json(&self, prefix: &str, key: &str) -> Value {
        let location = self.location(prefix);
        let key = location.key(key);
        let stat = location.backend.stat(&key).await.expect("stat");
        let size = stat.expect("object there").size;
        let bytes = location.backend.get_range(&key, 0..size, None).await;
        serde_json::from_slice(&bytes.expect("get")).expect("JSON")
    }
}

/// A fresh prefix per test.
pub fn prefix(case: &str) -> String {
    format!("cluster-tests/{case}-{}", uuid::Uuid::new_v4().simple())
}

/// Three Garage nodes on loopback, replication 3; stopped when dropped.
#[derive(Debug)]
pub struct Garage {
    dir: tempfile::TempDir,
    pub s3: S3,
    /// Each node's S3 endpoint.
    pub endpoints: Vec<String>,
    pids: Vec<u32>,
}

fn script() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("backends/garage")
}

impl Garage {
    pub fn start() -> Garage {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = Command::new(script())
            .args(["cluster", "start"])
            .arg(dir.path())
            .output()
            .expect("run backends/garage");
        assert!(
            out.status.success(),
            "backends/garage cluster start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let settings: std::collections::HashMap<String, String> = text
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let get = |name: &str| settings.get(name).cloned();
        let node = |i: usize, key: &str| get(&format!("GARAGE_NODE{i}_{key}")).expect(key);
        Garage {
            s3: from(get, "GARAGE"),
            endpoints: (1..=3).map(|i| node(i, "ENDPOINT")).collect(),
            pids: (1..=3)
                .map(|i| node(i, "PID").parse().expect("pid"))
                .collect(),
            dir,
        }
    }

    /// `kill -9` of node `i` (0-based).
    pub fn kill(&self, i: usize) {
        let status = Command::new("kill")
            .args(["-KILL", &self.pids[i].to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    }
}

impl Drop for Garage {
    fn drop(&mut self) {
        let _ = Command::new(script())
            .args(["cluster", "stop"])
            .arg(self.dir.path())
            .status();
    }
}
