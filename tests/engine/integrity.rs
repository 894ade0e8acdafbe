//! Data that does not match its SHA-256 is an integrity error, and nothing of it is published.

use std::sync::atomic::Ordering;

use ferry::engine::FileSpec;
use ferry::store::{Backend, Location};

use super::common::{bytes, staged_files, write};
use super::intercept::{Call, Intercept};
use super::support::*;

fn flipped(data: &[u8], at: usize) -> Vec<u8> {
    let mut out = data.to_vec();
    out[at] ^= 0x10;
    out
}

fn assert_integrity(outcome: &Outcome, key: &str) {
    match &outcome.result {
        Err(ferry::Error::Integrity { path, .. }) => assert!(path.ends_with(key), "{path}"),
        other => panic!("expected an integrity error for {key}, got {other:?}"),
    }
}

/// An object whose stored SHA-256 was taken before a byte of it flipped (bit rot, or a
/// tool that rewrote it): every part is sent, the hash of what was sent differs, and the
/// upload is aborted instead of completed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flipped_byte_in_a_chunked_source_publishes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let memory = store();
    let (src, dst) = (memory.location("src"), memory.location("dst"));
    let good = bytes(10, (5 * CHUNK + 7) as usize);
    let bad = flipped(&good, (3 * CHUNK + 5) as usize);
    memory
        .put(&src.key("big.sst"), bad.into(), &sha(&good))
        .await
        .expect("put");
    let (dst_seen, seen) = through(&dst, Intercept::recording(dst.backend.clone()));
    let outcome = copy(&src, &dst_seen, &options(&dir.path().join("state"))).await;
    assert_integrity(&outcome, "big.sst");
    assert_eq!(
        seen.parts_sent().len(),
        6,
        "the parts went, {:?}",
        seen.calls()
    );
    assert!(
        !seen.calls().iter().any(|c| matches!(c, Call::Complete(_))),
        "never completed"
    );
    assert!(read(&dst, "big.sst").await.is_none(), "nothing published");
    assert!(pending(&memory).await.is_empty(), "the upload is aborted");
}

/// The same into a local directory: no file, no staged data left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flipped_byte_in_a_download_publishes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let memory = store();
    let src = memory.location("src");
    let good = bytes(11, (4 * CHUNK) as usize);
    memory
        .put(&src.key("big.sst"), flipped(&good, 17).into(), &sha(&good))
        .await
        .expect("put");
    let down = dir.path().join("down");
    let outcome = copy(
        &src,
        &Location::local(&down),
        &options(&dir.path().join("state")),
    )
    .await;
    assert_integrity(&outcome, "big.sst");
    assert!(!down.join("big.sst").exists(), "nothing published");
    assert!(staged_files(&down).is_empty(), "no staged data left");
}

/// A local file whose manifest SHA-256 was taken before a byte flipped: refused before it is
/// sent in one request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flipped_byte_against_a_manifest_is_not_sent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = bytes(12, 1000);
    write(&dir.path().join("src/small"), &flipped(&good, 999));
    let memory = store();
    let dst = memory.location("dst");
    let (dst_seen, seen) = through(&dst, Intercept::recording(dst.backend.clone()));
    let run = Run {
        files: Some(vec![FileSpec {
            key: "small".into(),
            size: 1000,
            sha256: Some(sha(&good)),
        }]),
        ..Run::default()
    };
    let src = Location::local(dir.path().join("src"));
    let outcome = run
        .copy(&src, &dst_seen, &options(&dir.path().join("state")))
        .await;
    assert_integrity(&outcome, "small");
    assert!(seen.writes().is_empty(), "nothing sent: {:?}", seen.calls());
    assert!(read(&dst, "small").await.is_none());
}

/// A local file rewritten while it is sent, after its SHA-256 was read: only its version
/// (mtime and size) tells, since the bytes sent are not hashed again. The transfer fails
/// instead of publishing a mix of the two versions under the first one's SHA-256.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn source_rewritten_mid_transfer_publishes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("src/big.sst");
    write(&path, &bytes(13, (4 * CHUNK) as usize));
    let memory = store();
    let dst = memory.location("dst");
    let rewritten = std::sync::atomic::AtomicBool::new(false);
    let file = path.clone();
    let (dst_hooked, _) = through(
        &dst,
        Intercept::new(
            dst.backend.clone(),
            Box::new(move |call| {
                if matches!(call, Call::Part(..)) && !rewritten.swap(true, Ordering::SeqCst) {
                    let mtime = std::fs::metadata(&file).and_then(|m| m.modified());
                    write(&file, &bytes(14, (4 * CHUNK) as usize));
                    // A later mtime whatever the clock's granularity: the version changes.
                    let later = mtime.expect("mtime") + std::time::Duration::from_secs(1);
                    std::fs::File::options()
                        .write(true)
                        .open(&file)
                        .and_then(|f| f.set_modified(later))
                        .expect("set mtime");
                }
                Ok(())
            }),
        ),
    );
    let mut opts = options(&dir.path().join("state"));
    // One part at a time: the second is read after the rewrite.
    opts.chunk_concurrency = 1;
    let src = Location::local(dir.path().join("src"));
    let outcome = copy(&src, &dst_hooked, &opts).await;
    assert!(outcome.result.is_err(), "{:?}", outcome.result);
    assert!(read(&dst, "big.sst").await.is_none(), "nothing published");
}
