//! rclone's remote strings: `remote:path`, `remote,opt=value:path` (options that override the
//! config for this use) and the on-the-fly `:backend,opt=value:path`, which needs no config
//! at all. A port of rclone's `fs/fspath.Parse`, with its rules and its errors.
//!
//! Options in such a string may be credentials, so no error built here ever quotes the string.

use std::collections::BTreeMap;

use base64::Engine;
use sha2::Digest;

use crate::{Error, Result};

/// A remote named on the command line.
#[derive(Clone, PartialEq, Eq)]
pub struct RemoteSpec {
    /// The config name (`remote`), or `:` and a backend type for an on-the-fly remote (`:s3`).
    pub name: String,
    /// Options given in the string itself; they win over every other source.
    pub overrides: BTreeMap<String, String>,
    /// The path inside the remote, as typed (may be empty).
    pub path: String,
}

impl RemoteSpec {
    /// The backend type of an on-the-fly remote (`s3` for `:s3`).
    pub fn on_the_fly(&self) -> Option<&str> {
        self.name.strip_prefix(':')
    }
}

/// What to call a remote in messages and journals: its name, and when the string carried
/// options a short hash of them, as rclone does (`:s3{a1B2c}`), so that two remotes with the
/// same name and different options are told apart without showing any option.
pub fn display_name(spec: &RemoteSpec) -> String {
    if spec.overrides.is_empty() {
        return spec.name.clone();
    }
    let joined: Vec<String> = spec
        .overrides
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let digest = sha2::Sha256::digest(joined.join(",").as_bytes());
    let hash = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
    format!("{}{{{}}}", spec.name, &hash[..5])
}

impl std::fmt::Debug for RemoteSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Option values may be secrets; their names are enough to debug with.
        f.debug_struct("RemoteSpec")
            .field("name", &self.name)
            .field("overrides", &self.overrides.keys().collect::<Vec<_>>())
            .field("path", &self.path)
            .finish()
    }
}

/// Why a remote string does not parse; rclone's wording. Never holds the string itself.
fn syntax(why: &str) -> Error {
    Error::BadParameter(format!(
        "remote string (`remote:path` or `:backend,option=value:path`): {why}"
    ))
}

/// Whether `name` (without `:`) is a valid rclone config name: letters, numbers, `_`, `-`,
/// `.`, `+`, `@` and space, not starting with `-` or space, not ending with space.
pub fn valid_config_name(name: &str) -> bool {
    let allowed = |c: char| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '+' | '@' | ' ');
    !name.is_empty()
        && name.chars().all(allowed)
        && !name.starts_with(['-', ' '])
        && !name.ends_with(' ')
}

fn is_param_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.'
}

/// Splits `arg` as rclone does. `None`: a local path (no `:`, or a `/` before the first `:`
/// or `,`). A string that starts with `:` is always meant as a remote: if it does not parse,
/// that is an error, never a local path.
pub fn parse(arg: &str) -> Result<Option<RemoteSpec>> {
    if arg.is_empty() {
        return Err(syntax("can't use empty string as a path"));
    }
    if !arg.contains(':') {
        return Ok(None);
    }
    let on_the_fly = arg.starts_with(':');
    let body = if on_the_fly { &arg[1..] } else { arg };
    // The name ends at the first `:` or `,`; a path separator before it makes a local path.
    let Some(end) = body.find([':', ',', '/', '\\']) else {
        return Err(syntax("config name needs a trailing `:`"));
    };
    if matches!(body.as_bytes()[end], b'/' | b'\\') {
        return if on_the_fly {
            Err(syntax(
                "config name contains invalid characters - may only contain numbers, letters, `_`, `-`, `.`, `+`, `@` and space",
            ))
        } else {
            Ok(None)
        };
    }
    let name = &body[..end];
    if name.is_empty() {
        return Err(syntax("config name can't be empty"));
    }
    if !valid_config_name(name) {
        return Err(syntax(
            "config name contains invalid characters - may only contain numbers, letters, `_`, `-`, `.`, `+`, `@` and space, while not start with `-` or space, and not end with space",
        ));
    }
    let mut spec = RemoteSpec {
        name: if on_the_fly {
            format!(":{name}")
        } else {
            name.to_owned()
        },
        overrides: BTreeMap::new(),
        path: String::new(),
    };
    let mut rest = &body[end..];
    while let Some(after) = rest.strip_prefix(',') {
        rest = parse_param(after, &mut spec.overrides)?;
    }
    let path = rest
        .strip_prefix(':')
        .ok_or_else(|| syntax("syntax error in config string"))?;
    spec.path = path.to_owned();
    Ok(Some(spec))
}

/// Parses `param[=value]` up to the `,` or `:` after it into `out`; returns what follows
/// (starting at that `,` or `:`).
fn parse_param<'a>(s: &'a str, out: &mut BTreeMap<String, String>) -> Result<&'a str> {
    let end = s
        .find(|c: char| !is_param_char(c))
        .ok_or_else(|| syntax("config parameter must end with `,` or `:`"))?;
    let param = &s[..end];
    let rest = &s[end..];
    let sep = rest.chars().next().unwrap_or(':');
    if !matches!(sep, ':' | ',' | '=') {
        return Err(syntax(
            "config parameters may only contain `0-9`, `A-Z`, `a-z`, `_` and `.`",
        ));
    }
    if param.is_empty() {
        return Err(syntax("config parameters can't be empty"));
    }
    if sep != '=' {
        out.insert(param.to_owned(), "true".to_owned());
        return Ok(rest);
    }
    let value_text = &rest[1..];
    let (value, tail) = match value_text.chars().next() {
        Some(q @ ('"' | '\'')) => quoted(&value_text[1..], q)?,
        _ => {
            let end = value_text
                .find([',', ':'])
                .ok_or_else(|| syntax("unquoted config value must end with `,` or `:`"))?;
            (value_text[..end].to_owned(), &value_text[end..])
        }
    };
    out.insert(param.to_owned(), value);
    Ok(tail)
}

/// A value in `quote`s, a doubled quote standing for one; returns it and what follows.
fn quoted(s: &str, quote: char) -> Result<(String, &str)> {
    let mut value = String::new();
    let mut chars = s.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c != quote {
            value.push(c);
            continue;
        }
        match chars.peek() {
            Some((_, next)) if *next == quote => {
                value.push(quote);
                chars.next();
            }
            Some((j, ',' | ':')) => return Ok((value, &s[*j..])),
            _ => {
                return Err(syntax(
                    "expecting `:` or `,` or another quote after a quote",
                ));
            }
        }
    }
    Err(syntax("unterminated quoted config value"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote(arg: &str) -> RemoteSpec {
        parse(arg).expect("parses").expect("a remote")
    }

    #[test]
    fn local_paths() {
        for local in ["/a/b", "a/b", "./a:b", "dir/x:y", "/", "plain", "a/b,c:d"] {
            assert_eq!(parse(local).expect("parses"), None, "{local}");
        }
    }

    #[test]
    fn remotes_and_paths() {
        for (arg, name, path) in [
            ("remote:", "remote", ""),
            ("remote:potato/sausage", "remote", "potato/sausage"),
            ("remote:/potato", "remote", "/potato"),
            ("rem ote:x", "rem ote", "x"),
            ("user@example.com:x", "user@example.com", "x"),
            (".:x", ".", "x"),
            (":s3:b/x", ":s3", "b/x"),
            (":remote:", ":remote", ""),
            ("blåbær:x", "blåbær", "x"),
        ] {
            let s = remote(arg);
            assert_eq!((s.name.as_str(), s.path.as_str()), (name, path), "{arg}");
            assert!(s.overrides.is_empty(), "{arg}");
        }
    }

    #[test]
    fn options_in_the_string() {
        let s = remote(
            ":s3,provider=Other,access_key_id=AK,secret_access_key=\"a,b:c\"\"d\",env_auth:bucket/p",
        );
        assert_eq!(s.on_the_fly(), Some("s3"));
        assert_eq!(s.path, "bucket/p");
        assert_eq!(s.overrides["provider"], "Other");
        assert_eq!(s.overrides["access_key_id"], "AK");
        assert_eq!(s.overrides["secret_access_key"], "a,b:c\"d");
        assert_eq!(s.overrides["env_auth"], "true");
        let s = remote("remote,region='eu west':x");
        assert_eq!(
            (s.name.as_str(), s.overrides["region"].as_str()),
            ("remote", "eu west")
        );
        let s = remote("remote,a=:x");
        assert_eq!(s.overrides["a"], "");
    }

    #[test]
    fn bad_strings_are_errors_that_never_quote_them() {
        for bad in [
            "",
            ":",
            "::",
            ":s3",
            ":s3/x:y",
            ":rem[ote:potato",
            " remote:",
            "remote :",
            "-remote:x",
            ":s3,secret_access_key=TOPSECRET",
            ":s3,secret_access_key=\"TOPSECRET:b",
            ":s3,secret_access_key=\"TOPSECRET\"x:b",
            ":s3,bad-param=TOPSECRET:b",
            ":s3,=TOPSECRET:b",
            "remote,:x",
        ] {
            let e = parse(bad).expect_err(bad);
            assert!(!e.to_string().contains("TOPSECRET"), "{bad}: {e}");
        }
        let spec = remote(":s3,secret_access_key=TOPSECRET:b");
        assert!(!format!("{spec:?}").contains("TOPSECRET"));
    }

    #[test]
    fn display_names_hide_options() {
        let s = remote(":s3,secret_access_key=TOPSECRET:b");
        let shown = display_name(&s);
        assert!(
            shown.starts_with(":s3{") && !shown.contains("TOPSECRET"),
            "{shown}"
        );
        assert_ne!(
            shown,
            display_name(&remote(":s3,secret_access_key=OTHER:b"))
        );
        assert_eq!(display_name(&remote("mys3:b")), "mys3");
    }
}
