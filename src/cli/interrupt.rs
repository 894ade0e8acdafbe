//! Ctrl-C during a foreground transfer cancels it (the engine then aborts what it began).

use tokio_util::sync::CancellationToken;

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
