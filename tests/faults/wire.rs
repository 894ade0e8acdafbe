//! Copies through the fault proxy, up and down, against s3s-fs (checks signatures and
//! checksums) and moto (checks neither).

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::time::Duration;

use ferry::engine;
use ferry::retry::RetryPolicy;
use ferry::store::Location;
use serde_json::json;

use crate::common::{Opts, bytes, copy_tree, staged_files, tree_digest, write};
use crate::proxy::{ALL_WIRE_FAULTS, Fault, FaultProxy, Filter, Plan, object_reads, writes};
use crate::servers::{Server, random_prefix};

/// Ferry's request timeout in these tests; stalls last longer.
const TIMEOUT: Duration = Duration::from_secs(1);
const STALL: Duration = Duration::from_millis(1500);
/// Longest any copy here may take: a hang fails the test instead of the CI job.
const BOUND: Duration = Duration::from_secs(60);

fn servers() -> [Server; 2] {
    [
        Server::s3("s3s-fs", "S3S", false),
        Server::s3("moto", "MOTO", true),
    ]
}

fn policy() -> RetryPolicy {
    RetryPolicy {
        max_retries: 4,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(100),
        base: 2.0,
        request_timeout: TIMEOUT,
    }
}

fn options(state: &Path) -> Opts {
    Opts::new(state, policy())
}

/// The same server, reached through `proxy`.
fn through(server: &Server, proxy: &FaultProxy) -> Server {
    let mut via = server.clone();
    via.section["endpoint"] = json!(proxy.url());
    via
}

/// Many small files (many requests, so many faults), one chunked file (3 parts at 5 MiB),
/// one single-request file, an empty one.
fn sample_tree(root: &Path) {
    for i in 0..24 {
        write(
            &root.join(format!("small/{i:02} #%+.bin")),
            &bytes(i, 3_000 + 97 * i as usize),
        );
    }
    write(&root.join("chunked.sst"), &bytes(100, (11 << 20) + 3));
    write(&root.join("single"), &bytes(101, 2 << 20));
    write(&root.join("empty"), b"");
}

async fn copy(src: &Location, dst: &Location, options: &Opts) -> ferry::Result<engine::Summary> {
    tokio::time::timeout(BOUND, copy_tree(src, dst, options))
        .await
        .unwrap_or_else(|_| panic!("copy {src:?} -> {dst:?} still running after {BOUND:?}"))
}

/// Every object the server holds under `remote` (read directly, not through the proxy) has
/// exactly the bytes of the same file under `src`. Returns how many there are.
async fn remote_objects_are_correct(src: &Path, remote: &Location) -> usize {
    let listing = remote.backend.list(&remote.root).await.expect("list");
    for o in &listing {
        let want = fs::read(src.join(&o.key)).expect("source file");
        let got = if o.size == 0 {
            bytes::Bytes::new()
        } else {
            remote
                .backend
                .get_range(&remote.key(&o.key), 0..o.size, None)
                .await
                .expect("read back")
        };
        assert!(got[..] == want[..], "{}: wrong data published", o.key);
    }
    listing.len()
}

/// Every file published under `dst` (staged files aside) has exactly the bytes of the same
/// file under `src`. Returns how many there are.
fn local_files_are_correct(src: &Path, dst: &Path) -> usize {
    if !dst.exists() {
        return 0;
    }
    let digest: BTreeMap<_, _> = tree_digest(src).into_iter().collect();
    let published: Vec<_> = tree_digest(dst)
        .into_iter()
        .filter(|(k, _)| !k.ends_with(".ferry-part"))
        .collect();
    for (key, sha) in &published {
        assert_eq!(digest.get(key), Some(sha), "{key}: wrong data published");
    }
    published.len()
}

fn report(name: &str, proxy: &FaultProxy) {
    eprintln!(
        "fault proxy [{name}]: {} requests, faults injected {:?}",
        proxy.requests(),
        proxy.injected()
    );
}

/// With a fault on 30% of the requests (each getting through after a few attempts), an
/// upload and a download through the proxy complete and move the exact bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moderate_wire_faults_still_move_every_byte() {
    for server in servers() {
        let dir = tempfile::tempdir().expect("tempdir");
        let src = dir.path().join("src");
        sample_tree(&src);
        let prefix = random_prefix("wire");
        let mut plan = Plan::moderate(7, ALL_WIRE_FAULTS, STALL);
        plan.unstable.push(prefix.clone());
        let proxy = FaultProxy::start(&server.endpoint, plan).await;
        let remote = through(&server, &proxy).location_with(&prefix, &policy());
        let direct = server.location(&prefix);
        let opts = options(&dir.path().join("state"));

        copy(&Location::local(&src), &remote, &opts)
            .await
            .unwrap_or_else(|e| panic!("{}: upload through faults: {e}", server.name));
        let checked = engine::check(&Location::local(&src), &direct, &opts)
            .await
            .expect("check");
        assert!(checked.is_match(), "{}: {checked:?}", server.name);

        let down = dir.path().join("down");
        copy(&remote, &Location::local(&down), &opts)
            .await
            .unwrap_or_else(|e| panic!("{}: download through faults: {e}", server.name));
        assert_eq!(tree_digest(&src), tree_digest(&down), "{}", server.name);
        assert!(staged_files(&down).is_empty(), "{}", server.name);

        report(server.name, &proxy);
        let injected = proxy.injected();
        for kind in ALL_WIRE_FAULTS {
            assert!(
                injected.get(kind).is_some_and(|n| *n > 0),
                "{}: seed 7 no longer injects {kind:?}: {injected:?}",
                server.name
            );
        }
    }
}

/// One permanent fault per run: the copy fails within the retry budget, names what failed,
/// and whatever reached the other side holds the right bytes.
async fn fails_cleanly(server: &Server, kind: Fault, only: Filter, upload: bool) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("src");
    write(&src.join("a/one"), &bytes(1, 40_000));
    write(&src.join("chunked"), &bytes(2, (5 << 20) + 10));
    let prefix = random_prefix("permanent");
    let direct = server.location(&prefix);
    let opts = options(&dir.path().join("state"));
    if !upload {
        copy(&Location::local(&src), &direct, &opts)
            .await
            .expect("seed the repository");
    }
    let proxy = FaultProxy::start(&server.endpoint, Plan::permanent(kind, only, STALL)).await;
    let remote = through(server, &proxy).location_with(&prefix, &policy());
    let down = dir.path().join("down");
    let local = Location::local(if upload { &src } else { &down });
    let (from, to) = if upload {
        (&local, &remote)
    } else {
        (&remote, &local)
    };
    let err = copy(from, to, &opts)
        .await
        .expect_err("a permanent fault must fail the copy");
    report(&format!("{} permanent {kind:?}", server.name), &proxy);
    assert!(proxy.total_injected() > 0, "{kind:?}: nothing injected");
    if upload {
        remote_objects_are_correct(&src, &direct).await;
    } else {
        local_files_are_correct(&src, &down);
    }
    let message = err.to_string();
    assert!(
        message.contains("one") || message.contains("chunked") || message.contains(&prefix),
        "{kind:?}: the error names no file: {message}"
    );
    message
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permanent_wire_faults_fail_clearly_within_the_retry_budget() {
    let server = Server::s3("moto", "MOTO", true);
    let expect: [(Fault, &[&str]); 5] = [
        (Fault::Unavailable, &["503", "SlowDown"]),
        (Fault::ResetRequest, &["connection", "reset", "send"]),
        (
            Fault::ResetResponse,
            &["connection", "reset", "body", "truncated"],
        ),
        (Fault::Stall, &["timed out", "timeout"]),
        (Fault::Truncate, &["body", "truncated"]),
    ];
    for (kind, words) in expect {
        for (upload, only) in [(false, object_reads as Filter), (true, writes as Filter)] {
            let message = fails_cleanly(&server, kind, only, upload).await;
            eprintln!("permanent {kind:?}, upload {upload}: {message}");
            let lower = message.to_lowercase();
            // An upload's first failure is a PUT of `a/one` or the create of `chunked`'s
            // upload, whichever gives up first; a PUT's answer has no body, and the proxy
            // truncates an empty answer by resetting the connection.
            let words: &[&str] = match (kind, upload) {
                (Fault::Truncate, true) => &["body", "truncated", "reset"],
                _ => words,
            };
            assert!(
                words.iter().any(|w| lower.contains(&w.to_lowercase())),
                "{kind:?} ({}): unclear error: {message}",
                if upload { "upload" } else { "download" }
            );
        }
    }
}

/// A bit flipped on the wire (TCP's checksum can miss it) is caught by the SHA-256: the
/// download fails as an integrity error naming the file, and publishes nothing wrong.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flipped_bits_on_the_wire_never_reach_the_disk() {
    for server in servers() {
        let dir = tempfile::tempdir().expect("tempdir");
        let src = dir.path().join("src");
        write(&src.join("small"), &bytes(3, 10_000));
        write(&src.join("chunked"), &bytes(4, (10 << 20) + 1));
        let prefix = random_prefix("flip");
        let direct = server.location(&prefix);
        let opts = options(&dir.path().join("state"));
        copy(&Location::local(&src), &direct, &opts)
            .await
            .expect("seed the repository");
        let plan = Plan::permanent(Fault::Flip, object_reads, STALL);
        let proxy = FaultProxy::start(&server.endpoint, plan).await;
        let remote = through(&server, &proxy).location_with(&prefix, &policy());
        let down = dir.path().join("down");
        let err = copy(&remote, &Location::local(&down), &opts)
            .await
            .expect_err("flipped bits must fail the download");
        report(&format!("{} flip", server.name), &proxy);
        match &err {
            ferry::Error::Integrity { path, .. } => assert!(
                path.ends_with("small") || path.ends_with("chunked"),
                "{}: {err}",
                server.name
            ),
            other => panic!("{}: expected an integrity error, got {other}", server.name),
        }
        assert_eq!(local_files_are_correct(&src, &down), 0, "{}", server.name);
    }
}

/// CompleteMultipartUpload requests (POST with an upload id).
fn completions(method: &hyper::Method, path_and_query: &str) -> bool {
    method == hyper::Method::POST && path_and_query.contains("uploadId=")
}

/// The answer to a CompleteMultipartUpload is lost after the server completed the upload:
/// the retry finds no such upload any more, and the object is there, whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_to_a_completed_upload() {
    for server in servers() {
        let dir = tempfile::tempdir().expect("tempdir");
        let src = dir.path().join("src");
        write(&src.join("chunked"), &bytes(5, (5 << 20) + 10));
        let prefix = random_prefix("complete");
        let mut plan = Plan::moderate(1, &[Fault::ResetResponse], STALL);
        plan.rate = 1.0;
        plan.only = completions;
        let proxy = FaultProxy::start(&server.endpoint, plan).await;
        let remote = through(&server, &proxy).location_with(&prefix, &policy());
        let result = copy(
            &Location::local(&src),
            &remote,
            &options(&dir.path().join("state")),
        )
        .await;
        report(&format!("{} lost completion", server.name), &proxy);
        assert_eq!(proxy.total_injected(), 1);
        let direct = server.location(&prefix);
        assert_eq!(
            remote_objects_are_correct(&src, &direct).await,
            1,
            "{}",
            server.name
        );
        result.unwrap_or_else(|e| panic!("{}: {e}", server.name));
    }
}
