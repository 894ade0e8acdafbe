//! Drawing [`Stats`]: an indicatif bar on a terminal, JSON lines with `--json`, nothing
//! otherwise.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use ferry::engine::Stats;

/// A running display; stops when finished or dropped.
pub struct Display {
    stop: tokio_util::sync::CancellationToken,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Display {
    pub fn start(stats: Arc<Stats>, json: bool, no_progress: bool) -> Display {
        let stop = tokio_util::sync::CancellationToken::new();
        let bar = (!json && !no_progress && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{bar:30} {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta} {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        });
        if bar.is_none() && !json {
            return Display { stop, task: None };
        }
        let token = stop.clone();
        let task = tokio::spawn(async move {
            let mut tick =
                tokio::time::interval(Duration::from_millis(if json { 1000 } else { 200 }));
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    () = token.cancelled() => break,
                }
                let s = stats.snapshot();
                if let Some(bar) = &bar {
                    bar.set_length(s.bytes_total);
                    bar.set_position(s.bytes_done);
                    bar.set_message(format!("{}/{} files", s.files_done, s.files_total));
                } else {
                    let line = serde_json::json!({
                        "event": "progress", "filesTotal": s.files_total, "filesDone": s.files_done,
                        "bytesTotal": s.bytes_total, "bytesDone": s.bytes_done,
                        "bytesPerSecond": s.bytes_per_second.round(),
                        "etaSeconds": s.eta.map(|e| e.as_secs()),
                    });
                    println!("{line}");
                }
            }
            if let Some(bar) = bar {
                bar.finish_and_clear();
            }
        });
        Display {
            stop,
            task: Some(task),
        }
    }

    /// Stops drawing and waits until the bar is cleared.
    pub async fn finish(mut self) {
        self.stop.cancel();
        if let Some(task) = self.task.take() {
            task.await.ok();
        }
    }
}
