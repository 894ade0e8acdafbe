//! Transfers under hostile conditions, against real servers:
//!
//! - [`wire`]: a fault proxy ([`proxy`]) in front of s3s-fs and moto resets connections,
//!   answers 503 storms, stalls past the request timeout, cuts bodies short and flips bits;
//!   copies either complete byte-identical or fail with a clear error within the retry budget,
//!   and never publish wrong data. (The conformance suite runs every backend through
//!   `FaultyBackend`, which fails calls above the HTTP client; this goes through the client.)
//! - [`retries`]: against a server answering 503 to everything, `--retries N` sends N+1
//!   requests for an operation, on S3, GCS and Azure alike.
//! - [`disk_full`]: downloads into a small tmpfs fail with errorNum 7004 and remove what they
//!   staged.
//! - [`intrusion`]: malicious repositories and symbolic links never make Ferry read or write
//!   outside the backup directory or the repository.
//!
//! The servers come from `backends/run` (see README); without their settings the tests fail.

#[path = "../common/mod.rs"]
mod common;
#[path = "../conformance/servers.rs"]
#[allow(dead_code)]
mod servers;

mod disk_full;
mod intrusion;
mod proxy;
mod retries;
mod wire;
