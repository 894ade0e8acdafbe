//! SHA-256 throughput of the hashing path Ferry puts every byte through.
//!
//! `cargo bench --bench hashing` measures, on 16 MiB buffers (Ferry's default chunk size):
//! - `ferry_sha256_hex`: `ferry::engine::digest::sha256_hex`, what the engine calls per chunk
//!   (one `spawn_blocking` hop onto the blocking pool, then hex);
//! - `ferry_hasher_8MiB_updates`: `Hasher::update` fed 8 MiB at a time, as `hash_object`
//!   reads a stored file (two hops per 16 MiB);
//! - `sha2_inline`: `sha2::Sha256::digest` on the calling thread, the bound for both.
//!
//! Criterion prints throughput (MiB/s or GiB/s). The gap between the first two and the last is
//! the cost of leaving the async threads. `cargo test --all-targets` runs each once, as a
//! smoke test; no timing is ever asserted.

use std::time::Duration;

use bytes::Bytes;
use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};
use sha2::{Digest, Sha256};

use ferry::engine::digest::{Hasher, sha256_hex};

const SIZE: usize = 16 << 20;
const PIECE: usize = 8 << 20;

/// Deterministic, incompressible-looking bytes (xorshift), so no run hashes zeros.
fn buffer() -> Bytes {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut v = Vec::with_capacity(SIZE);
    while v.len() < SIZE {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.extend_from_slice(&x.to_le_bytes());
    }
    Bytes::from(v)
}

fn hashing(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let data = buffer();
    let expected = hex_digest(&data);

    let mut g = c.benchmark_group("sha256_16MiB");
    g.throughput(Throughput::Bytes(SIZE as u64))
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));

    g.bench_function("ferry_sha256_hex", |b| {
        b.iter(|| {
            rt.block_on(sha256_hex(black_box(data.clone())))
                .expect("hash")
        })
    });
    g.bench_function("ferry_hasher_8MiB_updates", |b| {
        b.iter(|| {
            rt.block_on(async {
                let mut h = Hasher::new();
                let mut at = 0;
                while at < SIZE {
                    let end = (at + PIECE).min(SIZE);
                    h = h.update(black_box(data.slice(at..end))).await?;
                    at = end;
                }
                Ok::<_, ferry::Error>(h.finish())
            })
            .expect("hash")
        })
    });
    g.bench_function("sha2_inline", |b| {
        b.iter(|| Sha256::digest(black_box(&data[..])))
    });
    g.finish();

    // The three agree (checked once, outside the timed loops).
    let via_ferry = rt.block_on(sha256_hex(data.clone())).expect("hash");
    assert_eq!(via_ferry, expected, "sha256_hex disagrees with sha2");
}

fn hex_digest(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

criterion_group!(benches, hashing);
criterion_main!(benches);
