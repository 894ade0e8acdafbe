//! Values that must never be shown: access keys, SAS tokens, service-account JSON.
//!
//! A [`Secret`] formats as `***` under `Debug` and `Display`, so a config, an error or a job
//! status that holds one can be logged without leaking it. The only way to the value is
//! [`Secret::expose`], called where it is handed to a storage client. Messages from remote
//! servers go through [`scrub`] before anyone sees them.

use std::fmt;

mod scrub;

pub use scrub::{MAX_MESSAGE, MAX_SHOWN, scrub, shorten};

/// A string that redacts itself when formatted.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret value, for handing to a storage client. Never format it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_is_redacted() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s}"), "***");
        assert_eq!(format!("{s:?}"), "***");
        assert_eq!(s.expose(), "hunter2");
    }
}
