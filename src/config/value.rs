//! Option values as rclone writes them, each kind a small type that checks its text:
//! booleans, sizes, counts, endpoints and secrets, given as strings or JSON scalars.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};

use crate::secret::Secret;

/// Reads a value from its text with `parse`, whose error says what the text must be.
fn from_text<'de, D, T>(d: D, parse: fn(&str) -> Result<T, String>) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
{
    struct Text<T>(fn(&str) -> Result<T, String>);
    impl<T> Visitor<'_> for Text<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
            (self.0)(v).map_err(E::custom)
        }
    }
    d.deserialize_str(Text(parse))
}

/// `true`/`false` and the spellings rclone accepts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flag(pub bool);

impl Flag {
    /// A flag whose absence means yes (`#[serde(default = "Flag::yes")]`).
    pub fn yes() -> Self {
        Flag(true)
    }

    fn parse(value: &str) -> Result<Self, String> {
        match value.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" | "t" => Ok(Flag(true)),
            "false" | "0" | "no" | "off" | "f" => Ok(Flag(false)),
            _ => Err(format!("must be true or false, got {value:?}")),
        }
    }
}

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        from_text(d, Flag::parse)
    }
}

/// A size in bytes (`"16M"`, `"5Gi"`; bare numbers are KiB as in rclone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size(pub u64);

impl Size {
    /// For an `Option<u64>` field: `#[serde(deserialize_with = "Size::option")]`.
    pub fn option<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        Option::<Size>::deserialize(d).map(|s| s.map(|s| s.0))
    }
}

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        from_text(d, |v| {
            parse_size_str(v)
                .map(Size)
                .ok_or_else(|| format!("must be a size such as 16M, got {v:?}"))
        })
    }
}

/// A whole number (`upload_concurrency`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count(pub usize);

impl Count {
    /// For an `Option<usize>` field: `#[serde(deserialize_with = "Count::option")]`.
    pub fn option<'de, D: Deserializer<'de>>(d: D) -> Result<Option<usize>, D::Error> {
        Option::<Count>::deserialize(d).map(|c| c.map(|c| c.0))
    }
}

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        from_text(d, |v| {
            v.trim()
                .parse()
                .map(Count)
                .map_err(|_| format!("must be a whole number, got {v:?}"))
        })
    }
}

/// An endpoint requests can be made of: an http(s) URL that `http::Uri` (what object_store
/// makes requests of, and panics on when it fails) takes both as written and as `url`
/// writes it. `url` alone accepts hosts such as ``127.0.0.1` `` and paths with spaces
/// (found by fuzzing `/_admin/backup/download`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// As the section wrote it.
    pub text: String,
    pub url: url::Url,
}

impl Endpoint {
    pub fn parse(text: &str) -> Result<Self, String> {
        let url = url::Url::parse(text).map_err(|e| e.to_string())?;
        let fits = matches!(url.scheme(), "http" | "https")
            && url.host().is_some()
            && text.parse::<http::Uri>().is_ok()
            && url.as_str().parse::<http::Uri>().is_ok()
            && url
                .origin()
                .ascii_serialization()
                .parse::<http::Uri>()
                .is_ok();
        if !fits {
            return Err("must be an http(s) URL of characters fit for a request".into());
        }
        Ok(Endpoint {
            text: text.to_owned(),
            url,
        })
    }

    /// Plain HTTP (object_store refuses it unless told).
    pub fn is_http(&self) -> bool {
        self.url.scheme() == "http"
    }
}

impl<'de> Deserialize<'de> for Endpoint {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        from_text(d, Endpoint::parse)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret::new)
    }
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
    fn flags() {
        assert_eq!(Flag::parse("TRUE"), Ok(Flag(true)));
        assert_eq!(Flag::parse(" off"), Ok(Flag(false)));
        assert!(Flag::parse("maybe").is_err());
    }

    #[test]
    fn endpoints() {
        assert!(Endpoint::parse("http://127.0.0.1:9/storage").is_ok());
        for bad in [
            "not a url",
            "ftp://h",
            "http://h/a b",
            "http://127.0.0.1`:9",
        ] {
            assert!(Endpoint::parse(bad).is_err(), "{bad}");
        }
    }
}
