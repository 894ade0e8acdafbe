//! The servers under test: how to reach each (from `backends/run`'s settings) and what it can do.

use std::path::Path;
use std::sync::Arc;

use ferry::config::Config;
use ferry::repository::normalise;
use ferry::retry::RetryPolicy;
use ferry::store::memory::MemoryBackend;
use ferry::store::{Backend, Location, resolve_location};
use serde_json::{Value, json};

/// One server and its declared differences.
#[derive(Debug, Clone)]
pub struct Server {
    pub name: &'static str,
    /// The `type`-specific config section (without credentials of the developer's own).
    pub section: Value,
    pub bucket: String,
    pub endpoint: String,
    /// Pending multipart uploads can be listed (unsigned `GET /<bucket>?uploads`).
    pub lists_pending_uploads: bool,
    /// The listing says when each upload began. moto answers a constant
    /// `2010-11-10T20:48:33.000Z` for every upload, so there every upload looks 16 years old:
    /// older than any journal intent (kept by a resume) and than any `--max-age`.
    pub real_upload_times: bool,
    /// The in-memory store ([`Server::memory`]): reached in this process only, so the cases
    /// that run the `ferry` binary cannot use it.
    pub memory: Option<Arc<MemoryBackend>>,
}

fn setting(tag: &str, key: &str) -> String {
    let name = format!("{tag}_{key}");
    std::env::var(&name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the tests through README's test command (backends/run), which starts the storage servers")
    })
}

impl Server {
    pub fn s3(name: &'static str, tag: &str, lists_pending_uploads: bool) -> Server {
        let endpoint = setting(tag, "ENDPOINT");
        Server {
            name,
            section: json!({
                "type": "s3", "provider": "Other", "endpoint": endpoint,
                "access_key_id": setting(tag, "ACCESS_KEY_ID"),
                "secret_access_key": setting(tag, "SECRET_ACCESS_KEY"),
                "region": setting(tag, "REGION"), "force_path_style": true,
                "chunk_size": "5M",
            }),
            bucket: setting(tag, "BUCKET"),
            endpoint,
            lists_pending_uploads,
            real_upload_times: lists_pending_uploads,
            memory: None,
        }
    }

    /// The server lists pending uploads with a made-up time (moto).
    pub fn with_fake_upload_times(self) -> Server {
        Server {
            real_upload_times: false,
            ..self
        }
    }

    pub fn azurite() -> Server {
        let endpoint = setting("AZURITE", "ENDPOINT");
        Server {
            name: "azurite",
            section: json!({
                "type": "azureblob", "account": setting("AZURITE", "ACCOUNT"),
                "key": setting("AZURITE", "KEY"), "endpoint": endpoint,
                "chunk_size": "5M",
            }),
            bucket: setting("AZURITE", "BUCKET"),
            endpoint,
            lists_pending_uploads: false,
            real_upload_times: false,
            memory: None,
        }
    }

    pub fn fake_gcs() -> Server {
        let endpoint = setting("FAKE_GCS", "ENDPOINT");
        Server {
            name: "fake-gcs-server",
            section: json!({"type": "gcs", "anonymous": true, "endpoint": endpoint, "chunk_size": "5M"}),
            bucket: setting("FAKE_GCS", "BUCKET"),
            endpoint,
            lists_pending_uploads: false,
            real_upload_times: false,
            memory: None,
        }
    }

    /// Ferry's in-memory store, fresh for each case, with the servers' 5 MiB chunks: a
    /// complement to the real servers that needs none (never a replacement for them).
    pub fn memory() -> Server {
        Server {
            name: "memory",
            section: Value::Null,
            bucket: "bucket".into(),
            endpoint: String::new(),
            lists_pending_uploads: true,
            real_upload_times: true,
            memory: Some(Arc::new(MemoryBackend::new())),
        }
    }

    /// The config object with this server as section `remote`.
    pub fn config(&self) -> Value {
        assert!(
            self.memory.is_none(),
            "the in-memory store has no config: the ferry binary cannot reach it"
        );
        json!({ "remote": self.section })
    }

    /// `remote:<bucket>/<prefix>`.
    pub fn repository(&self, prefix: &str) -> String {
        format!("remote:{}/{prefix}", self.bucket)
    }

    pub fn location(&self, prefix: &str) -> Location {
        self.location_with(prefix, &RetryPolicy::quick())
    }

    pub fn location_with(&self, prefix: &str, retry: &RetryPolicy) -> Location {
        if let Some(memory) = &self.memory {
            let mut location = memory.location(&format!("{}/{prefix}", self.bucket));
            location.hints.chunk_size = Some(5 << 20);
            return location;
        }
        let config = Config::from_json(&self.config()).expect("valid config");
        let repo = normalise(&self.repository(prefix), &config, "/").expect("valid repository");
        resolve_location(&repo, &config, retry).expect("resolves")
    }

    /// Writes the config as a file for the CLI.
    pub fn config_file(&self, dir: &Path) -> std::path::PathBuf {
        let path = dir.join("config.json");
        std::fs::write(&path, self.config().to_string()).expect("write config");
        path
    }

    /// Keys of multipart uploads still pending under `prefix`, where the server can list them.
    pub async fn pending_uploads(&self, prefix: &str) -> Option<Vec<String>> {
        if !self.lists_pending_uploads {
            return None;
        }
        if let Some(memory) = &self.memory {
            // The store itself is the server: its own listing is the truth.
            let pending = memory.pending_uploads(prefix).await.expect("list uploads");
            return Some(pending?.into_iter().map(|u| u.key).collect());
        }
        let url = format!("{}/{}?uploads=&prefix={prefix}", self.endpoint, self.bucket);
        // Signed (SigV4, object_store's signer): rclone serve s3 refuses anonymous requests.
        let credential = object_store::aws::AwsCredential {
            key_id: self.section["access_key_id"]
                .as_str()
                .expect("key")
                .to_owned(),
            secret_key: self.section["secret_access_key"]
                .as_str()
                .expect("secret")
                .to_owned(),
            token: None,
        };
        let region = self.section["region"].as_str().expect("region");
        let mut request =
            object_store::client::HttpRequest::new(object_store::client::HttpRequestBody::empty());
        *request.uri_mut() = url.parse().expect("uri");
        object_store::aws::AwsAuthorizer::new(&credential, "s3", region)
            .try_authorize(&mut request, None)
            .expect("signed");
        let body = reqwest::Client::new()
            .get(&url)
            .headers(request.headers().clone())
            .send()
            .await
            .expect("list uploads")
            .text()
            .await
            .expect("body");
        assert!(
            body.contains("ListMultipartUploadsResult"),
            "{}: cannot list pending uploads: {body}",
            self.name
        );
        Some(
            body.split("<Key>")
                .skip(1)
                .filter_map(|s| s.split("</Key>").next())
                .map(str::to_owned)
                .collect(),
        )
    }
}

/// A fresh prefix per case, so cases and runs never see each other's objects.
pub fn random_prefix(case: &str) -> String {
    format!("conformance/{case}-{}", uuid::Uuid::new_v4().simple())
}
