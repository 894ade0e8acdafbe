//! Modification times, kept as rclone keeps them so that rclone and Ferry read each other's:
//! on object stores the metadata `mtime` (S3's `X-Amz-Meta-Mtime`) in rclone's format,
//! fractional Unix seconds (`1709633472`, `1709633472.5`, `1709633472.123456789`: nine
//! digits at most, trailing zeros dropped, none for a whole second; rclone's
//! `swift.TimeToFloatString`) on S3, RFC 3339 with nine digits of fraction on Azure Blob
//! and GCS (as rclone's backends there write it); on local files the file's own mtime.
//!
//! Which time a write carries travels beside the call, in [`WRITING`], not through the
//! [`super::Backend`] contract: every store and layer keeps its signatures, and a store that
//! keeps times looks it up when it writes. The engine sets it around one file's upload
//! ([`writing`]); outside one, nothing is set and nothing is kept.

use chrono::{DateTime, TimeZone, Utc};

/// The metadata key rclone stores the modification time under.
pub const MTIME_METADATA: &str = "mtime";

tokio::task_local! {
    /// The modification time of the file being written by this task.
    static WRITING: Option<DateTime<Utc>>;
}

/// Runs `write` (one file's upload) with `modified` as the time its writes keep.
pub async fn writing<F: std::future::Future>(
    modified: Option<DateTime<Utc>>,
    write: F,
) -> F::Output {
    WRITING.scope(modified, write).await
}

/// The modification time the current write keeps, if any.
pub fn being_written() -> Option<DateTime<Utc>> {
    WRITING.try_with(|m| *m).ok().flatten()
}

/// rclone's `mtime` text of `t`.
pub fn format(t: DateTime<Utc>) -> String {
    let (secs, nanos) = (t.timestamp(), t.timestamp_subsec_nanos());
    if nanos == 0 {
        return secs.to_string();
    }
    let text = format!("{secs}.{nanos:09}");
    text.trim_end_matches('0').to_owned()
}

/// RFC 3339 with nine digits of fraction: rclone's Azure Blob `mtime`.
pub fn format_rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}

/// The time of an `mtime` text: Unix seconds (rclone's `swift.FloatStringToTime`) or RFC
/// 3339; `None` for anything else, which then counts as no time kept.
pub fn parse(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    let (secs, frac) = text.split_once('.').unwrap_or((text, ""));
    let secs: i64 = secs.parse().ok()?;
    if frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let nanos: u32 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<9}").parse().ok()?
    };
    Utc.timestamp_opt(secs, nanos).single()
}

/// Gives a local file being written the modification time of its source, before it is
/// published.
pub fn keep(file: &std::fs::File, modified: Option<DateTime<Utc>>) -> std::io::Result<()> {
    match modified {
        Some(t) => file.set_modified(t.into()),
        None => Ok(()),
    }
}

/// A file system time as a UTC time.
pub fn of_system(t: std::time::SystemTime) -> DateTime<Utc> {
    DateTime::<Utc>::from(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rclones_format_both_ways() {
        for (text, secs, nanos) in [
            ("1709633472", 1_709_633_472, 0),
            ("1709633472.5", 1_709_633_472, 500_000_000),
            ("1709633472.123456789", 1_709_633_472, 123_456_789),
            ("1709633472.00000001", 1_709_633_472, 10),
        ] {
            let t = Utc.timestamp_opt(secs, nanos).unwrap();
            assert_eq!(format(t), text);
            assert_eq!(parse(text), Some(t));
        }
        assert_eq!(parse("1709633472.50"), parse("1709633472.5"));
        let t = Utc.timestamp_opt(1_709_633_472, 500_000_000).unwrap();
        assert_eq!(format_rfc3339(t), "2024-03-05T10:11:12.500000000Z");
        assert_eq!(parse("2024-03-05T10:11:12.5Z"), Some(t));
        for bad in ["", "x", "1.2.3", "1.1234567891", "1.-5"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[tokio::test]
    async fn the_time_is_known_only_inside_its_write() {
        let t = Utc.timestamp_opt(5, 0).unwrap();
        assert_eq!(being_written(), None);
        assert_eq!(writing(Some(t), async { being_written() }).await, Some(t));
    }
}
