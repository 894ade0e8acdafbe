//! Ferry: resumable, checksummed, parallel transfers of hot backups and directory trees
//! between local disk and object stores, and an ArangoDB-compatible Hot Backup HTTP API.
//!
//! Layers, bottom up: [`repository`] strings and [`config`] sections name a place;
//! [`store`] reaches it through one thin [`store::Backend`] contract; [`engine`] copies trees
//! between two [`store::Location`]s; the CLI (in the binary) drives the engine.

pub mod backup;
pub mod blocking;
pub mod catalog;
pub mod cluster;
pub mod config;
pub mod durable;
pub mod engine;
pub mod error;
pub mod error_table;
pub mod filter;
pub mod jobs;
pub mod metrics;
pub mod repository;
pub mod retry;
pub mod secret;
pub mod server;
pub mod store;

pub use error::{Error, ErrorKind, Result};
pub use error_table::ErrorNum;
