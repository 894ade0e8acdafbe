//! One large file copied local → local through the engine: the path where a file whose
//! SHA-256 nobody knows is hashed on its way into the destination's staged file.
//!
//! `cargo bench --bench local_copy` copies a 256 MiB file (in /dev/shm when it is there, so the
//! disk does not decide) into a fresh destination per iteration, three ways:
//! - `sha256_unknown`: what `ferry copy` does: read once, hashed in order while written;
//! - `sha256_from_manifest`: a backup's `SHA256SUMS` gives it: read once, hashed, compared;
//! - `hash_first`: a run that knows content elsewhere in the destination (a backup download
//!   with earlier backups) must look the SHA-256 up before sending, so it reads the file
//!   twice: the cost the first way no longer pays.
//!
//! Criterion prints throughput. `cargo test --all-targets` runs each once, as a smoke test;
//! no timing is ever asserted.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sha2::{Digest, Sha256};

use ferry::engine::{Context, FileSpec, Options, Transfer};
use ferry::store::Location;

const SIZE: usize = 256 << 20;

/// Deterministic, incompressible-looking bytes (xorshift).
fn data() -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut v = Vec::with_capacity(SIZE);
    while v.len() < SIZE {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.extend_from_slice(&x.to_le_bytes());
    }
    v
}

fn scratch() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir()
        && let Ok(dir) = tempfile::tempdir_in(shm)
    {
        return dir;
    }
    tempfile::tempdir().expect("tempdir")
}

/// Copies `file` from `src` into a new directory under `root`, then removes that.
fn copy_once(
    rt: &tokio::runtime::Runtime,
    root: &Path,
    src: &Location,
    file: &FileSpec,
    known: &HashMap<String, String>,
    n: &mut u64,
) {
    *n += 1;
    let out: PathBuf = root.join(format!("dst-{n}"));
    let dst = Location::local(&out);
    let options = Options::default();
    let context = Context::new().with_state_dir(root.join("state"));
    let summary = rt
        .block_on(
            Transfer::new(src, &dst, &options, context)
                .with_known(known.clone())
                .copy_files(vec![file.clone()]),
        )
        .expect("copy");
    assert_eq!(summary.copied, 1);
    std::fs::remove_dir_all(out).expect("remove the copy");
}

fn local_copy(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let dir = scratch();
    let bytes = data();
    let sha256 = hex::encode(Sha256::digest(&bytes));
    std::fs::create_dir_all(dir.path().join("src")).expect("mkdir");
    std::fs::write(dir.path().join("src/big.sst"), &bytes).expect("write");
    drop(bytes);
    let src = Location::local(dir.path().join("src"));
    let unknown = FileSpec {
        key: "big.sst".into(),
        size: SIZE as u64,
        sha256: None,
    };
    let listed = FileSpec {
        sha256: Some(sha256.clone()),
        ..unknown.clone()
    };
    let none = HashMap::new();
    // Content the destination's store is said to hold elsewhere; not this file's.
    let elsewhere = HashMap::from([("0".repeat(64), "elsewhere/other".to_owned())]);

    let mut g = c.benchmark_group("local_copy_256MiB");
    g.throughput(Throughput::Bytes(SIZE as u64))
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    let mut n = 0;
    g.bench_function("sha256_unknown", |b| {
        b.iter(|| copy_once(&rt, dir.path(), &src, &unknown, &none, &mut n))
    });
    g.bench_function("sha256_from_manifest", |b| {
        b.iter(|| copy_once(&rt, dir.path(), &src, &listed, &none, &mut n))
    });
    g.bench_function("hash_first", |b| {
        b.iter(|| copy_once(&rt, dir.path(), &src, &unknown, &elsewhere, &mut n))
    });
    g.finish();
}

criterion_group!(benches, local_copy);
criterion_main!(benches);
