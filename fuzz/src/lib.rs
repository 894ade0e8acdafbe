//! What the fuzz targets share: the invariants every repository string and config must keep,
//! and an in-process `ferry serve` (the real axum router) that request bodies are sent to.
//!
//! A target fails on a panic, a hang (libFuzzer's `-timeout`), a 5xx answer, an answer that
//! is not ArangoDB's envelope, or an error number other than the spec's for that input.

pub mod config;
pub mod http;
pub mod repository;
