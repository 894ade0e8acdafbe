//! Where a tree lives: a backend and a key prefix in it.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use super::local::LocalBackend;
use super::{Capabilities, SharedBackend, join_key};
pub use crate::config::SectionHints;

/// A tree in a backend: everything below `root`.
#[derive(Clone)]
pub struct Location {
    pub backend: SharedBackend,
    /// Key prefix inside the backend (`""` for its root).
    pub root: String,
    /// What to call it in messages (`section:path` or the local path); never holds a secret.
    pub display: String,
    pub hints: SectionHints,
}

impl fmt::Debug for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display)
    }
}

impl Location {
    /// A local directory, no config needed.
    pub fn local(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        Location {
            display: path.display().to_string(),
            backend: Arc::new(LocalBackend::new(path)),
            root: String::new(),
            hints: SectionHints::default(),
        }
    }

    /// The full key of `rel` in the backend.
    pub fn key(&self, rel: &str) -> String {
        join_key(&self.root, rel)
    }

    /// The same backend, `rel` further down.
    pub fn child(&self, rel: &str) -> Location {
        Location {
            backend: self.backend.clone(),
            root: self.key(rel),
            display: format!("{}/{rel}", self.display.trim_end_matches('/')),
            hints: self.hints,
        }
    }

    pub fn capabilities(&self) -> Capabilities {
        self.backend.capabilities()
    }
}
