//! A rerun over a destination that already holds the same content sends nothing.

use ferry::store::Location;

use super::common::{bytes, write};
use super::intercept::Intercept;
use super::support::*;

/// A small file, a chunked one and an empty one.
fn tree(root: &std::path::Path) {
    write(&root.join("small"), &bytes(30, 1000));
    write(
        &root.join("deep/big.sst"),
        &bytes(31, (3 * CHUNK + 1) as usize),
    );
    write(&root.join("empty"), b"");
}

/// Runs the copy a second time through a recorder and checks that it wrote nothing.
async fn rerun_skips(src: &Location, dst: &Location, state: &std::path::Path) {
    let (dst_seen, seen) = through(dst, Intercept::recording(dst.backend.clone()));
    let again = copy(src, &dst_seen, &options(state)).await;
    let summary = again.result.expect("rerun");
    assert_eq!((summary.files, summary.skipped), (3, 3), "{summary:?}");
    assert_eq!(again.sent, 0);
    assert!(seen.writes().is_empty(), "{:?}", seen.calls());
}

/// The tree in `dir/src`, copied once into a memory store's `dst`.
async fn uploaded(dir: &std::path::Path) -> (Location, Location) {
    tree(&dir.join("src"));
    let (src, dst) = (Location::local(dir.join("src")), store().location("dst"));
    let first = copy(&src, &dst, &options(&dir.join("state"))).await;
    assert_eq!(first.result.expect("first").copied, 3);
    (src, dst)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_rerun_skips_everything() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (src, dst) = uploaded(dir.path()).await;
    rerun_skips(&src, &dst, &dir.path().join("state")).await;
}

/// Into a local directory, whose files are hashed to be compared (no stored SHA-256).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn download_rerun_skips_everything() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state");
    let (_, remote) = uploaded(dir.path()).await;
    let down = Location::local(dir.path().join("down"));
    copy(&remote, &down, &options(&state))
        .await
        .result
        .expect("download");
    rerun_skips(&remote, &down, &state).await;
}

/// A file whose content changed (same size) is sent again; the others are skipped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rerun_sends_only_what_changed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state");
    let (src, dst) = uploaded(dir.path()).await;
    let changed = bytes(32, 1000);
    write(&dir.path().join("src/small"), &changed);
    let (dst_seen, seen) = through(&dst, Intercept::recording(dst.backend.clone()));
    let again = copy(&src, &dst_seen, &options(&state)).await;
    let summary = again.result.expect("rerun");
    assert_eq!((summary.copied, summary.skipped), (1, 2), "{summary:?}");
    assert_eq!(again.sent, 1000);
    assert_eq!(
        seen.writes(),
        vec![super::intercept::Call::Put(dst.key("small"))]
    );
    assert_eq!(read(&dst, "small").await, Some(changed));
}
