//! How a run ends: the process exit code, and the one line an error is printed as.

use std::process::ExitCode;

use ferry::Error;

/// Exit codes. 0 and 1 as every tool; 2 (a command line that does not parse) comes from
/// clap itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Done (for `check`: every file matches).
    Ok,
    /// An error, or for `check` a difference.
    Error,
    /// Cancelled by Ctrl-C (128 + SIGINT, as shells report it).
    Cancelled,
}

impl Exit {
    /// The exit code for a run that failed with `e`.
    pub fn of(e: &Error) -> Exit {
        match e {
            Error::Cancelled => Exit::Cancelled,
            _ => Exit::Error,
        }
    }

    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Error => 1,
            Exit::Cancelled => 130,
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
pub fn print(e: &Error) {
    if let Error::Cancelled = e {
        eprintln!("ferry: cancelled");
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
        let e = Error::io(
            "/x",
            std::io::Error::new(std::io::ErrorKind::NotFound, "gone"),
        );
        assert_eq!(chain(&e), "/x: gone");
    }

    #[test]
    fn codes() {
        assert_eq!(Exit::of(&Error::Cancelled).code(), 130);
        assert_eq!(Exit::of(&Error::Other("x".into())).code(), 1);
    }
}
