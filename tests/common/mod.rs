//! Helpers shared by the integration tests: running the `ferry` binary, making trees.

#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

/// A `ferry` command with its own state directory (resume journals). `$FERRY_TEST_BIN`, when
/// set, is run instead of cargo's `target/debug/ferry`: worktrees sharing one target
/// directory each rewrite that path when they build, under each other's running tests.
pub fn ferry(state: &Path) -> Command {
    let bin = std::env::var_os("FERRY_TEST_BIN").unwrap_or(env!("CARGO_BIN_EXE_ferry").into());
    let mut cmd = Command::new(bin);
    cmd.env("FERRY_STATE_DIR", state)
        .env_remove("FERRY_CONFIG")
        .env_remove("RCLONE_CONFIG")
        .env("HOME", state);
    // `backends/run` exports `RCLONE_S3_*` for the rclone-s3 server, which Ferry (as rclone)
    // reads as overrides of every s3 section: a test's `ferry` sees none of the runner's.
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("RCLONE_") {
            cmd.env_remove(name);
        }
    }
    cmd
}

/// Runs and returns the output, with stdout and stderr in the panic message on surprise.
pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("ferry runs")
}

pub fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Deterministic pseudo-random bytes (xorshift), so failures reproduce.
pub fn bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

pub fn write(path: &Path, data: &[u8]) {
    fs::create_dir_all(path.parent().expect("has parent")).expect("mkdir");
    fs::write(path, data).expect("write");
}

/// Every regular file under `root` with its SHA-256, by relative path.
pub fn tree_digest(root: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
        for e in fs::read_dir(dir).expect("read_dir") {
            let e = e.expect("entry");
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).expect("under root");
                let data = fs::read(&p).expect("read");
                out.push((
                    rel.to_string_lossy().into_owned(),
                    hex::encode(Sha256::digest(&data)),
                ));
            }
        }
    }
    walk(root, root, &mut out);
    out.sort();
    out
}

/// Files whose names mark them as Ferry's staged data.
pub fn staged_files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.to_string_lossy().ends_with(".ferry-part") {
                out.push(p);
            }
        }
    }
    walk(root, &mut out);
    out
}

/// The journal files in a state directory.
pub fn journals(state: &Path) -> Vec<PathBuf> {
    fs::read_dir(state.join("journals"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}

/// Parts recorded in the journal so far.
pub fn journal_parts(state: &Path) -> usize {
    journals(state)
        .iter()
        .map(|j| {
            fs::read_to_string(j)
                .unwrap_or_default()
                .lines()
                .filter(|l| l.contains("\"op\":\"part\""))
                .count()
        })
        .sum()
}

/// Waits (at most 60 s: no progress fails the test) until the journal holds `n` parts.
pub fn wait_for_parts(state: &Path, n: usize) {
    let start = Instant::now();
    while journal_parts(state) < n {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no progress in 60 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The last JSON line of stdout with `"event":"done"`.
pub fn done_line(out: &Output) -> serde_json::Value {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .rfind(|v| v["event"] == "done")
        .unwrap_or_else(|| panic!("no done line: {}", text(out)))
}

/// Engine tunables for a test copy, with where its journal lives (the run's [`Context`]);
/// dereferences to the tunables.
///
/// [`Context`]: ferry::engine::Context
#[derive(Debug, Clone)]
pub struct Opts {
    pub options: ferry::engine::Options,
    pub state: PathBuf,
    pub journal_name: Option<String>,
}

impl Opts {
    pub fn new(state: &Path, retry: ferry::retry::RetryPolicy) -> Self {
        Opts {
            options: ferry::engine::Options {
                retry,
                ..Default::default()
            },
            state: state.to_owned(),
            journal_name: None,
        }
    }

    /// The run's wiring: this state directory and journal name, `stats` hearing progress.
    pub fn context(&self, stats: &std::sync::Arc<ferry::engine::Stats>) -> ferry::engine::Context {
        let context = ferry::engine::Context::new()
            .with_state_dir(&self.state)
            .with_progress(stats.clone());
        match &self.journal_name {
            Some(name) => context.with_journal_name(name),
            None => context,
        }
    }
}

impl std::ops::Deref for Opts {
    type Target = ferry::engine::Options;
    fn deref(&self) -> &Self::Target {
        &self.options
    }
}

impl std::ops::DerefMut for Opts {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.options
    }
}

/// Copies the tree at `src` to `dst`.
pub async fn copy_tree(
    src: &ferry::store::Location,
    dst: &ferry::store::Location,
    opts: &Opts,
) -> ferry::Result<ferry::engine::Summary> {
    let stats = std::sync::Arc::default();
    ferry::engine::Transfer::new(src, dst, opts, opts.context(&stats))
        .copy_tree()
        .await
}
