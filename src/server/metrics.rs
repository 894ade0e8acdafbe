//! `GET /_admin/metrics`: Prometheus text format.

use std::fmt::Write;
use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::metrics::{BYTES_TRANSFERRED, FILES_TRANSFERRED, RETRIES, TRANSFER_ERRORS};

pub async fn render(State(state): State<Arc<AppState>>) -> Response {
    let mut out = String::new();
    let counters = [
        (
            "ferry_bytes_transferred_total",
            "Bytes written to destinations by transfers.",
            BYTES_TRANSFERRED.get(),
        ),
        (
            "ferry_files_transferred_total",
            "Files transferred (not skipped).",
            FILES_TRANSFERRED.get(),
        ),
        (
            "ferry_retries_total",
            "Requests retried after a transient failure.",
            RETRIES.get(),
        ),
        (
            "ferry_transfer_errors_total",
            "Transfers that ended in an error.",
            TRANSFER_ERRORS.get(),
        ),
    ];
    for (name, help, value) in counters {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
        );
    }
    let _ = writeln!(
        out,
        "# HELP ferry_jobs Transfer jobs by state.\n# TYPE ferry_jobs gauge"
    );
    let counts = state.jobs.counts();
    for label in ["ACK", "STARTED", "COMPLETED", "FAILED", "CANCELLED"] {
        let _ = writeln!(
            out,
            "ferry_jobs{{state=\"{label}\"}} {}",
            counts.get(label).copied().unwrap_or(0)
        );
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}
