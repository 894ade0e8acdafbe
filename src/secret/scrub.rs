//! What a remote server's answer may put into a message: its status, the provider's error
//! code and a short message, never its body, never a credential (issue 12, item 3).
//!
//! Remote failures reach job status, job records and logs. A server chosen by a caller may
//! answer anything: an 8 MB body, or the request echoed back with its `Authorization`,
//! `x-amz-security-token` and signed URL. So [`scrub`] replaces a body with what the
//! provider's error document says (`<Code>`/`<Message>`, or a JSON `error`), redacts
//! everything credential-shaped in every form it comes in (`name=value`, `name: value`,
//! `"name": "value"`, `Bearer …`, access key ids, JWTs, long base64 runs), and caps the
//! whole at [`MAX_MESSAGE`] bytes.

/// Most bytes of a scrubbed message; the body's summary gets at most [`MAX_SUMMARY`].
pub const MAX_MESSAGE: usize = 600;
const MAX_SUMMARY: usize = 200;

/// Query parameters and headers that carry credentials in storage URLs and messages.
const SENSITIVE_KEYS: &[&str] = &[
    "sig",
    "signature",
    "x-amz-signature",
    "x-amz-credential",
    "x-amz-security-token",
    "x-goog-signature",
    "x-goog-credential",
    "x-ms-encryption-key",
    "access_token",
    "refresh_token",
    "id_token",
    "token",
    "key",
    "secret",
    "password",
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
];

/// The message of a remote failure, fit to be shown: body summarised, credentials
/// redacted, length capped.
pub fn scrub(message: &str) -> String {
    let message = match body_start(message) {
        Some(at) => {
            let (head, body) = message.split_at(at);
            format!("{head}{}", summarise(body))
        }
        None => message.to_owned(),
    };
    cap(&redact_shapes(&redact_pairs(&message)), MAX_MESSAGE)
}

/// Where the body begins in `… status code: 403 Forbidden: <body>` (object_store) or
/// `HTTP 403 Forbidden: <body>` (Ferry's own requests).
fn body_start(message: &str) -> Option<usize> {
    for marker in ["status code: ", "HTTP "] {
        let mut from = 0;
        while let Some(i) = message[from..].find(marker) {
            let at = from + i + marker.len();
            let digits = message.get(at..at + 3);
            if digits.is_some_and(|d| d.bytes().all(|b| b.is_ascii_digit())) {
                let reason = &message[at + 3..];
                let end = reason.find(['\n', ':'])?;
                if reason[end..].starts_with(':') {
                    return Some(at + 3 + end + 1);
                }
                return None;
            }
            from = at;
        }
    }
    None
}

/// A body as the provider's error code and message, or only its size.
fn summarise(body: &str) -> String {
    let text = body.trim();
    if text.is_empty() {
        return String::new();
    }
    let summary = if text.starts_with('<') {
        match (tag(text, "Code"), tag(text, "Message")) {
            (None, None) => None,
            (code, message) => Some(join(code, message)),
        }
    } else if text.starts_with('{') {
        serde_json::from_str::<serde_json::Value>(text)
            .ok()
            .and_then(|v| json_summary(&v))
    } else {
        None
    };
    match summary {
        // Redacted before it is cut: a secret cut short would no longer look like one.
        Some(s) => format!(" {}", cap(&redact_shapes(&redact_pairs(&s)), MAX_SUMMARY)),
        None => format!(" (a body of {} bytes, not shown)", body.len()),
    }
}

fn join(code: Option<String>, message: Option<String>) -> String {
    match (code, message) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(one), None) | (None, Some(one)) => one,
        (None, None) => String::new(),
    }
}

/// The text of the first `<name>…</name>` element, on one line.
fn tag(xml: &str, name: &str) -> Option<String> {
    let start = xml.find(&format!("<{name}>"))? + name.len() + 2;
    let end = start + xml[start..].find(&format!("</{name}>"))?;
    let text: String = xml[start..end]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    (!text.is_empty()).then_some(text)
}

/// GCS and Azure AD (`{"error": {"code", "message"}}`, `{"error": "...",
/// "error_description"}`) and the usual flat forms.
fn json_summary(value: &serde_json::Value) -> Option<String> {
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => Some(s.split_whitespace().collect::<Vec<_>>().join(" ")),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let error = &value["error"];
    let code = text(&error["code"])
        .or_else(|| text(&error["status"]))
        .or_else(|| text(error))
        .or_else(|| text(&value["code"]))
        .or_else(|| text(&value["Code"]));
    let message = text(&error["message"])
        .or_else(|| text(&value["error_description"]))
        .or_else(|| text(&value["message"]))
        .or_else(|| text(&value["Message"]));
    (code.is_some() || message.is_some()).then(|| join(code, message))
}

/// `text` cut to at most `max` bytes at a character boundary, marked when cut.
/// Most bytes of any message an answer or a job record holds, whatever its source: the
/// last bound behind [`scrub`]'s, for messages that are not remote answers ([`shorten`]).
pub const MAX_SHOWN: usize = 1024;

/// `text` in at most `max` bytes, its middle dropped (` ... ` marks where): the start says
/// what failed where, the end often why (an OS error after a long path).
pub fn shorten(text: &str, max: usize) -> String {
    const GAP: &str = " ... ";
    if text.len() <= max {
        return text.to_owned();
    }
    let room = max.saturating_sub(GAP.len());
    let mut head = room / 2;
    while !text.is_char_boundary(head) {
        head -= 1;
    }
    let mut tail = text.len() - (room - room / 2);
    while !text.is_char_boundary(tail) {
        tail += 1;
    }
    format!("{}{GAP}{}", &text[..head], &text[tail..])
}

/// `text` cut to at most `max` bytes, on a character boundary, `...` marking the cut.
fn cap(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max.saturating_sub(3);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

/// Removes the values of credential-named pairs: `name=value` (URL queries), `name: value`
/// (headers), `"name": "value"` (JSON), whatever the case of the name.
fn redact_pairs(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(sep_at) = rest.find(['=', ':']) {
        let (head, tail) = rest.split_at(sep_at);
        // A JSON name ends with its closing quote.
        let bare = head.trim_end_matches(['"', '\'']);
        // The name starts after the last character that cannot be part of one, which may
        // take more than one byte.
        let name_start = bare
            .char_indices()
            .rfind(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let name = bare[name_start..].to_ascii_lowercase();
        out.push_str(head);
        let sep = &tail[..1];
        let value = &tail[1..];
        if !SENSITIVE_KEYS.contains(&name.as_str()) {
            out.push_str(sep);
            rest = value;
            continue;
        }
        let spaces = value.len() - value.trim_start_matches([' ', '\t']).len();
        let (lead, value) = value.split_at(spaces);
        let end = match value.chars().next() {
            // A quoted value ends at its closing quote.
            Some(q @ ('"' | '\'')) => value[1..].find(q).map_or(value.len(), |i| i + 2),
            // `Authorization: AWS4-HMAC-SHA256 Credential=...` and headers echoed back span
            // words: the rest of the line goes.
            _ if sep == ":" => value.find(['\n', '\r']).unwrap_or(value.len()),
            _ => value
                .find(|c: char| matches!(c, '&' | '"' | '\'' | ',' | ';') || c.is_whitespace())
                .unwrap_or(value.len()),
        };
        out.push_str(sep);
        out.push_str(lead);
        out.push_str("***");
        rest = &value[end..];
    }
    out.push_str(rest);
    out
}

/// Removes words shaped like credentials wherever they stand: the token after `Bearer` or
/// `Basic`, AWS access key ids, JWTs, and runs of 40 or more base64 characters that are not
/// all hex digits (signatures and SHA-256 sums in hex are not secret; keys, session tokens
/// and SAS signatures are base64).
fn redact_shapes(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut after_scheme = false;
    for word in message.split_inclusive(|c: char| !is_token_char(c)) {
        let (token, tail) = word.split_at(word.trim_end_matches(|c: char| !is_token_char(c)).len());
        let secret = after_scheme && !token.is_empty()
            || is_key_id(token)
            || token.starts_with("eyJ") && token.len() >= 20
            || token.len() >= 40
                && !token.bytes().all(|b| b.is_ascii_hexdigit())
                && token
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b));
        out.push_str(if secret { "***" } else { token });
        out.push_str(tail);
        if !token.is_empty() {
            after_scheme =
                token.eq_ignore_ascii_case("bearer") || token.eq_ignore_ascii_case("basic");
        }
    }
    out
}

/// Characters of a token word: base64 (standard and URL-safe), and `.` for JWTs.
fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '-' | '_' | '.')
}

/// `AKIA…`/`ASIA…` and the other AWS key id prefixes, 20 upper-case letters and digits.
fn is_key_id(token: &str) -> bool {
    token.len() == 20
        && ["AKIA", "ASIA", "AROA", "AIDA"]
            .iter()
            .any(|p| token.starts_with(p))
        && token
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

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

    /// The forms an echoing server sends back (issue 12).
    #[test]
    fn every_form_of_a_credential_goes() {
        let secret = "FwoGZXIvYXdzEJr//////////wEaDOnlyASecretToken";
        for echo in [
            format!("x-amz-security-token: {secret}\nhost: h"),
            format!("X-Amz-Security-Token:{secret}"),
            format!("{{\"authorization\": \"Bearer {secret}\"}}"),
            format!("{{'Authorization': '{secret}'}}"),
            format!("token={secret}"),
            format!("Bearer {secret}"),
            format!("the token is {secret}"),
            "key AKIAIOSFODNN7EXAMPLE used".to_owned(),
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl".to_owned(),
        ] {
            let s = scrub(&echo);
            assert!(!s.contains("OnlyASecretToken"), "{echo:?} -> {s}");
            assert!(!s.contains("IOSFODNN7"), "{echo:?} -> {s}");
            assert!(!s.contains("eyJzdWIi"), "{echo:?} -> {s}");
        }
        // What must stay: ids, hex sums, ordinary words.
        let plain = "backup 2026-08-04T15.27.49Z_3f2c1a9e-1b2c-4d5e-8f90-123456789abc sha256 \
                     9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        assert_eq!(scrub(plain), plain);
    }

    #[test]
    fn bodies_become_code_and_message() {
        let xml = "Error performing GET http://h/b in 1ms - Server returned non-2xx status code: \
                   403 Forbidden: <?xml version=\"1.0\"?><Error><Code>AccessDenied</Code>\
                   <Message>Access Denied</Message><RequestId>1</RequestId></Error>";
        let s = scrub(xml);
        assert!(
            s.ends_with("403 Forbidden: AccessDenied: Access Denied"),
            "{s}"
        );
        let json = "HTTP 401 Unauthorized: {\"error\": {\"code\": 401, \"message\": \"Invalid  \
                    Credentials\", \"errors\": [{\"reason\": \"x\"}]}}";
        assert_eq!(
            scrub(json),
            "HTTP 401 Unauthorized: 401: Invalid Credentials"
        );
        let echo = format!(
            "HTTP 403 Forbidden: GET /b\nauthorization: x\n{}",
            "a".repeat(8 << 20)
        );
        let s = scrub(&echo);
        assert!(s.contains("not shown"), "{s}");
        assert!(s.len() < 100, "{s}");
        let long = format!(
            "status code: 500 Internal: <Error><Message>{}</Message></Error>",
            "é".repeat(1000)
        );
        let s = scrub(&long);
        assert!(s.len() <= MAX_MESSAGE && s.ends_with("..."), "{}", s.len());
        assert!(scrub(&"x ".repeat(10_000)).len() <= MAX_MESSAGE);
    }

    #[test]
    fn shorten_keeps_both_ends_within_the_bound() {
        assert_eq!(shorten("short", 10), "short");
        let text = format!(
            "{}é{}: File name too long",
            "d/".repeat(600),
            "ü".repeat(300)
        );
        for max in [20, 21, 1024] {
            let out = shorten(&text, max);
            assert!(out.len() <= max, "{max}: {}", out.len());
            assert!(out.starts_with("d/d/") && out.contains(" ... "), "{out}");
        }
        assert!(shorten(&text, 1024).ends_with(": File name too long"));
    }
}
