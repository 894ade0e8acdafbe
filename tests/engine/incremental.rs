//! Content the destination's store already holds (an earlier backup) is copied inside the
//! store, not sent again.

use std::collections::HashMap;

use ferry::store::Location;

use super::common::{bytes, write};
use super::intercept::{Call, Intercept};
use super::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn known_content_is_copied_server_side() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state");
    let src_dir = dir.path().join("src");
    write(
        &src_dir.join("big.sst"),
        &bytes(40, (3 * CHUNK + 9) as usize),
    );
    write(&src_dir.join("small"), &bytes(41, 500));
    let src = Location::local(&src_dir);
    let memory = store();
    let (one, two) = (
        memory.location("backups/one"),
        memory.location("backups/two"),
    );
    let first = copy(&src, &one, &options(&state)).await;
    let first = first.result.expect("first backup");
    // A new file in the second backup, which must be sent.
    write(&src_dir.join("new"), &bytes(42, 700));

    let known: HashMap<String, String> = first
        .sha256
        .iter()
        .map(|(k, s)| (s.clone(), one.key(k)))
        .collect();
    let (two_seen, seen) = through(&two, Intercept::recording(two.backend.clone()));
    let run = Run {
        known,
        ..Run::default()
    };
    let second = run.copy(&src, &two_seen, &options(&state)).await;
    let summary = second.result.expect("second backup");
    assert_eq!(
        (summary.server_side_copied, summary.copied),
        (2, 1),
        "{summary:?}"
    );
    assert_eq!(second.sent, 700, "only the new file's bytes");
    let mut copies: Vec<Call> = seen
        .calls()
        .into_iter()
        .filter(|c| matches!(c, Call::Copy(..)))
        .collect();
    copies.sort_by_key(|c| format!("{c:?}"));
    assert_eq!(
        copies,
        vec![
            Call::Copy(one.key("big.sst"), two.key("big.sst")),
            Call::Copy(one.key("small"), two.key("small")),
        ]
    );
    assert_eq!(seen.writes(), vec![Call::Put(two.key("new"))]);
    for name in ["big.sst", "small", "new"] {
        let want = std::fs::read(src_dir.join(name)).expect("read");
        assert_eq!(read(&two, name).await, Some(want), "{name}");
    }
}

/// A known object that no longer holds what the repository's `SHA256SUMS` says (changed by
/// someone, or gone) is a wrong shortcut: the file is sent instead, and the destination ends
/// up with the right bytes, never with the copy of the wrong object.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_or_missing_known_content_is_sent_instead() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state");
    let src_dir = dir.path().join("src");
    write(&src_dir.join("changed"), &bytes(50, 900));
    write(&src_dir.join("gone"), &bytes(51, 800));
    let src = Location::local(&src_dir);
    let memory = store();
    let (one, two) = (
        memory.location("backups/one"),
        memory.location("backups/two"),
    );
    copy(&src, &one, &options(&state))
        .await
        .result
        .expect("first backup");
    // The earlier backup's objects change behind the manifest's back: one is overwritten with
    // other bytes (and their own SHA-256, as a Ferry upload would record), one is deleted.
    let other = bytes(52, 900);
    one.backend
        .put(&one.key("changed"), other.clone().into(), &sha(&other))
        .await
        .expect("overwrite");
    one.backend.delete(&one.key("gone")).await.expect("delete");

    let known: HashMap<String, String> = ["changed", "gone"]
        .iter()
        .map(|name| {
            let data = std::fs::read(src_dir.join(name)).expect("read");
            (sha(&data), one.key(name))
        })
        .collect();
    let run = Run {
        known,
        ..Run::default()
    };
    let second = run.copy(&src, &two, &options(&state)).await;
    let summary = second.result.expect("second backup completes");
    assert_eq!(
        (summary.server_side_copied, summary.copied),
        (0, 2),
        "{summary:?}"
    );
    for name in ["changed", "gone"] {
        let want = std::fs::read(src_dir.join(name)).expect("read");
        assert_eq!(read(&two, name).await, Some(want), "{name}");
    }
}
