//! Issue 12, item 6: a failed login is logged (peer, scheme, count; never the credentials)
//! and its peer backed off: after five free failures in a row, each next one waits longer
//! before it is checked. A request without credentials is no login attempt; a success
//! clears the peer.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::harness::{Options, Server};

const PASSWORD: &str = "logins-pa55word-that-must-never-show";
const GUESS: &str = "a-wrong-guess-that-must-never-show";

fn basic(password: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("root:{password}")))
}

async fn status(server: &Server, authorization: Option<&str>) -> u16 {
    let mut request = reqwest::Client::new()
        .post(server.url("/_admin/backup/list"))
        .body("{}");
    if let Some(a) = authorization {
        request = request.header("Authorization", a);
    }
    request.send().await.expect("answer").status().as_u16()
}

/// The server's log without terminal colour codes.
fn plain(log: &str) -> String {
    let mut out = String::with_capacity(log.len());
    let mut chars = log.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The `failures` and `backoff_ms` of every failed-login line.
fn failed_logins(server: &Server) -> Vec<(u64, u64)> {
    let field = |line: &str, name: &str| -> u64 {
        let at = line
            .find(&format!("{name}="))
            .unwrap_or_else(|| panic!("{name} in {line}"));
        let digits: String = line[at + name.len() + 1..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().expect("a number")
    };
    plain(&server.stderr())
        .lines()
        .filter(|l| l.contains("failed login"))
        .map(|l| {
            assert!(l.contains("peer=127.0.0.1") && l.contains("basic"), "{l}");
            (field(l, "failures"), field(l, "backoff_ms"))
        })
        .collect()
}

#[tokio::test]
async fn failed_logins_are_logged_without_credentials_and_backed_off() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("pw");
    std::fs::write(&file, PASSWORD).expect("write");
    let server = Server::with(Options {
        args: vec!["--password-file".into(), file.display().to_string()],
        ..Options::default()
    })
    .await;
    for _ in 0..8 {
        assert_eq!(status(&server, Some(&basic(GUESS))).await, 401);
    }
    let logged = failed_logins(&server);
    let counts: Vec<u64> = logged.iter().map(|(n, _)| *n).collect();
    assert_eq!(counts, [1, 2, 3, 4, 5, 6, 7, 8]);
    let backoffs: Vec<u64> = logged.iter().map(|(_, ms)| *ms).collect();
    assert!(backoffs[..5].iter().all(|ms| *ms == 0), "{backoffs:?}");
    assert!(backoffs[5] > 0 && backoffs[7] > backoffs[5], "{backoffs:?}");
    assert!(backoffs.windows(2).all(|w| w[0] <= w[1]), "{backoffs:?}");

    // No credentials: refused, but no login attempt.
    assert_eq!(status(&server, None).await, 401);
    assert_eq!(failed_logins(&server).len(), 8);
    // The right password passes (after the wait due) and clears the peer.
    assert_eq!(status(&server, Some(&basic(PASSWORD))).await, 200);
    assert_eq!(status(&server, Some(&basic(GUESS))).await, 401);
    assert_eq!(failed_logins(&server).last(), Some(&(1, 0)));

    let log = server.stderr();
    for secret in [PASSWORD, GUESS, &basic(GUESS)[6..], &basic(PASSWORD)[6..]] {
        assert!(!log.contains(secret), "{secret} in the log:\n{log}");
    }
}
