//! A `ferry serve` process under test: its own data, backup and state directories in one
//! temporary directory, a free loopback port, stderr collected in a file (across restarts),
//! and helpers that speak the Hot Backup API. The process is killed when the guard drops.

use std::fs;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub use crate::check::*;
use crate::common::{bytes, write};

/// Longest wait for a job, a start, a stop.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// Upload or download: the endpoint and the names of the job id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Upload,
    Download,
}

impl Kind {
    pub fn path(self) -> &'static str {
        match self {
            Kind::Upload => "/_admin/backup/upload",
            Kind::Download => "/_admin/backup/download",
        }
    }

    /// The request attribute and result key: `uploadId` / `downloadId`.
    pub fn id_attr(self) -> &'static str {
        match self {
            Kind::Upload => "uploadId",
            Kind::Download => "downloadId",
        }
    }

    /// The status object key: `UploadId` / `DownloadId`.
    pub fn status_key(self) -> &'static str {
        match self {
            Kind::Upload => "UploadId",
            Kind::Download => "DownloadId",
        }
    }
}

/// How a server is started.
#[derive(Debug, Default)]
pub struct Options {
    /// Extra `serve` flags.
    pub args: Vec<String>,
    /// Extra environment.
    pub env: Vec<(String, String)>,
    /// Leave the data directory empty instead of filling it with [`fill_sample`].
    pub empty: bool,
    /// A command the server runs under (`unshare ...`), given the `ferry` binary and its
    /// arguments after its own; `{backups}` in it stands for the backup directory.
    pub wrap: Vec<String>,
    /// Keep the endpoint policy's refusal of loopback: no `--allow-endpoint 127.0.0.1`,
    /// which servers get otherwise (the storage servers of the tests listen there).
    pub guard_loopback: bool,
}

/// A running (or stopped, between restarts) `ferry serve`.
#[derive(Debug)]
pub struct Server {
    pub root: tempfile::TempDir,
    pub data: PathBuf,
    pub backups: PathBuf,
    pub state: PathBuf,
    /// Everything the server processes wrote on stderr.
    pub log: PathBuf,
    options: Options,
    child: Option<Child>,
    addr: SocketAddr,
    client: reqwest::Client,
}

/// A small data directory: RocksDB-like `*.sst` files, other files, an empty file, a
/// subdirectory, a name with spaces and non-ASCII characters.
pub fn fill_sample(data: &Path) {
    write(&data.join("engine-rocksdb/000001.sst"), &bytes(1, 200_000));
    write(&data.join("engine-rocksdb/000002.sst"), &bytes(2, 3_000));
    write(&data.join("engine-rocksdb/CURRENT"), b"MANIFEST-000001\n");
    write(
        &data.join("engine-rocksdb/MANIFEST-000001"),
        &bytes(3, 1_234),
    );
    write(&data.join("SERVER"), br#"{"serverId":"x"}"#);
    write(&data.join("journal/empty"), b"");
    write(&data.join("names with spaces/ünïcödé.bin"), &bytes(4, 777));
}

fn free_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local addr")
}

impl Server {
    /// A server on a sample data directory.
    pub async fn start() -> Server {
        Server::with(Options::default()).await
    }

    pub async fn with(options: Options) -> Server {
        let root = tempfile::tempdir().expect("tempdir");
        let data = root.path().join("data");
        let backups = root.path().join("backups");
        let state = root.path().join("state");
        fs::create_dir_all(&data).expect("mkdir data");
        if !options.empty {
            fill_sample(&data);
        }
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .build()
            .expect("http client");
        let mut server = Server {
            log: root.path().join("server.log"),
            root,
            data,
            backups,
            state,
            options,
            child: None,
            addr: free_port(),
            client,
        };
        server.launch().await;
        server
    }

    /// Starts the process (again, with the same directories) on a new port and waits until
    /// it answers.
    pub async fn launch(&mut self) {
        self.addr = free_port();
        self.launch_here().await;
    }

    /// [`Self::launch`] on the port it had (a cluster's DB server, which its coordinator
    /// knows by address).
    pub async fn launch_here(&mut self) {
        assert!(self.child.is_none(), "server already running");
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("open log");
        let ferry = env!("CARGO_BIN_EXE_ferry");
        let mut cmd = match self.options.wrap.split_first() {
            Some((program, args)) => {
                let mut cmd = Command::new(program);
                let backups = self.backups.display().to_string();
                cmd.args(args.iter().map(|a| a.replace("{backups}", &backups)))
                    .arg(ferry);
                cmd
            }
            None => Command::new(ferry),
        };
        cmd.arg("serve")
            .arg("--listen")
            .arg(self.addr.to_string())
            .arg("--data-dir")
            .arg(&self.data)
            .arg("--backup-dir")
            .arg(&self.backups)
            .arg("--state-dir")
            .arg(&self.state)
            .args(if self.options.guard_loopback {
                &[][..]
            } else {
                &["--allow-endpoint", "127.0.0.1"][..]
            })
            .args(&self.options.args)
            .env_remove("FERRY_CONFIG")
            .env_remove("RCLONE_CONFIG")
            .env_remove("FERRY_LOG")
            .env("HOME", self.root.path())
            .env("FERRY_STATE_DIR", &self.state)
            .envs(self.options.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log));
        let child = cmd.spawn().expect("spawn ferry serve");
        self.child = Some(child);
        let started = Instant::now();
        let line = format!("ferry: listening on http://{}", self.addr);
        loop {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                self.child = None;
                panic!("ferry serve exited with {status}:\n{}", self.stderr());
            }
            if self.stderr().contains(&line) {
                let answered = self
                    .client
                    .get(self.url("/_api/version"))
                    .timeout(Duration::from_secs(2))
                    .send()
                    .await
                    // Any HTTP answer: with authentication on, an anonymous request gets 401.
                    .is_ok();
                if answered {
                    return;
                }
            }
            assert!(
                started.elapsed() < TIMEOUT,
                "ferry serve not answering after 60 s:\n{}",
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The server process's id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// `kill -9`, and reap.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM (graceful shutdown), and wait for the exit.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let sent = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("kill -TERM");
        assert!(sent.success());
        let started = Instant::now();
        loop {
            if child.try_wait().expect("wait").is_some() {
                return;
            }
            if started.elapsed() > TIMEOUT {
                let _ = child.kill();
                let _ = child.wait();
                panic!("ferry serve did not stop on SIGTERM:\n{}", self.stderr());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Graceful stop, then start again on the same directories.
    pub async fn restart(&mut self) {
        self.stop();
        self.launch().await;
    }

    pub fn stderr(&self) -> String {
        fs::read(&self.log)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Any request; the status and the raw body.
    pub async fn request(&self, method: &str, path: &str, body: Option<Vec<u8>>) -> (u16, String) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.client.request(method, self.url(path));
        if let Some(body) = body {
            req = req.header("content-type", "application/json").body(body);
        }
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path}: no answer: {e}\n{}", self.stderr()));
        let code = resp.status().as_u16();
        (code, resp.text().await.expect("response body"))
    }

    /// POST with a raw body; the status and the body parsed as JSON.
    pub async fn post_raw(&self, path: &str, body: &[u8]) -> (u16, Value) {
        let (code, text) = self.request("POST", path, Some(body.to_vec())).await;
        (code, parse(&text))
    }

    /// POST a raw body on a connection of its own, which the server need not keep open
    /// after answering (it closes it when it refuses a body it has not read to the end).
    pub async fn post_alone(&self, path: &str, body: Vec<u8>) -> (u16, Value) {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .timeout(TIMEOUT)
            .build()
            .expect("client");
        let resp = client
            .post(self.url(path))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path}: no answer (reset or hang): {e}"));
        let code = resp.status().as_u16();
        (code, parse(&resp.text().await.expect("response body")))
    }

    /// POST `body` as JSON; the status and the JSON answer.
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.post_raw(path, body.to_string().as_bytes()).await
    }

    /// POST to `/_admin/backup/<op>`, expecting success with `code`; the `result`.
    pub async fn ok(&self, op: &str, body: Value, code: u16) -> Value {
        let (status, answer) = self.post(&format!("/_admin/backup/{op}"), body).await;
        assert_eq!(status, code, "{op}: {answer}");
        success(&answer, code)
    }

    /// POST to `/_admin/backup/<op>`, expecting an error `(code, errorNum)`; the message.
    pub async fn fails(&self, op: &str, body: Value, code: u16, num: i64) -> String {
        let (status, answer) = self.post(&format!("/_admin/backup/{op}"), body).await;
        assert_eq!(status, code, "{op}: {answer}");
        error(&answer, code, num)
    }

    /// Creates a backup; the create result.
    pub async fn create(&self, label: Option<&str>) -> Value {
        let body = match label {
            Some(l) => json!({ "label": l }),
            None => json!({}),
        };
        self.ok("create", body, 201).await
    }

    /// Creates a backup; its id.
    pub async fn create_id(&self, label: &str) -> String {
        self.create(Some(label)).await["id"]
            .as_str()
            .expect("id")
            .to_owned()
    }

    /// The `list` result.
    pub async fn list(&self) -> Value {
        self.ok("list", json!({}), 200).await
    }

    /// Ids listed.
    pub async fn ids(&self) -> Vec<String> {
        let list = self.list().await;
        list["list"]
            .as_object()
            .expect("list object")
            .keys()
            .cloned()
            .collect()
    }

    /// Starts a job, expecting 202; its id.
    pub async fn start_job(&self, kind: Kind, id: &str, repository: &str, config: Value) -> String {
        let body = json!({"id": id, "remoteRepository": repository, "config": config});
        let (status, answer) = self.post(kind.path(), body).await;
        assert_eq!(status, 202, "{answer}");
        let result = success(&answer, 202);
        let keys: Vec<&String> = result.as_object().expect("object").keys().collect();
        assert_eq!(keys, [kind.id_attr()], "{answer}");
        let job = result[kind.id_attr()].as_str().expect("job id string");
        assert!(
            !job.is_empty() && job.bytes().all(|b| b.is_ascii_digit()),
            "job id must be decimal digits: {job:?}"
        );
        job.to_owned()
    }

    /// The status object of a job (checked for shape).
    pub async fn status(&self, kind: Kind, job: &str) -> Value {
        let (code, answer) = self.post(kind.path(), json!({ kind.id_attr(): job })).await;
        assert_eq!(code, 200, "{answer}");
        let status = success(&answer, 200);
        check_status(kind, job, &status);
        status
    }

    /// Polls until the job is finished (at most 60 s); its final status.
    pub async fn wait_job(&self, kind: Kind, job: &str) -> Value {
        let started = Instant::now();
        loop {
            let status = self.status(kind, job).await;
            if matches!(job_state(&status), "COMPLETED" | "FAILED" | "CANCELLED") {
                return status;
            }
            assert!(
                started.elapsed() < TIMEOUT,
                "job {job} not finished after 60 s: {status}\n{}",
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Polls until the job is finished and asserts that it completed.
    /// Uploads backup `id` to `repository` and waits until the job has COMPLETED.
    pub async fn upload_completed(&self, id: &str, repository: &str, config: Value) {
        let job = self.start_job(Kind::Upload, id, repository, config).await;
        self.wait_completed(Kind::Upload, &job).await;
    }

    pub async fn wait_completed(&self, kind: Kind, job: &str) -> Value {
        let status = self.wait_job(kind, job).await;
        assert_eq!(
            job_state(&status),
            "COMPLETED",
            "{status}\n{}",
            self.stderr()
        );
        status
    }

    /// Polls until `ready` holds for the job's status (at most 60 s); that status.
    pub async fn wait_until(&self, kind: Kind, job: &str, ready: impl Fn(&Value) -> bool) -> Value {
        let started = Instant::now();
        loop {
            let status = self.status(kind, job).await;
            if ready(&status) {
                return status;
            }
            assert!(
                !matches!(job_state(&status), "COMPLETED" | "FAILED" | "CANCELLED"),
                "job {job} finished before the awaited point: {status}"
            );
            assert!(
                started.elapsed() < TIMEOUT,
                "job {job}: awaited point not reached after 60 s: {status}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}
