//! The engine's paths under plain `cargo test`, with no server: on local trees and on
//! Ferry's in-memory store, which behaves as a strict S3 (chunked uploads, pending-upload
//! listing, server-side copy, stored SHA-256). Settings the CLI does not expose (the
//! in-flight budget) are set here too.

mod abort;
#[path = "../common/mod.rs"]
mod common;
mod hash_on_the_way;
mod incremental;
mod integrity;
mod intercept;
mod memory_store;
mod resume;
mod skip;
mod support;

use std::time::Duration;

use ferry::engine::{Context, Options, Transfer};
use ferry::store::Location;

use common::*;

/// A resumed copy whose destination already holds files of the same size must hash those
/// destination files to know whether they are the same. That takes budget; a file that held
/// its whole read in the budget while doing so waited forever once two files held it all
/// (found by tests/torture/run on W1: the last run after a kill hung with no CPU).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_sized_files_at_the_destination_do_not_exhaust_the_budget() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("src");
    let dst = dir.path().join("dst");
    const SIZE: usize = 1 << 20;
    for i in 0..6u64 {
        write(&src.join(format!("f{i}.sst")), &bytes(i, SIZE));
        // Same size, other content: each must be compared by SHA-256, then replaced.
        write(&dst.join(format!("f{i}.sst")), &bytes(100 + i, SIZE));
    }
    let options = Options {
        retry: ferry::retry::RetryPolicy::quick(),
        // Two whole files fill it; files up to this size go in one request.
        max_in_flight: 2 * SIZE as u64,
        upload_cutoff: Some(SIZE as u64),
        transfers: 4,
        ..Options::default()
    };
    let (src_loc, dst_loc) = (Location::local(&src), Location::local(&dst));
    let context = Context::new().with_state_dir(dir.path().join("state"));
    let t = Transfer::new(&src_loc, &dst_loc, &options, context);
    let summary = tokio::time::timeout(Duration::from_secs(60), t.copy_tree())
        .await
        .expect("the copy ends (no deadlock on the in-flight budget)")
        .expect("copy");
    assert_eq!(summary.copied, 6);
    assert_eq!(tree_digest(&src), tree_digest(&dst));
}
