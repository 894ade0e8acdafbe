//! `/_db/<name>/...`: Ferry serves one database, `_system`.
//!
//! ArangoDB's clients put a database in front of every path (`arangobackup`, arangojs and
//! python-arango `/_db/_system/`). Hot backup is a `_system` operation (arangobackup refuses
//! any other database), and a Ferry server has no other: any other name is answered as
//! ArangoDB answers a database that does not exist, 404 with errorNum 1228, whatever the rest
//! of the path.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::envelope::ApiError;
use crate::ErrorNum;

/// The only database there is.
pub const SYSTEM: &str = "_system";

/// Middleware: requests under `/_db/<name>/` with `name` other than `_system` end here.
pub async fn only_system(request: Request, next: Next) -> Response {
    if let Some(name) = database(request.uri().path())
        && name != SYSTEM
    {
        return ApiError::new(
            ErrorNum::DatabaseNotFound,
            format!("database not found: {name:?} (Ferry serves only {SYSTEM})"),
        )
        .into_response();
    }
    next.run(request).await
}

/// The database named by a path, percent-decoded; `None` for a path without `/_db/`.
fn database(path: &str) -> Option<String> {
    let rest = path.strip_prefix("/_db/")?;
    let raw = rest.split('/').next().unwrap_or_default();
    Some(percent_decode(raw))
}

/// `%XX` escapes decoded (as ArangoDB decodes a database name); invalid ones kept as typed.
fn percent_decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_names_from_paths() {
        assert_eq!(database("/_admin/backup/list"), None);
        assert_eq!(
            database("/_db/_system/_admin/backup/list").as_deref(),
            Some("_system")
        );
        assert_eq!(
            database("/_db/%5Fsystem/_api/version").as_deref(),
            Some("_system")
        );
        assert_eq!(database("/_db/other/_api/job/1").as_deref(), Some("other"));
        assert_eq!(database("/_db/").as_deref(), Some(""));
        assert_eq!(database("/_db/a%2").as_deref(), Some("a%2"));
        assert_eq!(database("/_db/%C3%A9").as_deref(), Some("é"));
    }
}
