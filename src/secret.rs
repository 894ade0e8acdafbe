//! Values that must never be shown: access keys, SAS tokens, service-account JSON.
//!
//! A [`Secret`] formats as `***` under `Debug` and `Display`, so a config, an error or a job
//! status that holds one can be logged without leaking it. The only way to the value is
//! [`Secret::expose`], called where it is handed to a storage client.

use std::fmt;

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

/// Query parameters and headers that carry credentials in storage URLs and messages.
const SENSITIVE_KEYS: &[&str] = &[
    "sig",
    "signature",
    "x-amz-signature",
    "x-amz-credential",
    "x-amz-security-token",
    "x-goog-signature",
    "x-goog-credential",
    "access_token",
    "token",
    "key",
    "secret",
    "password",
    "authorization",
];

/// Removes credential-looking `name=value` pairs (URL query parameters, header echoes) from a
/// message that came from a remote server or a client library, before it is shown to anyone.
pub fn scrub(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(eq) = rest.find(['=', ':']) {
        let (head, tail) = rest.split_at(eq);
        // The name starts after the last character that cannot be part of one, which may
        // take more than one byte.
        let name_start = head
            .char_indices()
            .rfind(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let name = head[name_start..].to_ascii_lowercase();
        out.push_str(head);
        let sep = &tail[..1];
        let value = &tail[1..];
        let sensitive =
            SENSITIVE_KEYS.iter().any(|k| name == *k) && (sep == "=" || name == "authorization");
        if sensitive {
            let end = value
                .find(|c: char| c == '&' || c == '"' || c == '\'' || c == ',' || c.is_whitespace())
                .unwrap_or(value.len());
            // `Authorization: AWS4-HMAC-SHA256 Credential=...` spans words: drop the whole line.
            let end = if name == "authorization" {
                value.find('\n').unwrap_or(value.len())
            } else {
                end
            };
            out.push_str(sep);
            out.push_str("***");
            rest = &value[end..];
        } else {
            out.push_str(sep);
            rest = value;
        }
    }
    out.push_str(rest);
    out
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

    #[test]
    fn scrub_removes_signatures() {
        let m = "GET http://h/c/b?sv=2021&sig=abc%2Fdef&se=1 failed";
        let s = scrub(m);
        assert!(!s.contains("abc%2Fdef"), "{s}");
        assert!(s.contains("sv=2021"), "{s}");
        let m = "request failed: Authorization: AWS4-HMAC-SHA256 Credential=AKIA/2026, Signature=ff\nnext";
        let s = scrub(m);
        assert!(!s.contains("AKIA"), "{s}");
        assert!(s.ends_with("next"), "{s}");
    }

    /// A name after a multi-byte character (found by fuzzing config objects: an Azure
    /// account name went into object_store's error, and scrubbing it panicked).
    #[test]
    fn scrub_after_multibyte_characters() {
        assert_eq!(
            scrub("ӖӖ: x ñkey=v ésig=abc&z"),
            "ӖӖ: x ñkey=*** ésig=***&z"
        );
        assert_eq!(scrub("Ӗ=1"), "Ӗ=1");
    }
}
