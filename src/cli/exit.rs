//! How a run ends: rclone's exit codes, and the one line an error is printed as.
//!
//! | code | meaning (rclone's `lib/exitcode`) |
//! |---|---|
//! | 0 | done (for `check`: every file matches) |
//! | 1 | an error not listed below (for `check`: a difference) |
//! | 2 | a command line that does not parse, or a flag value no run can use |
//! | 3 | a source or destination directory not found |
//! | 4 | a file not found |
//! | 5 | a temporary error that more retries might fix (the retry budget ran out) |
//! | 6, 8 | less serious, transfer limit: rclone's, not produced by Ferry |
//! | 7 | fatal: overlapping SRC and DST of `sync`/`move`, `--max-delete` exceeded |
//! | 9 | `--error-on-no-transfer` and nothing was transferred |
//! | 130, 143 | stopped by SIGINT (Ctrl-C) or SIGTERM: 128 + the signal, as rclone |

use std::process::ExitCode;

use ferry::Error;

use super::interrupt::Interrupted;

/// How a command ended when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Done (for `check`: every file matches).
    Ok,
    /// An error already reported, or for `check` a difference.
    Error,
    /// Nothing was transferred, and `--error-on-no-transfer` asked to hear it.
    NoFilesTransferred,
}

/// Why a command failed: Ferry's error, or one the command line itself decides.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// A flag or argument no run can use (exit 2).
    #[error("{0}")]
    Usage(String),
    /// The directory a command was pointed at does not exist (exit 3).
    #[error("directory not found: {0}")]
    DirNotFound(String),
    /// The file a command was pointed at does not exist (exit 4).
    #[error("file not found: {0}")]
    FileNotFound(String),
    /// What rclone calls a fatal error: a run refused as a whole, with nothing changed
    /// (exit 7), e.g. `sync` onto its own source, or more deletions than `--max-delete`.
    #[error("{0}")]
    Fatal(String),
    /// A copy stopped by SIGINT or SIGTERM, its journal and uploads kept for a resume
    /// (exit 128 + the signal).
    #[error("{}", .0.lines()[0])]
    Interrupted(Box<Interrupted>),
    #[error(transparent)]
    Ferry(#[from] Error),
}

impl Failure {
    /// rclone's exit code for this failure.
    pub fn code(&self) -> u8 {
        match self {
            Failure::Usage(_) => 2,
            Failure::DirNotFound(_) => 3,
            Failure::FileNotFound(_) => 4,
            Failure::Fatal(_) => 7,
            Failure::Interrupted(i) => i.signal.code(),
            Failure::Ferry(Error::Cancelled) => 130,
            Failure::Ferry(e) if e.is_not_found() => 4,
            Failure::Ferry(e) if e.is_retryable() => 5,
            Failure::Ferry(_) => 1,
        }
    }
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Error => 1,
            Exit::NoFilesTransferred => 9,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e.code())
    }
}

/// Prints a failure once, on one line of stderr: the error and each cause below it that
/// its message does not already contain.
pub fn print(e: &Failure) {
    if let Failure::Ferry(Error::Cancelled) = e {
        eprintln!("ferry: cancelled");
        return;
    }
    if let Failure::Interrupted(i) = e {
        for line in i.lines() {
            eprintln!("ferry: {line}");
        }
        return;
    }
    eprintln!("ferry: error: {}", chain(e));
}

/// `e: cause: cause…`, skipping causes already part of the text.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let more = c.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        cause = c.source();
    }
    text.replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_already_shown_are_not_repeated() {
        let e = Failure::from(Error::io(
            "/x",
            std::io::Error::new(std::io::ErrorKind::NotFound, "gone"),
        ));
        assert_eq!(chain(&e), "/x: gone");
    }

    #[test]
    fn codes_are_rclones() {
        let storage = |retryable| Error::Storage {
            context: "c".into(),
            message: "m".into(),
            retryable,
        };
        for (failure, code) in [
            (Failure::from(Error::Cancelled), 130),
            (Failure::from(Error::Other("x".into())), 1),
            (Failure::from(Error::BadConfig("x".into())), 1),
            (Failure::Usage("x".into()), 2),
            (Failure::DirNotFound("x".into()), 3),
            (Failure::FileNotFound("x".into()), 4),
            (Failure::Fatal("x".into()), 7),
            (Failure::from(Error::NotFound("x".into())), 4),
            (Failure::from(storage(true)), 5),
            (Failure::from(storage(false)), 1),
        ] {
            assert_eq!(failure.code(), code, "{failure:?}");
        }
        assert_eq!(Exit::NoFilesTransferred.code(), 9);
    }
}
