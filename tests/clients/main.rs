//! ArangoDB's own clients against a real `ferry serve`, replayed request for request from
//! their source: the paths, headers and bodies each sends, the status codes it checks, the
//! fields it reads and its completion rules. One module per client; each names the file and
//! function it mirrors, at the commit given in README's table of clients.

// The server harness of tests/server, shared as it is.
#[allow(dead_code)]
#[path = "../server/check.rs"]
mod check;
#[path = "../common/mod.rs"]
mod common;
#[allow(dead_code)]
#[path = "../server/harness.rs"]
mod harness;

mod wire;

mod arangobackup;
mod arangojs;
mod go_v1;
mod go_v2;
mod kube;
mod python_arango;
