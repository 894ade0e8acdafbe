//! A transfer cut after some parts resumes with exactly the parts its journal does not hold.

use ferry::store::{Backend, Location};

use super::common::{bytes, staged_files, write};
use super::intercept::{Call, Intercept, refusing_part};
use super::support::*;

/// Where the file comes from and goes to.
#[derive(Debug, Clone, Copy)]
enum Side {
    Local,
    Memory,
}

/// Ten and a bit chunks; the destination refuses the fourth part it is sent (one part at a
/// time, so three are stored and journalled before), and the run fails. The second run must send every other part,
/// once, and nothing that the journal holds; the result is whole and nothing is left pending.
async fn cut_and_resume(from: Side, to: Side) {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state");
    let data = bytes(1, (10 * CHUNK + 100) as usize);
    let size = data.len() as u64;
    let memory = store();
    let location = |side: Side, name: &str| match side {
        Side::Local => Location::local(dir.path().join(name)),
        Side::Memory => memory.location(name),
    };
    let (src, dst) = (location(from, "src"), location(to, "dst"));
    match from {
        Side::Local => write(&dir.path().join("src/big.sst"), &data),
        Side::Memory => memory
            .put(&src.key("big.sst"), data.clone().into(), &sha(&data))
            .await
            .expect("put"),
    }
    let opts = options(&state);
    let mut one_at_a_time = opts.clone();
    one_at_a_time.chunk_concurrency = 1;

    let (cut_dst, _) = through(&dst, refusing_part(3, &dst));
    let first = copy(&src, &cut_dst, &one_at_a_time).await;
    assert!(
        first.result.is_err(),
        "the cut run fails: {:?}",
        first.result
    );
    assert!(read(&dst, "big.sst").await.is_none(), "nothing published");
    let journalled = journalled_parts(&state, "big.sst");
    assert_eq!(journalled, [0, 1, 2]);

    let (dst_seen, seen) = through(&dst, Intercept::recording(dst.backend.clone()));
    let second = copy(&src, &dst_seen, &opts).await;
    let summary = second.result.expect("the resumed run succeeds");
    assert_eq!(summary.copied, 1);
    let missing: Vec<u64> = (0..11).filter(|i| !journalled.contains(i)).collect();
    assert_eq!(seen.parts_sent(), missing, "only the parts not journalled");
    assert_eq!(
        second.sent,
        missing.iter().map(|&i| part_len(size, i)).sum::<u64>(),
        "bytes sent again"
    );
    assert!(
        !seen.calls().iter().any(|c| matches!(c, Call::Create(_))),
        "the upload of the first run is continued"
    );
    assert_eq!(read(&dst, "big.sst").await, Some(data), "whole and right");
    assert!(pending(&memory).await.is_empty(), "no upload left pending");
    assert!(staged_files(dir.path()).is_empty(), "no staged file left");
    assert!(no_journal(&state));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_resumes_with_the_parts_not_journalled() {
    cut_and_resume(Side::Local, Side::Memory).await;
}

/// The source stores the SHA-256, so the resumed parts are read back from the staged
/// upload (the memory store can) and hashed with the rest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_copy_resumes_with_the_parts_not_journalled() {
    cut_and_resume(Side::Memory, Side::Memory).await;
}

/// Into a local staged file, read back on resume.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn download_resumes_with_the_parts_not_journalled() {
    cut_and_resume(Side::Memory, Side::Local).await;
}

/// A source that changed between the runs is not continued: the old upload is aborted and
/// the file sent whole, with its new content.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_source_is_sent_afresh_and_the_old_upload_aborted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state");
    let path = dir.path().join("src/big.sst");
    write(&path, &bytes(2, (6 * CHUNK) as usize));
    let memory = store();
    let (src, dst) = (
        Location::local(dir.path().join("src")),
        memory.location("dst"),
    );
    let opts = options(&state);
    let (cut_dst, _) = through(&dst, refusing_part(2, &dst));
    assert!(copy(&src, &cut_dst, &opts).await.result.is_err());
    let old = pending(&memory).await;
    assert_eq!(old.len(), 1, "{old:?}");

    let changed = bytes(3, (6 * CHUNK) as usize);
    write(&path, &changed);
    let (dst_seen, seen) = through(&dst, Intercept::recording(dst.backend.clone()));
    let again = copy(&src, &dst_seen, &opts).await;
    again.result.expect("the second run succeeds");
    assert_eq!(seen.parts_sent(), (0..6).collect::<Vec<_>>(), "every part");
    assert_eq!(read(&dst, "big.sst").await, Some(changed));
    assert!(
        pending(&memory).await.is_empty(),
        "the old upload is aborted"
    );
    assert!(no_journal(&state));
}
