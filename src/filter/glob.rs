//! rclone's glob syntax, turned into a regular expression the way rclone's
//! `globToRegexp` (fs/filter/glob.go) does, rule for rule, in path mode:
//!
//! - `*` is any run of characters but `/`, `**` any run including `/`, `***` an error;
//! - `?` is one character but `/`;
//! - `[...]` a character class, passed through; `\x` the character `x`;
//! - `{a,b}` either alternative (may nest); `{{re}}` a raw regular expression;
//! - a glob starting with `/` matches from the root only, any other one at the start of
//!   any path segment (`(^|/)`); every glob matches to the end of the path.
//!
//! The `regex` crate reads the same syntax as Go's RE2 for everything this produces.

use regex::Regex;

/// The regular expression rclone makes of `glob` (`GlobPathToRegexp`).
pub fn glob_to_regex(glob: &str, ignore_case: bool) -> Result<Regex, String> {
    let mut re = String::new();
    if ignore_case {
        re.push_str("(?i)");
    }
    let glob = match glob.strip_prefix('/') {
        Some(rest) => {
            re.push('^');
            rest
        }
        None => {
            re.push_str("(^|/)");
            glob
        }
    };
    let mut stars = 0;
    let insert_stars = |re: &mut String, stars: &mut usize| -> Result<(), String> {
        match *stars {
            0 => {}
            1 => re.push_str("[^/]*"),
            2 => re.push_str(".*"),
            _ => return Err(format!("too many stars in {glob:?}")),
        }
        *stars = 0;
        Ok(())
    };
    let mut brace_depth = 0usize;
    let mut in_brackets = 0usize;
    let mut slashed = false;
    let mut in_regexp = false;
    let mut in_regexp_end = false;
    let mut last = '\0';
    for c in glob.chars() {
        let prev = std::mem::replace(&mut last, c);
        if slashed {
            re.push(c);
            slashed = false;
            continue;
        }
        if in_regexp_end {
            if c == '}' {
                // `}}}`: the regexp takes the longest run; its final `)` becomes `}`.
                re.pop();
                re.push_str("})");
                continue;
            }
            in_regexp_end = false;
        }
        if in_regexp {
            if c == '}' && prev == '}' {
                in_regexp = false;
                in_regexp_end = true;
                re.pop();
                re.push(')');
            } else {
                re.push(c);
            }
            continue;
        }
        if c != '*' {
            insert_stars(&mut re, &mut stars)?;
        }
        if in_brackets > 0 {
            re.push(c);
            match c {
                '[' => in_brackets += 1,
                ']' => in_brackets -= 1,
                _ => {}
            }
            continue;
        }
        match c {
            '\\' => {
                re.push(c);
                slashed = true;
            }
            '*' => stars += 1,
            '?' => re.push_str("[^/]"),
            '[' => {
                re.push(c);
                in_brackets += 1;
            }
            ']' => return Err(format!("mismatched ']' in glob {glob:?}")),
            '{' if brace_depth > 0 && prev == '{' => {
                // `{{` opens a raw regexp: the `(` of the first `{` wraps it.
                in_regexp = true;
                brace_depth -= 1;
            }
            '{' => {
                brace_depth += 1;
                re.push('(');
            }
            '}' => {
                if brace_depth == 0 {
                    return Err(format!("mismatched '{{' and '}}' in glob {glob:?}"));
                }
                re.push(')');
                brace_depth -= 1;
            }
            ',' if brace_depth > 0 => re.push('|'),
            '.' | '+' | '(' | ')' | '|' | '^' | '$' => {
                re.push('\\');
                re.push(c);
            }
            c => re.push(c),
        }
    }
    insert_stars(&mut re, &mut stars)?;
    if in_brackets > 0 {
        return Err(format!("mismatched '[' and ']' in glob {glob:?}"));
    }
    if brace_depth != 0 {
        return Err(format!("mismatched '{{' and '}}' in glob {glob:?}"));
    }
    if in_regexp {
        return Err(format!("mismatched '{{{{' and '}}}}' in glob {glob:?}"));
    }
    re.push('$');
    Regex::new(&re).map_err(|e| format!("bad glob pattern {glob:?} (regexp {re:?}): {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// rclone's own cases (fs/filter/glob_test.go, `TestGlobPathToRegexp`), all but
    /// `[a--b]`, an error for Go's RE2 and a class difference for the `regex` crate.
    #[test]
    fn the_regexps_rclone_makes() {
        for (glob, want) in [
            ("", "(^|/)$"),
            ("potato", "(^|/)potato$"),
            ("potato,sausage", "(^|/)potato,sausage$"),
            ("/potato", "^potato$"),
            ("potato?sausage", "(^|/)potato[^/]sausage$"),
            ("potat[oa]", "(^|/)potat[oa]$"),
            ("potat[a-z]or", "(^|/)potat[a-z]or$"),
            ("potat[[:alpha:]]or", "(^|/)potat[[:alpha:]]or$"),
            (
                "'.' '+' '(' ')' '|' '^' '$'",
                r"(^|/)'\.' '\+' '\(' '\)' '\|' '\^' '\$'$",
            ),
            ("*.jpg", r"(^|/)[^/]*\.jpg$"),
            ("a{b,c,d}e", "(^|/)a(b|c|d)e$"),
            ("a{b,{c,d}}e", "(^|/)a(b|(c|d))e$"),
            ("{a,b/{c,d}/**}", "(^|/)(a|b/(c|d)/.*)$"),
            ("potato**", "(^|/)potato.*$"),
            ("potato**sausage", "(^|/)potato.*sausage$"),
            ("*.p[lm]", r"(^|/)[^/]*\.p[lm]$"),
            (r"[\[\]]", r"(^|/)[\[\]]$"),
            ("*.{jpg,png,gif}", r"(^|/)[^/]*\.(jpg|png|gif)$"),
            (r"a\*b", r"(^|/)a\*b$"),
            (r"a\\b", r"(^|/)a\\b$"),
            ("a{{.*}}b", "(^|/)a(.*)b$"),
            ("{{regexp}}", "(^|/)(regexp)$"),
            (r"\{{{regexp}}", r"(^|/)\{(regexp)$"),
            ("/{{regexp}}", "^(regexp)$"),
            (r"/{{\d{8}}}", r"^(\d{8})$"),
            (r"/{{\}}}", r"^(\})$"),
            ("{{(?i)regexp}}", "(^|/)((?i)regexp)$"),
        ] {
            assert_eq!(
                glob_to_regex(glob, false).expect(glob).as_str(),
                want,
                "{glob}"
            );
        }
        for (bad, why) in [
            ("***potato", "too many stars"),
            ("***", "too many stars"),
            ("ab]c", "mismatched ']'"),
            ("ab[c", "mismatched '[' and ']'"),
            ("ab{x{cd", "mismatched '{' and '}'"),
            ("ab{}}cd", "mismatched '{' and '}'"),
            ("ab}c", "mismatched '{' and '}'"),
            ("ab{c", "mismatched '{' and '}'"),
            ("a{{.*}", "mismatched '{{' and '}}'"),
        ] {
            let e = glob_to_regex(bad, false).expect_err(bad);
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn paths_match_as_in_rclone() {
        let m = |glob: &str, path: &str| glob_to_regex(glob, false).expect(glob).is_match(path);
        assert!(m("*.txt", "a.txt") && m("*.txt", "dir/a.txt"));
        assert!(!m("/*.txt", "dir/a.txt") && m("/*.txt", "a.txt"));
        assert!(m("dir/**", "dir/x/y") && !m("dir/*", "dir/x/y"));
        assert!(!m("a.txt", "ba.txt"));
        assert!(glob_to_regex("*.TXT", true).expect("ci").is_match("a.txt"));
    }
}
