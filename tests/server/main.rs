//! `ferry serve` end to end: the real binary on a free port, driven over HTTP the way
//! ArangoDB's clients drive ArangoDB (what docs/hot-backup-api.md says).
//!
//! The S3 cases need the storage servers that `backends/run` starts (moto, s3s-fs) and fail
//! loudly without their settings.

#[path = "../common/mod.rs"]
mod common;

mod ambient;
mod auth;
mod bad_input;
mod check;
mod connections;
mod create_list;
mod disk_full;
mod fake;
mod harness;
mod intrusion;
mod jobs;
mod limits;
mod listen;
mod logins;
mod own_dirs;
mod repository;
mod restore_delete;
mod routing;
mod s3;
mod secrets;
mod silent;
mod slow;
mod ssrf;
mod throttle;
mod transfer;
