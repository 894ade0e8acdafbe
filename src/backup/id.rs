//! Backup ids (docs/hot-backup-api.md §2): `<UTC timestamp with '.' for ':'>_<sanitised label>`.
//!
//! An id is also a directory name in the backup directory, so an id that comes from outside
//! (a request body, a directory listing, a remote) is only ever held as a [`BackupId`], and
//! the only way to get one from a string is [`BackupId::parse`], which admits nothing that
//! could name another place: no separators, no NUL, no `.`/`..`, no leading `.` (Ferry's
//! scratch directories start with `.`, so no id can name one).

use std::fmt;

use chrono::{DateTime, Utc};

use super::error::{BackupError, Result};

/// Longest id, in bytes (= characters: ids are ASCII), as ArangoDB cuts it.
pub const MAX_ID_LEN: usize = 254;

/// A validated backup id: non-empty, at most [`MAX_ID_LEN`] bytes of ASCII letters, digits,
/// `-`, `_` and `.`, not starting with `.`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BackupId(String);

/// The label part of an id, sanitised the way ArangoDB does it: ASCII letters and digits
/// kept; whitespace becomes `_`; `-`, `_` and `.` kept; other ASCII punctuation becomes `.`;
/// everything else (control characters, non-ASCII) is dropped.
pub fn sanitise_label(label: &str) -> String {
    label
        .chars()
        .filter_map(|c| match c {
            c if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') => Some(c),
            // C's isspace also counts the vertical tab, which Rust's ASCII whitespace omits.
            c if c.is_ascii_whitespace() || c == '\x0b' => Some('_'),
            c if c.is_ascii_punctuation() => Some('.'),
            _ => None,
        })
        .collect()
}

/// Whether `c` may appear in an id.
fn id_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.')
}

impl BackupId {
    /// A new id for a backup taken at `now`; a missing label, or one that sanitises to
    /// nothing, becomes a random UUID v4.
    pub fn generate(now: DateTime<Utc>, label: Option<&str>) -> BackupId {
        let mut label = label.map(sanitise_label).unwrap_or_default();
        if label.is_empty() {
            label = uuid::Uuid::new_v4().to_string();
        }
        let mut id = format!("{}_{label}", now.format("%Y-%m-%dT%H.%M.%SZ"));
        id.truncate(MAX_ID_LEN);
        BackupId(id)
    }

    /// Validates an id that comes from outside before it is used for anything.
    pub fn parse(id: &str) -> Result<BackupId> {
        let reject = |reason| {
            Err(BackupError::InvalidId {
                id: id.chars().take(MAX_ID_LEN + 2).collect(),
                reason,
            })
        };
        if id.is_empty() {
            return reject("empty");
        }
        if id.len() > MAX_ID_LEN {
            return reject("longer than 254 bytes");
        }
        if !id.bytes().all(id_char) {
            return reject("only ASCII letters, digits, '-', '_' and '.' are allowed");
        }
        if id.starts_with('.') {
            return reject("must not start with '.'");
        }
        Ok(BackupId(id.to_owned()))
    }

    /// The id with `_<n>` appended (n ≥ 2), cut so that the whole stays within
    /// [`MAX_ID_LEN`]; `n = 1` is the id itself. Used when an id is already taken.
    pub fn with_suffix(&self, n: u32) -> BackupId {
        if n <= 1 {
            return self.clone();
        }
        let suffix = format!("_{n}");
        let mut base = self.0.clone();
        base.truncate(MAX_ID_LEN - suffix.len());
        BackupId(base + &suffix)
    }

    /// A name for scratch directories of this backup (`.creating-<name>`, ...): the id
    /// itself while it is short, else its start and a digest of the whole, so that a prefix
    /// and the name stay within a file name's 255 bytes and distinct ids stay distinct.
    pub fn scratch_name(&self) -> String {
        const KEEP: usize = 160;
        if self.0.len() <= KEEP {
            return self.0.clone();
        }
        use sha2::Digest;
        let digest = hex::encode(sha2::Sha256::digest(self.0.as_bytes()));
        format!("{}~{}", &self.0[..KEEP - 25], &digest[..24])
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BackupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for BackupId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for BackupId {
    type Err = BackupError;

    fn from_str(s: &str) -> Result<Self> {
        BackupId::parse(s)
    }
}

impl TryFrom<String> for BackupId {
    type Error = BackupError;

    fn try_from(s: String) -> Result<Self> {
        BackupId::parse(&s)
    }
}

impl From<BackupId> for String {
    fn from(id: BackupId) -> String {
        id.0
    }
}

impl serde::Serialize for BackupId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for BackupId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        BackupId::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 8, 4, 15, 27, 49)
            .single()
            .expect("valid time")
    }

    #[test]
    fn spec_vectors() {
        assert_eq!(sanitise_label("1\"2#3,14159"), "1.2.3.14159");
        assert_eq!(sanitise_label("Today's Hot Backup"), "Today.s_Hot_Backup");
        assert_eq!(
            BackupId::generate(at(), Some("foo")).as_str(),
            "2026-08-04T15.27.49Z_foo"
        );
    }

    #[test]
    fn sanitising_drops_and_maps() {
        assert_eq!(sanitise_label("a\tb\nc\x0bd"), "a_b_c_d");
        assert_eq!(sanitise_label("ünï/cödé\0\x7f"), "n.cd");
        assert_eq!(sanitise_label("../.."), ".....");
        assert_eq!(sanitise_label("名前"), "");
    }

    #[test]
    fn missing_or_empty_label_is_a_uuid() {
        for label in [None, Some(""), Some("名前")] {
            let id = BackupId::generate(at(), label);
            let (stamp, uuid) = id.as_str().split_once('_').expect("has a label");
            assert_eq!(stamp, "2026-08-04T15.27.49Z");
            let parsed = uuid::Uuid::parse_str(uuid).expect("a uuid");
            assert_eq!(parsed.get_version_num(), 4);
            assert_eq!(uuid, uuid.to_lowercase());
        }
    }

    #[test]
    fn long_labels_are_cut() {
        let id = BackupId::generate(at(), Some(&"x".repeat(1000)));
        assert_eq!(id.as_str().len(), MAX_ID_LEN);
        BackupId::parse(id.as_str()).expect("a generated id parses");
        let suffixed = id.with_suffix(12);
        assert_eq!(suffixed.as_str().len(), MAX_ID_LEN);
        assert!(suffixed.as_str().ends_with("x_12"));
        assert_eq!(id.with_suffix(1), id);
    }

    #[test]
    fn generated_ids_parse() {
        for label in [None, Some("Today's Hot Backup"), Some(".."), Some("/etc")] {
            let id = BackupId::generate(at(), label);
            assert_eq!(BackupId::parse(id.as_str()).expect("parses"), id);
        }
    }

    #[test]
    fn parse_rejects_path_tricks() {
        let bad = [
            "",
            ".",
            "..",
            "../x",
            "a/b",
            "/etc/passwd",
            "/",
            "a\0b",
            "a\\b",
            ".creating-x",
            ".hidden",
            "a b",
            "ü",
            "a:b",
        ];
        for id in bad {
            let err = BackupId::parse(id).expect_err(id);
            assert_eq!(err.kind(), crate::ErrorKind::InvalidId, "{id:?}");
        }
        assert!(BackupId::parse(&"a".repeat(255)).is_err());
        assert!(BackupId::parse(&"a".repeat(254)).is_ok());
        assert!(BackupId::parse("2019-04-28T12.10.00Z-other-label").is_ok());
        assert!(BackupId::parse("a..b").is_ok());
    }

    #[test]
    fn serde_validates() {
        let id: BackupId = serde_json::from_str("\"2026-08-04T15.27.49Z_foo\"").expect("valid");
        assert_eq!(
            serde_json::to_string(&id).expect("ser"),
            "\"2026-08-04T15.27.49Z_foo\""
        );
        assert!(serde_json::from_str::<BackupId>("\"../x\"").is_err());
    }
}
