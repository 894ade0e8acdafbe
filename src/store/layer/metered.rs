//! The process's byte counter ([`crate::metrics::BYTES_TRANSFERRED`]) as a layer: bytes of
//! file data a store took, counted once per call that succeeded (retries inside do not count
//! twice, parts stored by an earlier run and server-side copies not at all).

use std::future::Future;

use super::{Hook, Op};
use crate::Result;
use crate::metrics::BYTES_TRANSFERRED;

/// Counts the bytes written through it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Metered;

impl Hook for Metered {
    async fn call<T, F, Fut>(&self, op: Op, mut send: F) -> Result<T>
    where
        T: Send,
        F: FnMut() -> Fut + Send,
        Fut: Future<Output = Result<T>> + Send,
    {
        let out = send().await;
        if let (Ok(_), Some(bytes)) = (&out, op.written()) {
            BYTES_TRANSFERRED.add(bytes);
        }
        out
    }
}
