//! One module per command: each builds its plan from the typed arguments, then runs it.

pub mod backup;
pub mod cat;
pub mod check;
pub mod cleanup;
pub mod completion;
pub mod copy;
pub mod delete;
mod dirs;
pub mod ls;
pub mod lsd;
pub mod lsjson;
pub mod man;
pub mod mkdir;
pub mod moves;
pub mod purge;
pub mod serve;
pub mod size;
pub mod sync;
// Repository management (issue 15).
pub mod backups;
pub mod prune;
pub mod verify;
