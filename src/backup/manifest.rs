//! `SHA256SUMS`: the SHA-256 of every data file of a backup, in the format `sha256sum -c`
//! reads, so a backup can be checked anywhere without Ferry.
//!
//! One line per file, sorted by path (byte order): `<64 hex>  <relative path>`. A path that
//! contains `\`, a newline or a carriage return is written the way GNU coreutils writes it:
//! the line starts with `\`, and in the path `\` becomes `\\`, newline `\n`, CR `\r`.
//! Parsing also accepts the binary-mode marker (`<hex> *<path>`) and upper-case hex.
//!
//! Every path is checked to be relative and free of `.`, `..` and empty segments: a manifest
//! that came from a remote repository cannot name a file outside the backup.

use std::collections::BTreeMap;

use super::error::{BackupError, Result};

/// File name of the manifest inside a backup directory.
pub const MANIFEST_FILE: &str = "SHA256SUMS";

/// Paths (relative, `/`-separated) to lower-case hex SHA-256.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    files: BTreeMap<String, String>,
}

/// Why `path` cannot be a manifest entry, if it cannot.
fn path_problem(path: &str) -> Option<&'static str> {
    if path.is_empty() {
        Some("empty path")
    } else if path.contains('\0') {
        Some("NUL in path")
    } else if path.starts_with('/') {
        Some("absolute path")
    } else if path
        .split('/')
        .any(|s| s.is_empty() || s == "." || s == "..")
    {
        Some("path with an empty, '.' or '..' segment")
    } else {
        None
    }
}

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn escape(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 2);
    for c in path.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
}

fn unescape(path: &str) -> std::result::Result<String, &'static str> {
    let mut out = String::with_capacity(path.len());
    let mut chars = path.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            _ => return Err("unknown escape in path (only \\\\, \\n and \\r exist)"),
        }
    }
    Ok(out)
}

impl Manifest {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the digest of `path`.
    pub fn insert(&mut self, path: &str, sha256: &str) -> Result<()> {
        let bad = |message: &str| BackupError::Manifest {
            line: 0,
            message: format!("{path:?}: {message}"),
        };
        if let Some(problem) = path_problem(path) {
            return Err(bad(problem));
        }
        if !is_sha256_hex(sha256) {
            return Err(bad("not a SHA-256 in hex"));
        }
        self.files
            .insert(path.to_owned(), sha256.to_ascii_lowercase());
        Ok(())
    }

    /// The digest of `path`, if listed.
    pub fn get(&self, path: &str) -> Option<&str> {
        self.files.get(path).map(String::as_str)
    }

    /// `(path, sha256)` in path order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.files.iter().map(|(p, h)| (p.as_str(), h.as_str()))
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The manifest as `sha256sum` writes it.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for (path, hash) in &self.files {
            let escaped = escape(path);
            if escaped.len() != path.len() {
                out.push('\\');
            }
            out.push_str(hash);
            out.push_str("  ");
            out.push_str(&escaped);
            out.push('\n');
        }
        out
    }

    /// Parses a manifest; any malformed line, unsafe path or duplicate is an error naming
    /// the line.
    pub fn parse(text: &str) -> Result<Manifest> {
        let mut manifest = Manifest::new();
        let lines = text.strip_suffix('\n').unwrap_or(text);
        if lines.is_empty() {
            return Ok(manifest);
        }
        for (index, line) in lines.split('\n').enumerate() {
            let bad = |message: String| BackupError::Manifest {
                line: index + 1,
                message,
            };
            let (escaped, rest) = match line.strip_prefix('\\') {
                Some(rest) => (true, rest),
                None => (false, line),
            };
            let (hash, path) = match (rest.get(..64), rest.get(64..66), rest.get(66..)) {
                (Some(h), Some("  " | " *"), Some(p)) => (h, p),
                _ => return Err(bad("expected '<64 hex digits>  <path>'".into())),
            };
            if !is_sha256_hex(hash) {
                return Err(bad(format!("{hash:?} is not a SHA-256 in hex")));
            }
            let path = if escaped {
                unescape(path).map_err(|m| bad(m.into()))?
            } else {
                path.to_owned()
            };
            if let Some(problem) = path_problem(&path) {
                return Err(bad(format!("{path:?}: {problem}")));
            }
            if manifest.files.contains_key(&path) {
                return Err(bad(format!("{path:?} is listed twice")));
            }
            manifest.files.insert(path, hash.to_ascii_lowercase());
        }
        Ok(manifest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H1: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    const H2: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    #[test]
    fn writes_sorted_and_escaped() {
        let mut m = Manifest::new();
        m.insert("b/c.sst", H1).expect("ok");
        m.insert("a b", H2).expect("ok");
        m.insert("back\\slash", H1).expect("ok");
        m.insert("new\nline", H1).expect("ok");
        let text = m.to_text();
        let expected =
            format!("{H2}  a b\n{H1}  b/c.sst\n\\{H1}  back\\\\slash\n\\{H1}  new\\nline\n");
        assert_eq!(text, expected);
        assert_eq!(Manifest::parse(&text).expect("parses"), m);
    }

    #[test]
    fn round_trip_odd_names() {
        let names = [
            "plain",
            "sp ace",
            "  lead and trail  ",
            "tab\there",
            "c\rr",
            "\\",
            "\\n literally",
            "ünïcödé/名前",
            "x/y/z.sst",
            "*star",
        ];
        let mut m = Manifest::new();
        for (i, name) in names.iter().enumerate() {
            m.insert(name, if i % 2 == 0 { H1 } else { H2 })
                .expect(name);
        }
        let parsed = Manifest::parse(&m.to_text()).expect("parses");
        assert_eq!(parsed, m);
        assert_eq!(parsed.len(), names.len());
    }

    #[test]
    fn accepts_binary_marker_and_upper_case() {
        let text = format!("{}  a\n{H2} *b\n", H1.to_uppercase());
        let m = Manifest::parse(&text).expect("parses");
        assert_eq!(m.get("a"), Some(H1));
        assert_eq!(m.get("b"), Some(H2));
        assert!(Manifest::parse("").expect("empty").is_empty());
    }

    #[test]
    fn rejects_malformed_lines() {
        let bad = [
            format!("{H1} a\n"),
            format!("{H1}\ta\n"),
            format!("{}  a\n", &H1[..63]),
            format!("{}g  a\n", &H1[..63]),
            format!("{H1}  \n"),
            format!("{H1}  a\n\n"),
            format!("{H1}  a\n{H2}  a\n"),
            format!("{H1}  ../etc/passwd\n"),
            format!("{H1}  /etc/passwd\n"),
            format!("{H1}  a//b\n"),
            format!("{H1}  ./a\n"),
            format!("\\{H1}  a\\tb\n"),
            format!("\\{H1}  a\\\n"),
            format!("{H1}  a\0b\n"),
            "garbage\n".to_owned(),
        ];
        for text in &bad {
            let err = Manifest::parse(text).expect_err(text);
            assert!(
                matches!(err, BackupError::Manifest { line: 1 | 2, .. }),
                "{err}"
            );
        }
        let err = Manifest::parse(&format!("{H1}  a\n{H2}  a\n")).expect_err("dup");
        assert!(err.to_string().contains("line 2"), "{err}");
    }

    #[test]
    fn insert_rejects_unsafe_paths() {
        let mut m = Manifest::new();
        for path in ["", "..", "a/../b", "/abs", "a/", "a\0"] {
            assert!(m.insert(path, H1).is_err(), "{path:?}");
        }
        assert!(m.insert("a", "nothex").is_err());
    }
}
