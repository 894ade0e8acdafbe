//! A cluster of real processes on loopback: three `ferry serve` DB servers, each over its
//! own directories, and a coordinator (`ferry serve --dbserver ...`) that the tests talk to
//! as ArangoDB's clients talk to a cluster's coordinator (spec `hot-backup-cluster.md`).

#[path = "../common/mod.rs"]
mod common;

#[path = "../server/check.rs"]
#[allow(dead_code)]
mod check;
#[path = "../server/harness.rs"]
#[allow(dead_code)]
mod harness;

#[path = "../server/throttle.rs"]
#[allow(dead_code)]
mod throttle;

mod auth;
mod faults;
mod fixture;
mod operations;
mod remote;
mod transfer;
mod unreachable;
