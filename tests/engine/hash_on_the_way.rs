//! A large file whose SHA-256 nobody knows, going to a local destination that does not hold
//! it, is read once: hashed on its way into the staged file, published after the last byte.

use ferry::store::Location;

use super::common::{bytes, staged_files, write};
use super::intercept::{Call, Intercept, refusing_part};
use super::support::*;

/// Reads the recorder saw: one per part, none to hash the file first.
fn reads(seen: &Intercept) -> usize {
    seen.calls()
        .iter()
        .filter(|c| matches!(c, Call::Get(_)))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_copy_reads_the_source_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = bytes(40, (5 * CHUNK + 7) as usize);
    write(&dir.path().join("src/deep/big.sst"), &data);
    let src = Location::local(dir.path().join("src"));
    let dst = Location::local(dir.path().join("dst"));
    let (src_seen, seen) = through(&src, Intercept::recording(src.backend.clone()));
    let outcome = copy(&src_seen, &dst, &options(&dir.path().join("state"))).await;
    let summary = outcome.result.expect("copy");
    assert_eq!(summary.copied, 1);
    assert_eq!(
        summary.sha256["deep/big.sst"],
        sha(&data),
        "the SHA-256 of the bytes"
    );
    assert_eq!(reads(&seen), 6, "one read per part: {:?}", seen.calls());
    assert_eq!(read(&dst, "deep/big.sst").await, Some(data));
    assert!(staged_files(dir.path()).is_empty(), "no staged file left");

    // A rerun must compare with what is there now: the source is hashed, nothing written.
    let (src_seen, seen) = through(&src, Intercept::recording(src.backend.clone()));
    let (dst_seen, written) = through(&dst, Intercept::recording(dst.backend.clone()));
    let again = copy(&src_seen, &dst_seen, &options(&dir.path().join("state"))).await;
    assert_eq!(again.result.expect("rerun").skipped, 1);
    assert!(reads(&seen) > 0, "hashed to compare");
    assert!(written.writes().is_empty(), "{:?}", written.calls());
}

/// Cut after three parts, the copy resumes into the same staged file: the parts already
/// there are read back and hashed with the rest, and only the others are written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cut_local_copy_resumes_and_hashes_every_byte() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state");
    let data = bytes(41, (6 * CHUNK + 3) as usize);
    write(&dir.path().join("src/big.sst"), &data);
    let src = Location::local(dir.path().join("src"));
    let dst = Location::local(dir.path().join("dst"));
    let mut one_at_a_time = options(&state);
    one_at_a_time.chunk_concurrency = 1;
    let (cut_dst, _) = through(&dst, refusing_part(3, &dst));
    assert!(copy(&src, &cut_dst, &one_at_a_time).await.result.is_err());
    assert!(read(&dst, "big.sst").await.is_none(), "nothing published");
    assert_eq!(journalled_parts(&state, "big.sst"), [0, 1, 2]);

    let (dst_seen, seen) = through(&dst, Intercept::recording(dst.backend.clone()));
    let second = copy(&src, &dst_seen, &options(&state)).await;
    let summary = second.result.expect("resumed");
    assert_eq!(summary.sha256["big.sst"], sha(&data));
    assert_eq!(
        seen.parts_sent(),
        [3, 4, 5, 6],
        "only the parts not journalled"
    );
    assert!(
        !seen.calls().iter().any(|c| matches!(c, Call::Create(_))),
        "the staged file of the first run is continued"
    );
    assert_eq!(read(&dst, "big.sst").await, Some(data));
    assert!(staged_files(dir.path()).is_empty(), "no staged file left");
    assert!(no_journal(&state));
}

/// A source rewritten between the runs (another version) is not continued: its staged
/// bytes are of the old one. It is written whole, with the new content and its SHA-256.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_local_source_starts_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state");
    let path = dir.path().join("src/big.sst");
    write(&path, &bytes(42, (4 * CHUNK) as usize));
    let src = Location::local(dir.path().join("src"));
    let dst = Location::local(dir.path().join("dst"));
    let (cut_dst, _) = through(&dst, refusing_part(2, &dst));
    assert!(copy(&src, &cut_dst, &options(&state)).await.result.is_err());

    let changed = bytes(43, (4 * CHUNK) as usize);
    write(&path, &changed);
    // A later mtime whatever the clock's granularity: the version changes.
    let later = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .expect("mtime")
        + std::time::Duration::from_secs(1);
    std::fs::File::options()
        .write(true)
        .open(&path)
        .and_then(|f| f.set_modified(later))
        .expect("set mtime");
    let (dst_seen, seen) = through(&dst, Intercept::recording(dst.backend.clone()));
    let again = copy(&src, &dst_seen, &options(&state)).await;
    assert_eq!(
        again.result.expect("again").sha256["big.sst"],
        sha(&changed)
    );
    assert_eq!(seen.parts_sent(), [0, 1, 2, 3], "every part");
    assert_eq!(read(&dst, "big.sst").await, Some(changed));
    assert!(
        staged_files(dir.path()).is_empty(),
        "the old staged file is gone"
    );
}
