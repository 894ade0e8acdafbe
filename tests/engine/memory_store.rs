//! The in-memory store is as strict as S3, so that a test passing on it means something.

use bytes::Bytes;
use ferry::store::Backend;

use super::common::bytes;
use super::support::*;

fn part(seed: u64, len: u64) -> Bytes {
    Bytes::from(bytes(seed, len as usize))
}

#[tokio::test]
async fn every_write_changes_the_version() {
    let memory = store();
    let mut seen = Vec::new();
    for round in 0..3 {
        memory.put("k", part(1, 10), &sha(b"x")).await.expect("put");
        seen.push(memory.stat("k").await.expect("stat").expect("exists").etag);
        if round == 2 {
            memory.copy("k", "k2").await.expect("copy");
            memory.copy("k2", "k").await.expect("copy back");
            seen.push(memory.stat("k").await.expect("stat").expect("exists").etag);
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "{seen:?}");
    let old = seen[0].as_deref();
    let err = memory
        .get_range("k", 0..5, old)
        .await
        .expect_err("stale version");
    assert!(err.is_refused(), "{err}");
    let now = seen.last().expect("one").as_deref();
    assert_eq!(
        memory.get_range("k", 0..5, now).await.expect("get"),
        part(1, 10).slice(0..5)
    );
}

#[tokio::test]
async fn an_upload_is_invisible_until_complete_and_then_whole() {
    let memory = store();
    let size = 2 * CHUNK + 10;
    let upload = memory
        .create_upload("a/b", size, &sha(b"claimed"))
        .await
        .expect("create");
    let mut ids = Vec::new();
    // Out of order, as parallel parts arrive.
    for i in [2u64, 0, 1] {
        let len = part_len(size, i);
        let id = memory
            .put_part("a/b", &upload, i, i * CHUNK, part(i, len))
            .await
            .expect("part");
        ids.push((i, id));
        assert!(
            memory.stat("a/b").await.expect("stat").is_none(),
            "not before complete"
        );
        assert!(memory.list("a").await.expect("list").is_empty());
    }
    let staged = memory
        .read_staged("a/b", &upload, CHUNK..CHUNK + 4)
        .await
        .expect("staged");
    assert_eq!(staged, Some(part(1, CHUNK).slice(0..4)));
    let listed = pending(&memory).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].key.as_str(), listed[0].upload.as_str()),
        ("a/b", upload.as_str())
    );
    assert!(listed[0].initiated.is_some());

    ids.sort();
    let ids: Vec<String> = ids.into_iter().map(|(_, id)| id).collect();
    memory
        .complete_upload("a/b", &upload, ids)
        .await
        .expect("complete");
    let stat = memory.stat("a/b").await.expect("stat").expect("published");
    assert_eq!(stat.size, size);
    assert_eq!(
        stat.sha256,
        Some(sha(b"claimed")),
        "the SHA-256 given at creation"
    );
    let whole = memory.get_range("a/b", 0..size, None).await.expect("get");
    let mut want = part(0, CHUNK).to_vec();
    want.extend_from_slice(&part(1, CHUNK));
    want.extend_from_slice(&part(2, 10));
    assert_eq!(whole.to_vec(), want);
    assert!(pending(&memory).await.is_empty());
    let again = memory
        .complete_upload("a/b", &upload, vec![])
        .await
        .expect_err("gone");
    assert!(again.is_not_found(), "{again}");
}

#[tokio::test]
async fn a_completion_that_does_not_match_the_parts_is_refused() {
    let memory = store();
    let size = 2 * CHUNK;
    let upload = memory
        .create_upload("k", size, &sha(b"x"))
        .await
        .expect("create");
    let first = memory
        .put_part("k", &upload, 0, 0, part(0, CHUNK))
        .await
        .expect("part");
    // A part missing, then a stale id (the part was sent again since), then a short part.
    let missing = memory
        .complete_upload("k", &upload, vec![first.clone()])
        .await;
    assert!(missing.expect_err("missing part").is_refused());
    let second = memory
        .put_part("k", &upload, 1, CHUNK, part(1, CHUNK))
        .await
        .expect("part");
    memory
        .put_part("k", &upload, 0, 0, part(0, CHUNK))
        .await
        .expect("part again");
    let stale = memory
        .complete_upload("k", &upload, vec![first, second.clone()])
        .await;
    assert!(stale.expect_err("stale part id").is_refused());
    let short = memory
        .put_part("k", &upload, 0, 0, part(0, 10))
        .await
        .expect("short part");
    let refused = memory
        .complete_upload("k", &upload, vec![short, second])
        .await;
    assert!(refused.expect_err("short part").is_refused());
    assert!(
        memory.stat("k").await.expect("stat").is_none(),
        "nothing published"
    );
    memory.abort_upload("k", &upload).await.expect("abort");
    memory
        .abort_upload("k", &upload)
        .await
        .expect("abort twice");
    assert!(pending(&memory).await.is_empty());
}
