//! Ctrl-C and SIGTERM during a foreground command.
//!
//! A copy (`copy`, `copyto`, `move`, `moveto`, `sync`) that is interrupted is paused, not
//! undone: [`Interrupts`] tells the command, which stops waiting for the transfer and leaves
//! everything as `kill -9` would, but at a moment of its choosing. The resume journal (each
//! record fsynced before it is relied on) and the multipart uploads it names stay, so that
//! running the same command again sends only the parts not yet stored. The command then says
//! how to resume or discard ([`Interrupted`]) and exits with `128 + signal` as rclone does
//! (`lib/atexit`: 130 for SIGINT, 143 for SIGTERM). Uploads nobody resumes are aborted by
//! `ferry cleanup` (S3), or dropped by the store itself after a week (Azure, GCS).
//!
//! `ferry upload`/`download` (the Hot Backup API's jobs) keep the API's meaning of an abort:
//! [`CancelOnCtrlC`] cancels the job, which aborts what it began.

use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio_util::sync::CancellationToken;

use ferry::engine::Snapshot;
use ferry::store::Location;

/// Cancels `token` on the first Ctrl-C, until dropped.
#[derive(Debug)]
pub struct CancelOnCtrlC(tokio::task::JoinHandle<()>);

impl CancelOnCtrlC {
    pub fn new(token: CancellationToken) -> Self {
        CancelOnCtrlC(tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                token.cancel();
            }
        }))
    }
}

impl Drop for CancelOnCtrlC {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A signal that stops a foreground command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    Interrupt,
    Terminate,
}

impl Stop {
    pub fn name(self) -> &'static str {
        match self {
            Stop::Interrupt => "SIGINT",
            Stop::Terminate => "SIGTERM",
        }
    }

    /// `128 + signal`, what rclone exits with when a signal stops it.
    pub fn code(self) -> u8 {
        match self {
            Stop::Interrupt => 128 + 2,
            Stop::Terminate => 128 + 15,
        }
    }
}

/// SIGINT and SIGTERM, listened for from [`Interrupts::listen`] on (a signal that came
/// before the wait is not lost).
#[derive(Debug)]
pub struct Interrupts {
    int: Option<Signal>,
    term: Option<Signal>,
}

impl Interrupts {
    pub fn listen() -> Interrupts {
        Interrupts {
            int: signal(SignalKind::interrupt()).ok(),
            term: signal(SignalKind::terminate()).ok(),
        }
    }

    /// The next SIGINT or SIGTERM (never, where neither could be listened for).
    pub async fn next(&mut self) -> Stop {
        async fn on(s: &mut Option<Signal>) {
            match s {
                Some(s) => {
                    s.recv().await;
                }
                None => std::future::pending().await,
            }
        }
        tokio::select! {
            () = on(&mut self.int) => Stop::Interrupt,
            () = on(&mut self.term) => Stop::Terminate,
        }
    }
}

/// A copy stopped by a signal: what it had done, and where it was writing to.
#[derive(Debug, Clone)]
pub struct Interrupted {
    pub signal: Stop,
    pub progress: Snapshot,
    /// DST as shown (secrets of on-the-fly remotes hashed).
    pub dst: String,
    /// DST is a local directory: unfinished files are `*.ferry-part` files there.
    pub local: bool,
}

impl Interrupted {
    pub fn new(signal: Stop, progress: Snapshot, dst: &Location) -> Self {
        Interrupted {
            signal,
            progress,
            dst: dst.display.clone(),
            local: dst.capabilities().local,
        }
    }

    /// What was done and that it was kept, then how to resume and how to discard: the
    /// lines printed on stderr.
    pub fn lines(&self) -> [String; 3] {
        let p = &self.progress;
        let discard = if self.local {
            format!("delete the *.ferry-part files below {}", self.dst)
        } else {
            format!(
                "ferry cleanup {} --max-age 0 (S3; Azure and GCS drop unfinished uploads after a week)",
                self.dst
            )
        };
        [
            format!(
                "interrupted by {}: {} of {} files done, {} of {} at the destination ({} sent by this run); the resume journal and the unfinished uploads are kept",
                self.signal.name(),
                p.files_done,
                p.files_total,
                indicatif::HumanBytes(p.bytes_done),
                indicatif::HumanBytes(p.bytes_total),
                indicatif::HumanBytes(p.bytes_transferred),
            ),
            "to resume, run the same command again: the parts already stored are not sent again"
                .to_owned(),
            format!("to discard instead: {discard}"),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_128_plus_the_signal() {
        assert_eq!(Stop::Interrupt.code(), 130);
        assert_eq!(Stop::Terminate.code(), 143);
    }
}
