//! One module per command: each builds its plan from the typed arguments, then runs it.

pub mod backup;
pub mod check;
pub mod cleanup;
pub mod copy;
pub mod serve;
