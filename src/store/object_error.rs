//! Storage failures as [`Error`]s: the one rule for what is worth retrying, and the
//! conversion of `object_store`'s errors.
//!
//! A status is retryable when the server may answer differently next time: 5xx, 408
//! (request timeout) and 429 (too many requests). Every other answer (a 4xx such as 403 or
//! 400) will fail the same way again. A failure without an answer (reset, timeout, refused
//! connection) is retryable.
//!
//! `object_store` 0.14 turns 404, 304, 412, 409, 403 and 401 into typed variants, but any
//! other status only reaches us inside `Error::Generic`, whose source is its `RetryError`:
//! that type has a `status()` but lives in a private module (`client::retry`), so it can be
//! neither named nor downcast to. The public `client::HttpError` in the chain has a kind
//! but no status. So the status is read from the message, in [`status_in_message`] alone.

use crate::Error;

/// Whether an HTTP status may turn into a success when the same request is sent again.
pub fn retryable_status(status: u16) -> bool {
    status >= 500 || status == 408 || status == 429
}

/// A failed request Ferry sent itself (outside `object_store`): `status` is the server's
/// answer, `None` when none came. The message is scrubbed of credentials.
pub fn http_failure(context: impl Into<String>, status: Option<u16>, message: &str) -> Error {
    Error::Storage {
        context: context.into(),
        message: crate::secret::scrub(message),
        retryable: status.is_none_or(retryable_status),
    }
}

/// Wraps an object store failure, keeping the remote's message but never a credential.
pub fn storage(context: impl Into<String>, err: &object_store::Error) -> Error {
    use object_store::Error as E;
    if let E::NotFound { path, .. } = err {
        return Error::NotFound(path.clone());
    }
    let refused = matches!(
        err,
        E::AlreadyExists { .. }
            | E::Precondition { .. }
            | E::NotModified { .. }
            | E::NotSupported { .. }
            | E::NotImplemented { .. }
            | E::PermissionDenied { .. }
            | E::Unauthenticated { .. }
            | E::InvalidPath { .. }
            | E::UnknownConfigurationKey { .. }
    );
    let message = with_causes(err);
    let status = status_in_message(&message);
    // A 404 object_store leaves untyped (a list in a bucket or container that does not
    // exist) is not found all the same: the CLI says "directory not found" (exit 3).
    if status == Some(404) {
        return Error::NotFound(context.into());
    }
    let retryable = !refused && status.is_none_or(retryable_status);
    Error::Storage {
        context: context.into(),
        message: crate::secret::scrub(&message),
        retryable,
    }
}

/// The error's message followed by those of its causes that it does not already say: a
/// timeout or a reset is otherwise only "error sending request".
fn with_causes(err: &dyn std::error::Error) -> String {
    let mut message = err.to_string();
    let mut cause = err.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        cause = c.source();
    }
    message
}

/// The HTTP status in an `object_store` error message (`… status code: 403 Forbidden …`).
fn status_in_message(message: &str) -> Option<u16> {
    let at = message.find("status code: ")? + "status code: ".len();
    message.get(at..at + 3)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_in_message_is_found() {
        let m = "Error performing PUT http://h/b in 1ms - Server returned non-2xx status code: 400 Bad Request: x";
        assert_eq!(status_in_message(m), Some(400));
        assert_eq!(status_in_message("connection reset"), None);
    }

    #[test]
    fn retryable_statuses() {
        for s in [500, 502, 503, 408, 429] {
            assert!(retryable_status(s), "{s}");
        }
        for s in [400, 401, 403, 404, 409, 412, 301] {
            assert!(!retryable_status(s), "{s}");
        }
        assert!(http_failure("x", None, "reset").is_retryable());
        assert!(!http_failure("x", Some(403), "HTTP 403").is_retryable());
    }

    #[test]
    fn client_errors_from_object_store_are_not_retryable() {
        let generic = |text: &str| object_store::Error::Generic {
            store: "S3",
            source: text.to_owned().into(),
        };
        let bad = storage(
            "c",
            &generic("Server returned non-2xx status code: 400 Bad Request"),
        );
        assert!(!bad.is_retryable(), "{bad}");
        let busy = storage(
            "c",
            &generic("Server returned non-2xx status code: 503 Slow Down"),
        );
        assert!(busy.is_retryable(), "{busy}");
        let reset = storage("c", &generic("error sending request"));
        assert!(reset.is_retryable(), "{reset}");
    }
}
