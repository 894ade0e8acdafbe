//! The cases every backend must pass.

use std::fs;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use ferry::engine::journal::{Journal, OpenUpload};
use ferry::engine::{self, Stats, Transfer};
use ferry::store::fault::{FaultPlan, FaultyBackend};
use ferry::store::{Location, SharedBackend};
use sha2::{Digest, Sha256};

use super::common::*;
use super::servers::{Server, random_prefix};

fn sha(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn options(state: &Path) -> Opts {
    Opts::new(state, ferry::retry::RetryPolicy::quick())
}

async fn copy(src: &Location, dst: &Location, options: &Opts) -> ferry::Result<engine::Summary> {
    copy_tree(src, dst, options).await
}

/// Downloads `remote` into a fresh directory below `dir` and checks it holds exactly `src`.
async fn assert_downloads_as(remote: &Location, src: &Path, dir: &Path, server: &Server) {
    let down = dir.join("down");
    copy(remote, &Location::local(&down), &options(&dir.join("s2")))
        .await
        .expect("download");
    assert_eq!(tree_digest(src), tree_digest(&down), "{}", server.name);
}

/// A tree with what trips stores up: spaces, unicode, `#`/`%`/`+`, empty files, a file
/// that is chunked (12 MiB at 5 MiB chunks), one just above and one just below a chunk.
fn awkward_tree(root: &Path) {
    write(&root.join("empty"), b"");
    write(&root.join("dir with spaces/ünïcödé 名前.txt"), b"unicode");
    write(&root.join("odd/a#b%20c+d=e&f"), b"odd characters");
    write(&root.join("deep/a/b/c/d/e/f/leaf"), &bytes(5, 1000));
    write(&root.join("chunked.sst"), &bytes(6, 12 << 20));
    write(&root.join("just-above"), &bytes(7, (5 << 20) + 1));
    write(&root.join("just-below"), &bytes(8, (5 << 20) - 1));
}

pub async fn basics(server: &Server) {
    let loc = server.location(&random_prefix("basics"));
    let b = &loc.backend;
    let key = |k: &str| loc.key(k);
    let data = Bytes::from(bytes(1, 100_000));
    let name = "sp ace/ünï/a#b";
    b.put(&key(name), data.clone(), &sha(&data))
        .await
        .expect("put");
    let stat = b.stat(&key(name)).await.expect("stat").expect("exists");
    assert_eq!(stat.size, 100_000, "{}", server.name);
    assert_eq!(
        stat.sha256.as_deref(),
        Some(sha(&data).as_str()),
        "{}: sha256 metadata",
        server.name
    );
    let got = b
        .get_range(&key(name), 10..1010, stat.etag.as_deref())
        .await
        .expect("ranged get");
    assert_eq!(&got[..], &data[10..1010], "{}", server.name);
    let listing = b.list(&loc.root).await.expect("list");
    assert_eq!(listing.len(), 1, "{}: {listing:?}", server.name);
    assert_eq!(
        listing[0].key, name,
        "{}: names kept byte for byte",
        server.name
    );
    assert!(b.stat(&key("missing")).await.expect("stat").is_none());
    b.copy(&key(name), &key("copy")).await.expect("copy");
    let copied = b.stat(&key("copy")).await.expect("stat").expect("copied");
    assert_eq!(
        copied.sha256, stat.sha256,
        "{}: metadata survives copy",
        server.name
    );
    b.delete(&key(name)).await.expect("delete");
    b.delete(&key(name)).await.expect("delete twice is fine");

    // An aborted upload is gone from the server, where the server can tell.
    let upload = b
        .create_upload(&key("pending"), 10 << 20, &sha(b"x"))
        .await
        .expect("create");
    b.put_part(
        &key("pending"),
        &upload,
        0,
        0,
        Bytes::from(bytes(2, 5 << 20)),
    )
    .await
    .expect("part");
    if let Some(pending) = server.pending_uploads(&loc.root).await {
        assert_eq!(pending, vec![key("pending")], "{}", server.name);
    }
    b.abort_upload(&key("pending"), &upload)
        .await
        .expect("abort");
    if let Some(pending) = server.pending_uploads(&loc.root).await {
        assert!(pending.is_empty(), "{}: {pending:?}", server.name);
    }
    assert!(b.stat(&key("pending")).await.expect("stat").is_none());
    b.delete(&key("copy")).await.expect("delete");
    assert!(b.list(&loc.root).await.expect("list").is_empty());
}

pub async fn tree_round_trip(server: &Server) {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("src");
    awkward_tree(&src);
    let remote = server.location(&random_prefix("tree"));
    let local_src = Location::local(&src);
    let opts = options(&dir.path().join("state"));

    let up = copy(&local_src, &remote, &opts).await.expect("upload");
    assert_eq!(up.copied, 7, "{}", server.name);
    let report = engine::check(&local_src, &remote, &opts)
        .await
        .expect("check");
    assert!(report.is_match(), "{}: {report:?}", server.name);

    let down_dir = dir.path().join("down");
    let down = copy(&remote, &Location::local(&down_dir), &opts)
        .await
        .expect("download");
    assert_eq!(down.copied, 7, "{}", server.name);
    assert_eq!(tree_digest(&src), tree_digest(&down_dir), "{}", server.name);

    let again = copy(&local_src, &remote, &opts)
        .await
        .expect("second upload");
    assert_eq!(again.skipped, 7, "{}: nothing sent twice", server.name);
}

pub async fn incremental_server_side_copy(server: &Server) {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = Location::local(dir.path().join("src"));
    write(&dir.path().join("src/big.sst"), &bytes(11, 7 << 20));
    write(&dir.path().join("src/small"), &bytes(12, 3000));
    let root = server.location(&random_prefix("incremental"));
    let (one, two) = (root.child("one"), root.child("two"));
    let opts = options(&dir.path().join("state"));
    let first = copy(&src, &one, &opts).await.expect("first");

    // What the repository holds (a SHA256SUMS would say the same): SHA-256 → full key.
    let stats = Arc::new(Stats::default());
    let known = first
        .sha256
        .iter()
        .map(|(k, s)| (s.clone(), one.key(k)))
        .collect();
    let second = Transfer::new(&src, &two, &opts, opts.context(&stats))
        .with_known(known)
        .copy_tree()
        .await
        .expect("incremental");
    assert_eq!(second.server_side_copied, 2, "{}: {second:?}", server.name);
    assert_eq!(
        stats.snapshot().bytes_transferred,
        0,
        "{}: no data sent",
        server.name
    );
    let report = engine::check(&src, &two, &opts).await.expect("check");
    assert!(report.is_match(), "{}: {report:?}", server.name);
}

pub async fn corrupted_object_detected(server: &Server) {
    let dir = tempfile::tempdir().expect("tempdir");
    let remote = server.location(&random_prefix("corrupt"));
    let good = bytes(21, 6 << 20);
    let small_good = bytes(22, 1000);
    // Objects whose stored SHA-256 does not match their bytes (same size): bit rot, or a
    // tool that rewrote them.
    let mut bad = good.clone();
    bad[3 << 20] ^= 0x40;
    let mut small_bad = small_good.clone();
    small_bad[10] ^= 1;
    let b = &remote.backend;
    for (name, data, claimed) in [("big", &bad, &good), ("small", &small_bad, &small_good)] {
        if data.len() > 5 << 20 {
            let upload = b
                .create_upload(&remote.key(name), data.len() as u64, &sha(claimed))
                .await
                .expect("create");
            let mut parts = Vec::new();
            for (i, chunk) in data.chunks(5 << 20).enumerate() {
                let offset = (i * (5 << 20)) as u64;
                parts.push(
                    b.put_part(
                        &remote.key(name),
                        &upload,
                        i as u64,
                        offset,
                        Bytes::copy_from_slice(chunk),
                    )
                    .await
                    .expect("part"),
                );
            }
            b.complete_upload(&remote.key(name), &upload, parts)
                .await
                .expect("complete");
        } else {
            b.put(&remote.key(name), Bytes::from(data.clone()), &sha(claimed))
                .await
                .expect("put");
        }
    }
    let down = dir.path().join("down");
    let err = copy(
        &remote,
        &Location::local(&down),
        &options(&dir.path().join("state")),
    )
    .await
    .expect_err("corruption must fail the download");
    match &err {
        ferry::Error::Integrity { path, .. } => {
            assert!(
                path.ends_with("big") || path.ends_with("small"),
                "{}: {err}",
                server.name
            )
        }
        other => panic!("{}: expected an integrity error, got {other}", server.name),
    }
    assert!(
        !down.join("big").exists() && !down.join("small").exists(),
        "{}: nothing published",
        server.name
    );
}

pub async fn through_faults(server: &Server) {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("src");
    awkward_tree(&src);
    let remote = server.location(&random_prefix("faults"));
    let plan = FaultPlan {
        seed: 42,
        ..FaultPlan::default()
    };
    // Retried above the faults, as a resolved store is above its own.
    let faulty_up: SharedBackend = Arc::new(FaultyBackend::new(remote.backend.clone(), plan));
    let retry = ferry::retry::RetryPolicy {
        max_retries: 12,
        ..ferry::retry::RetryPolicy::quick()
    };
    let faulty_remote = Location {
        backend: ferry::store::layer::resolved(faulty_up, &retry),
        ..remote.clone()
    };
    let opts = options(&dir.path().join("state"));
    copy(&Location::local(&src), &faulty_remote, &opts)
        .await
        .expect("upload through faults");
    let down = dir.path().join("down");
    copy(&faulty_remote, &Location::local(&down), &opts)
        .await
        .expect("download through faults");
    assert_eq!(tree_digest(&src), tree_digest(&down), "{}", server.name);
}

/// A resume whose journal names an upload the store has dropped since: expired, or (s3s-fs)
/// dropped by a CompleteMultipartUpload that a kill cut off half-way, after which s3s-fs
/// answers 403 rather than 404. The file is sent again instead of the copy failing (found by
/// tests/torture/run).
pub async fn resume_with_dropped_upload(server: &Server) {
    if server.name == "moto" {
        // moto answers 500 (an HTML page) to completing an aborted upload, where S3 answers
        // 404 NoSuchUpload. A 5xx must stay a retried, reported failure: taking it for a
        // dropped upload would throw away a resumable upload at every server hiccup.
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("src");
    let data = bytes(41, (12 << 20) + 7);
    write(&src.join("big.sst"), &data);
    let remote = server.location(&random_prefix("dropped"));
    let (b, key) = (&remote.backend, remote.key("big.sst"));
    let size = data.len() as u64;
    let upload = b
        .create_upload(&key, size, &sha(&data))
        .await
        .expect("create");
    let mut parts = Vec::new();
    for (i, chunk) in data.chunks(CHUNK).enumerate() {
        let part = b
            .put_part(
                &key,
                &upload,
                i as u64,
                (i * CHUNK) as u64,
                Bytes::copy_from_slice(chunk),
            )
            .await
            .expect("part");
        parts.push(part);
    }
    b.abort_upload(&key, &upload).await.expect("abort");
    // The journal of a run killed after its last part, while its complete was under way.
    let state = dir.path().join("state");
    let mut opts = options(&state);
    opts.journal_name = Some("dropped".into());
    opts.chunk_size = Some(CHUNK as u64);
    let journal = Journal::open(&state.join("journals/dropped.jsonl")).expect("journal");
    let open = OpenUpload {
        size,
        sha256: sha(&data),
        chunk: CHUNK as u64,
        upload,
        parts: Default::default(),
    };
    journal.begin("big.sst", &open).expect("begin");
    for (i, part) in parts.iter().enumerate() {
        journal.part("big.sst", i as u64, part).expect("part");
    }
    drop(journal);
    copy(&Location::local(&src), &remote, &opts)
        .await
        .unwrap_or_else(|e| panic!("{}: the resume must send the file again: {e}", server.name));
    assert_downloads_as(&remote, &src, dir.path(), server).await;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Upload,
    Download,
}

const BIG: usize = 30 << 20;
const CHUNK: usize = 5 << 20;

/// A large file uploaded (for downloads: already in the repository).
fn prepare(server: &Server, dir: &Path, direction: Direction) -> (String, String) {
    let src = dir.join("src");
    write(&src.join("big.sst"), &bytes(31, BIG));
    write(&src.join("small"), b"small");
    let prefix = random_prefix(if direction == Direction::Upload {
        "resume-up"
    } else {
        "resume-down"
    });
    let repo = server.repository(&prefix);
    if direction == Direction::Download {
        let out = run(ferry(&dir.join("state0"))
            .args(["copy", "--no-progress", "--config"])
            .arg(server.config_file(dir))
            .arg(&src)
            .arg(&repo));
        assert!(out.status.success(), "{}: {}", server.name, text(&out));
    }
    let (from, to) = match direction {
        Direction::Upload => (src.to_string_lossy().into_owned(), repo),
        Direction::Download => (repo, dir.join("down").to_string_lossy().into_owned()),
    };
    (from, to)
}

fn journal_parts(state: &Path) -> usize {
    journals(state)
        .iter()
        .map(|j| {
            fs::read_to_string(j)
                .unwrap_or_default()
                .matches("\"op\":\"part\"")
                .count()
        })
        .sum()
}

fn slow_copy(server: &Server, dir: &Path, from: &str, to: &str) -> std::process::Child {
    ferry(&dir.join("state"))
        .args([
            "copy",
            "--no-progress",
            "--bwlimit",
            "8M",
            "--transfers",
            "2",
            "--config",
        ])
        .arg(server.config_file(dir))
        .arg(from)
        .arg(to)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn")
}

fn wait_for_parts(server: &Server, state: &Path, n: usize, child: &mut std::process::Child) {
    let start = Instant::now();
    while journal_parts(state) < n {
        if let Some(status) = child.try_wait().expect("poll") {
            let mut err = String::new();
            use std::io::Read;
            child.stderr.take().map(|mut e| e.read_to_string(&mut err));
            panic!("{}: copy ended early ({status}): {err}", server.name);
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{}: no progress",
            server.name
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn resume_after_kill(server: &Server, direction: Direction) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (from, to) = prepare(server, dir.path(), direction);
    let state = dir.path().join("state");
    let mut child = slow_copy(server, dir.path(), &from, &to);
    wait_for_parts(server, &state, 2, &mut child);
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    let parts_done = journal_parts(&state);
    assert!(parts_done < BIG / CHUNK, "{}: killed too late", server.name);

    let out = run(ferry(&state)
        .args(["copy", "--json", "--config"])
        .arg(server.config_file(dir.path()))
        .arg(&from)
        .arg(&to));
    assert!(out.status.success(), "{}: {}", server.name, text(&out));
    let done = done_line(&out);
    let sent = done["bytesTransferred"].as_u64().expect("number");
    let small = if done["skipped"] == 1 { 0 } else { 5 };
    assert_eq!(
        sent - small,
        (BIG - parts_done * CHUNK) as u64,
        "{}: only parts not journalled are sent again: {done}",
        server.name
    );
    let check = run(ferry(&state)
        .args(["check", "--config"])
        .arg(server.config_file(dir.path()))
        .arg(&from)
        .arg(&to));
    assert!(check.status.success(), "{}: {}", server.name, text(&check));
    assert!(journals(&state).is_empty(), "{}", server.name);
}

/// Ctrl-C stops a copy and keeps it resumable (tests/cli_interrupt.rs resumes it): nothing
/// half-written is visible, the journal stays; `ferry cleanup --max-age 0`, the discard
/// the message offers, then leaves no pending upload where the server can list them.
pub fn interrupt_keeps_and_cleanup_discards(server: &Server) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (from, to) = prepare(server, dir.path(), Direction::Upload);
    let state = dir.path().join("state");
    let mut child = slow_copy(server, dir.path(), &from, &to);
    wait_for_parts(server, &state, 2, &mut child);
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let start = Instant::now();
    let code = loop {
        if let Some(s) = child.try_wait().expect("poll") {
            break s.code();
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{}: the interrupt hangs",
            server.name
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(code, Some(130), "{}", server.name);
    let prefix = to
        .split_once('/')
        .map(|(_, p)| p.to_owned())
        .expect("prefix");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let remote = server.location(&prefix);
    let listing = rt
        .block_on(remote.backend.list(&remote.root))
        .expect("list");
    assert!(
        listing.iter().all(|o| o.key != "big.sst"),
        "{}: no half object visible: {listing:?}",
        server.name
    );
    assert_eq!(journals(&state).len(), 1, "{}: journal kept", server.name);
    let Some(pending) = rt.block_on(server.pending_uploads(&prefix)) else {
        return;
    };
    assert!(!pending.is_empty(), "{}: the upload is kept", server.name);
    let cleanup = run(ferry(&state)
        .args(["cleanup", &to, "--max-age", "0", "--config"])
        .arg(server.config_file(dir.path())));
    assert!(
        cleanup.status.success(),
        "{}: {}",
        server.name,
        text(&cleanup)
    );
    let pending = rt.block_on(server.pending_uploads(&prefix));
    assert_eq!(
        pending.as_deref(),
        Some(&[][..]),
        "{}: pending uploads left",
        server.name
    );
}

/// A kill between CreateMultipartUpload and the journal's record of the upload id: the
/// journal holds an intent for the key and no id, and the server a pending upload nobody
/// knows. The resumed copy must abort it (where the server can list pending uploads), and
/// leave alone uploads that are not its own: of another key sharing the prefix, and of a key
/// whose intent is younger than the upload. Where the server cannot list, the copy succeeds
/// all the same.
pub async fn resume_aborts_unjournalled_upload(server: &Server) {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("src");
    let data = bytes(51, (12 << 20) + 7);
    write(&src.join("big.sst"), &data);
    let remote = server.location(&random_prefix("unjournalled"));
    let b = &remote.backend;
    let state = dir.path().join("state");
    let mut opts = options(&state);
    opts.journal_name = Some("unjournalled".into());
    opts.chunk_size = Some(CHUNK as u64);

    let journal = Journal::open(&state.join("journals/unjournalled.jsonl")).expect("journal");
    journal.intent("big.sst").expect("intent");
    // An upload of a key this run meant to write, begun by someone else an hour before.
    let in_an_hour = chrono::Utc::now().timestamp_millis() + 3_600_000;
    journal
        .intent_at("other.sst", in_an_hour)
        .expect("future intent");
    drop(journal);
    // The crash window: the server created these, the journal never heard of them.
    let size = data.len() as u64;
    let mut created = Vec::new();
    for name in ["big.sst", "big.sst", "other.sst", "big.sst.2"] {
        let key = remote.key(name);
        let upload = b
            .create_upload(&key, size, &sha(&data))
            .await
            .expect("create");
        created.push((key, upload));
    }
    let listed = b
        .pending_uploads(&remote.root)
        .await
        .unwrap_or_else(|e| panic!("{}: listing must not fail: {e}", server.name));
    assert_eq!(
        listed.is_some(),
        server.lists_pending_uploads,
        "{}: Ferry lists pending uploads exactly where the server can",
        server.name
    );
    if let Some(listed) = &listed {
        assert_eq!(listed.len(), 4, "{}: {listed:?}", server.name);
        assert!(
            listed.iter().all(|u| u.initiated.is_some()),
            "{}: {listed:?}",
            server.name
        );
    }

    copy(&Location::local(&src), &remote, &opts)
        .await
        .unwrap_or_else(|e| panic!("{}: the resumed copy must succeed: {e}", server.name));
    assert!(journals(&state).is_empty(), "{}", server.name);
    if let Some(mut pending) = server.pending_uploads(&remote.root).await {
        pending.sort();
        let mut expected = vec![remote.key("big.sst.2"), remote.key("other.sst")];
        if !server.real_upload_times {
            // Every upload claims to be from 2010: older than the intent, so not this
            // transfer's, and kept.
            expected.extend([remote.key("big.sst"), remote.key("big.sst")]);
            expected.sort();
        }
        assert_eq!(
            pending, expected,
            "{}: the unjournalled uploads of big.sst are aborted, the others kept",
            server.name
        );
    }
    assert_downloads_as(&remote, &src, dir.path(), server).await;
    for (key, upload) in created {
        b.abort_upload(&key, &upload).await.expect("abort");
    }
}

/// `ferry cleanup REMOTE --max-age D`: aborts the pending uploads under REMOTE's path older
/// than D, and nothing outside it; on a store that cannot list, a one-line error.
pub fn cleanup_aborts_old_uploads(server: &Server) {
    let dir = tempfile::tempdir().expect("tempdir");
    let prefix = random_prefix("cleanup");
    let remote = server.location(&prefix);
    let beside = server.location(&format!("{prefix}-beside"));
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let mut created = Vec::new();
    for (loc, name) in [(&remote, "a/one"), (&remote, "two"), (&beside, "three")] {
        let key = loc.key(name);
        let upload = rt
            .block_on(loc.backend.create_upload(&key, 10 << 20, &sha(b"x")))
            .expect("create");
        created.push((loc.backend.clone(), key, upload));
    }
    let config = server.config_file(dir.path());
    let cleanup = |max_age: &str| {
        run(ferry(&dir.path().join("state"))
            .args(["cleanup", "--max-age", max_age, "--config"])
            .arg(&config)
            .arg(server.repository(&prefix)))
    };
    let young = cleanup("1h");
    if !server.lists_pending_uploads {
        assert_eq!(
            young.status.code(),
            Some(1),
            "{}: {}",
            server.name,
            text(&young)
        );
        let err = String::from_utf8_lossy(&young.stderr);
        assert_eq!(err.lines().count(), 1, "{}: {}", server.name, text(&young));
        assert!(
            err.starts_with("ferry: error: ") && err.contains("cannot list pending uploads"),
            "{}: {}",
            server.name,
            text(&young)
        );
    } else {
        assert!(young.status.success(), "{}: {}", server.name, text(&young));
        let aborted = |out: &std::process::Output| {
            let out = String::from_utf8_lossy(&out.stdout).into_owned();
            assert!(
                out.lines().all(|l| l.starts_with("aborted ")),
                "{}: {out}",
                server.name
            );
            let mut keys: Vec<String> = out
                .lines()
                .filter_map(|l| l.strip_prefix("aborted "))
                .filter_map(|l| l.split(" (upload ").next())
                .map(str::to_owned)
                .collect();
            keys.sort();
            keys
        };
        if server.real_upload_times {
            assert!(
                aborted(&young).is_empty(),
                "{}: {}",
                server.name,
                text(&young)
            );
            assert!(
                String::from_utf8_lossy(&young.stderr).contains("0 pending uploads aborted, 2"),
                "{}: {}",
                server.name,
                text(&young)
            );
            let all = cleanup("0s");
            assert!(all.status.success(), "{}: {}", server.name, text(&all));
            assert_eq!(
                aborted(&all),
                ["a/one", "two"],
                "{}: {}",
                server.name,
                text(&all)
            );
        } else {
            // Every upload claims to be from 2010, and so is older than an hour.
            assert_eq!(
                aborted(&young),
                ["a/one", "two"],
                "{}: {}",
                server.name,
                text(&young)
            );
        }
        let pending = rt.block_on(server.pending_uploads(&prefix)).expect("lists");
        assert_eq!(
            pending,
            vec![beside.key("three")],
            "{}: only the upload outside REMOTE is left",
            server.name
        );
    }
    for (backend, key, upload) in created {
        rt.block_on(backend.abort_upload(&key, &upload))
            .expect("abort");
    }
}

/// A backend whose first CreateMultipartUpload is carried out but its answer lost (a reset
/// after the server acted), so the retry layer above it creates a second upload.
#[derive(Debug)]
struct LosesFirstCreate {
    inner: SharedBackend,
    lost: std::sync::atomic::AtomicBool,
}

#[async_trait::async_trait]
impl ferry::store::Backend for LosesFirstCreate {
    fn capabilities(&self) -> ferry::store::Capabilities {
        self.inner.capabilities()
    }
    async fn list(&self, prefix: &str) -> ferry::Result<Vec<ferry::store::ObjectInfo>> {
        self.inner.list(prefix).await
    }
    async fn stat(&self, key: &str) -> ferry::Result<Option<ferry::store::Stat>> {
        self.inner.stat(key).await
    }
    async fn get_range(
        &self,
        key: &str,
        range: std::ops::Range<u64>,
        etag: Option<&str>,
    ) -> ferry::Result<Bytes> {
        self.inner.get_range(key, range, etag).await
    }
    async fn put(&self, key: &str, data: Bytes, sha256: &str) -> ferry::Result<()> {
        self.inner.put(key, data, sha256).await
    }
    async fn create_upload(&self, key: &str, size: u64, sha256: &str) -> ferry::Result<String> {
        let upload = self.inner.create_upload(key, size, sha256).await?;
        if !self.lost.swap(true, std::sync::atomic::Ordering::SeqCst) {
            return Err(ferry::Error::Storage {
                context: "create upload".into(),
                message: "connection reset by peer (injected, after the server acted)".into(),
                retryable: true,
            });
        }
        Ok(upload)
    }
    async fn put_part(
        &self,
        key: &str,
        upload: &str,
        index: u64,
        offset: u64,
        data: Bytes,
    ) -> ferry::Result<String> {
        self.inner.put_part(key, upload, index, offset, data).await
    }
    async fn complete_upload(
        &self,
        key: &str,
        upload: &str,
        parts: Vec<String>,
    ) -> ferry::Result<()> {
        self.inner.complete_upload(key, upload, parts).await
    }
    async fn abort_upload(&self, key: &str, upload: &str) -> ferry::Result<()> {
        self.inner.abort_upload(key, upload).await
    }
    async fn pending_uploads(
        &self,
        prefix: &str,
    ) -> ferry::Result<Option<Vec<ferry::store::PendingUpload>>> {
        self.inner.pending_uploads(prefix).await
    }
    async fn copy(&self, from: &str, to: &str) -> ferry::Result<()> {
        self.inner.copy(from, to).await
    }
    async fn delete(&self, key: &str) -> ferry::Result<()> {
        self.inner.delete(key).await
    }
}

/// A create whose answer was lost and which the retry sent again: the first upload exists
/// on the server and nowhere else. The copy aborts it (where the server lists pending uploads
/// with their times) and succeeds in any case.
pub async fn lost_create_answer_leaves_no_upload(server: &Server) {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("src");
    let data = bytes(61, (12 << 20) + 3);
    write(&src.join("big.sst"), &data);
    let remote = server.location(&random_prefix("lost-create"));
    let lossy = Location {
        backend: ferry::store::layer::resolved(
            Arc::new(LosesFirstCreate {
                inner: remote.backend.clone(),
                lost: Default::default(),
            }),
            &ferry::retry::RetryPolicy::quick(),
        ),
        ..remote.clone()
    };
    let mut opts = options(&dir.path().join("state"));
    opts.chunk_size = Some(CHUNK as u64);
    copy(&Location::local(&src), &lossy, &opts)
        .await
        .unwrap_or_else(|e| panic!("{}: the retried create must succeed: {e}", server.name));
    if let Some(pending) = server.pending_uploads(&remote.root).await {
        let expected = if server.real_upload_times {
            vec![]
        } else {
            // Begun "in 2010", before the intent: kept.
            vec![remote.key("big.sst")]
        };
        assert_eq!(pending, expected, "{}", server.name);
    }
    assert_downloads_as(&remote, &src, dir.path(), server).await;
    if let Some(pending) = remote
        .backend
        .pending_uploads(&remote.root)
        .await
        .expect("list")
    {
        for u in pending {
            remote
                .backend
                .abort_upload(&u.key, &u.upload)
                .await
                .expect("abort");
        }
    }
}
