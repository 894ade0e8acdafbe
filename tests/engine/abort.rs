//! An aborted transfer leaves nothing behind: no pending upload, no object, no journal.

use std::sync::atomic::{AtomicUsize, Ordering};

use ferry::store::{Backend, Location};
use tokio_util::sync::CancellationToken;

use super::common::{bytes, write};
use super::intercept::{Call, Intercept, refusing_part};
use super::support::*;

/// Cancelled while parts of two large files are under way (and after a small file was
/// published, which stays): every upload begun is aborted on the store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_aborts_every_upload_begun() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state");
    for name in ["a.sst", "b.sst"] {
        write(
            &dir.path().join("src").join(name),
            &bytes(20, (8 * CHUNK) as usize),
        );
    }
    let memory = store();
    let dst = memory.location("dst");
    let cancel = CancellationToken::new();
    let (trigger, parts) = (cancel.clone(), AtomicUsize::new(0));
    let (dst_hooked, seen) = through(
        &dst,
        Intercept::new(
            dst.backend.clone(),
            Box::new(move |call| {
                if matches!(call, Call::Part(..)) && parts.fetch_add(1, Ordering::SeqCst) == 4 {
                    trigger.cancel();
                }
                Ok(())
            }),
        ),
    );
    let run = Run {
        cancel,
        ..Run::default()
    };
    let src = Location::local(dir.path().join("src"));
    let outcome = run.copy(&src, &dst_hooked, &options(&state)).await;
    assert!(
        matches!(outcome.result, Err(ferry::Error::Cancelled)),
        "{:?}",
        outcome.result
    );
    let created = seen
        .calls()
        .iter()
        .filter(|c| matches!(c, Call::Create(_)))
        .count();
    assert!(created >= 1, "an upload was begun: {:?}", seen.calls());
    assert!(pending(&memory).await.is_empty(), "every upload aborted");
    assert!(read(&dst, "a.sst").await.is_none() && read(&dst, "b.sst").await.is_none());
    assert!(no_journal(&state), "the journal is removed");
}

/// Cancelled before it starts (a job aborted before its turn): nothing is written at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_before_the_start_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state");
    write(
        &dir.path().join("src/a.sst"),
        &bytes(21, (3 * CHUNK) as usize),
    );
    let memory = store();
    let dst = memory.location("dst");
    let (dst_seen, seen) = through(&dst, Intercept::recording(dst.backend.clone()));
    let run = Run::default();
    run.cancel.cancel();
    let src = Location::local(dir.path().join("src"));
    let outcome = run.copy(&src, &dst_seen, &options(&state)).await;
    assert!(matches!(outcome.result, Err(ferry::Error::Cancelled)));
    assert!(seen.writes().is_empty(), "{:?}", seen.calls());
    assert!(memory.list("").await.expect("list").is_empty());
    assert!(no_journal(&state));
}

/// A run cut with an upload open (journalled for a resume), then a run that is cancelled:
/// the cancel aborts the earlier run's upload too, and removes the journal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_aborts_an_earlier_runs_upload() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state");
    write(
        &dir.path().join("src/a.sst"),
        &bytes(22, (5 * CHUNK) as usize),
    );
    let memory = store();
    let (src, dst) = (
        Location::local(dir.path().join("src")),
        memory.location("dst"),
    );
    let (cut_dst, _) = through(&dst, refusing_part(2, &dst));
    assert!(copy(&src, &cut_dst, &options(&state)).await.result.is_err());
    assert_eq!(pending(&memory).await.len(), 1, "left for a resume");

    let run = Run::default();
    run.cancel.cancel();
    let outcome = run.copy(&src, &dst, &options(&state)).await;
    assert!(matches!(outcome.result, Err(ferry::Error::Cancelled)));
    assert!(
        pending(&memory).await.is_empty(),
        "the earlier upload is aborted"
    );
    assert!(no_journal(&state));
}

/// `ferry cleanup`'s work: pending uploads under the location older than the age asked for
/// are aborted, younger ones and those beside the location kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cleanup_aborts_old_uploads_under_the_location_only() {
    let memory = store();
    let (repo, beside) = (memory.location("repo"), memory.location("repo-beside"));
    for key in [repo.key("a/one"), repo.key("two"), beside.key("three")] {
        memory
            .create_upload(&key, 10, &sha(b"x"))
            .await
            .expect("create");
    }
    let hour = std::time::Duration::from_secs(3600);
    let young = ferry::engine::cleanup(&repo, hour).await.expect("cleanup");
    assert_eq!((young.aborted.len(), young.kept), (0, 2), "{young:?}");
    let all = ferry::engine::cleanup(&repo, std::time::Duration::ZERO)
        .await
        .expect("cleanup");
    let mut aborted: Vec<String> = all.aborted.iter().map(|u| u.key.clone()).collect();
    aborted.sort();
    assert_eq!(aborted, [repo.key("a/one"), repo.key("two")]);
    let left: Vec<String> = pending(&memory).await.into_iter().map(|u| u.key).collect();
    assert_eq!(left, [beside.key("three")]);
}
