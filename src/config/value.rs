//! Option values as rclone writes them: booleans and sizes given as strings or JSON scalars.

use crate::{Error, Result};

/// `true`/`false` and the spellings rclone accepts.
pub fn parse_bool(section: &str, option: &str, value: &str) -> Result<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" | "t" => Ok(true),
        "false" | "0" | "no" | "off" | "f" => Ok(false),
        _ => Err(Error::BadConfig(format!(
            "config section {section:?}: option {option:?} must be true or false, got {value:?}"
        ))),
    }
}

/// A size with an optional binary suffix: `B`, `K`, `M`, `G`, `T`, `P` (each ×1024, an `i`
/// or `iB` after the letter is accepted). Bare numbers are KiB, as in rclone.
pub fn parse_size(section: &str, option: &str, value: &str) -> Result<u64> {
    parse_size_str(value).ok_or_else(|| {
        Error::BadConfig(format!(
            "config section {section:?}: option {option:?} must be a size such as 16M, got {value:?}"
        ))
    })
}

/// Parses a size for command-line flags too (`--chunk-size 64M`, `--bwlimit 50M`).
pub fn parse_size_str(value: &str) -> Option<u64> {
    let v = value.trim();
    let split = v
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(v.len());
    let (number, suffix) = v.split_at(split);
    let number: f64 = number.parse().ok()?;
    if !number.is_finite() || number < 0.0 {
        return None;
    }
    let suffix = suffix.trim().to_ascii_lowercase();
    let suffix = suffix
        .strip_suffix("ib")
        .or_else(|| suffix.strip_suffix('i'))
        .unwrap_or(&suffix);
    let shift = match suffix {
        "" | "k" => 10,
        "b" => 0,
        "m" => 20,
        "g" => 30,
        "t" => 40,
        "p" => 50,
        _ => return None,
    };
    let bytes = number * (1u64 << shift) as f64;
    (bytes <= u64::MAX as f64).then_some(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        for (s, want) in [
            ("16M", Some(16 << 20)),
            ("16Mi", Some(16 << 20)),
            ("16MiB", Some(16 << 20)),
            ("5G", Some(5 << 30)),
            ("100", Some(100 << 10)),
            ("100B", Some(100)),
            ("1.5K", Some(1536)),
            ("0", Some(0)),
            ("", None),
            ("M", None),
            ("-1M", None),
            ("12Q", None),
        ] {
            assert_eq!(parse_size_str(s), want, "{s:?}");
        }
    }

    #[test]
    fn bools() {
        assert!(parse_bool("s", "o", "TRUE").expect("bool"));
        assert!(!parse_bool("s", "o", "false").expect("bool"));
        assert!(parse_bool("s", "o", "maybe").is_err());
    }
}
