//! rclone's filters (fs/filter): which files of a listing a command works on.
//!
//! Rules come from `--include`, `--include-from`, `--exclude`, `--exclude-from`,
//! `--filter` and `--filter-from`, added in that order, as rclone's `parseRules`
//! (fs/filter/rules.go) adds them; an include rule adds a final `- /**` that excludes
//! everything else. A path is matched against the rules in order: the first that matches
//! decides, and a path no rule matches is included. `--filter` rules are `+ glob`,
//! `- glob`, or `!`, which clears the rules so far. Files read for rules skip blank lines
//! and lines starting with `#` or `;`; `-` is stdin. `--min-size` and `--max-size` come
//! first, as in rclone's `Filter.Include`. Globs: [`glob`].

pub mod glob;

use std::collections::HashSet;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use regex::Regex;

/// What was asked for, before anything is read or compiled.
#[derive(Debug, Clone, Default)]
pub struct FilterOptions {
    pub include: Vec<String>,
    pub include_from: Vec<PathBuf>,
    pub exclude: Vec<String>,
    pub exclude_from: Vec<PathBuf>,
    /// `+ glob`, `- glob` or `!`.
    pub filter: Vec<String>,
    pub filter_from: Vec<PathBuf>,
    /// Only files at least this large (rclone's `--min-size`).
    pub min_size: Option<u64>,
    /// Only files at most this large (rclone's `--max-size`).
    pub max_size: Option<u64>,
    pub ignore_case: bool,
}

/// The compiled rules.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    rules: Vec<(bool, Regex)>,
    min_size: Option<u64>,
    max_size: Option<u64>,
}

impl Filter {
    /// Reads the rule files and compiles every glob; the first bad one is the error.
    pub fn new(opt: &FilterOptions) -> Result<Filter, String> {
        let mut rules = Rules {
            ignore_case: opt.ignore_case,
            ..Rules::default()
        };
        let mut implicit_exclude = false;
        for glob in &opt.include {
            rules.add(true, glob)?;
            implicit_exclude = true;
        }
        for path in &opt.include_from {
            for line in lines(path)? {
                rules.add(true, &line)?;
            }
            implicit_exclude = true;
        }
        for glob in &opt.exclude {
            rules.add(false, glob)?;
        }
        for path in &opt.exclude_from {
            for line in lines(path)? {
                rules.add(false, &line)?;
            }
        }
        for rule in &opt.filter {
            rules.add_rule(rule)?;
        }
        for path in &opt.filter_from {
            for line in lines(path)? {
                rules.add_rule(&line)?;
            }
        }
        if implicit_exclude {
            rules.add(false, "/**")?;
        }
        Ok(Filter {
            rules: rules.rules,
            min_size: opt.min_size,
            max_size: opt.max_size,
        })
    }

    /// No rule and no size limit: everything is included.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty() && self.min_size.is_none() && self.max_size.is_none()
    }

    /// Whether the file at `path` (relative to the listed root, `/`-separated) of `size`
    /// bytes is worked on.
    pub fn include(&self, path: &str, size: u64) -> bool {
        if self.min_size.is_some_and(|min| size < min)
            || self.max_size.is_some_and(|max| size > max)
        {
            return false;
        }
        self.rules
            .iter()
            .find(|(_, re)| re.is_match(path))
            .is_none_or(|(include, _)| *include)
    }
}

/// Rules being added, each once (rclone skips a rule it already has).
#[derive(Default)]
struct Rules {
    rules: Vec<(bool, Regex)>,
    seen: HashSet<(bool, String)>,
    ignore_case: bool,
}

impl Rules {
    fn add(&mut self, include: bool, glob: &str) -> Result<(), String> {
        let re = glob::glob_to_regex(glob, self.ignore_case)?;
        if self.seen.insert((include, re.as_str().to_owned())) {
            self.rules.push((include, re));
        }
        Ok(())
    }

    /// One `--filter` rule: `+ glob`, `- glob`, or `!` (clear).
    fn add_rule(&mut self, rule: &str) -> Result<(), String> {
        if rule == "!" {
            self.rules.clear();
            self.seen.clear();
            return Ok(());
        }
        if let Some(glob) = rule.strip_prefix("- ") {
            return self.add(false, glob);
        }
        if let Some(glob) = rule.strip_prefix("+ ") {
            return self.add(true, glob);
        }
        Err(format!("malformed rule {rule:?}"))
    }
}

/// The rule lines of a file (`-`: stdin), trimmed, without blanks and comments.
fn lines(path: &Path) -> Result<Vec<String>, String> {
    let read: Box<dyn BufRead> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Box::new(std::io::BufReader::new(file))
    };
    let mut out = Vec::new();
    for line in read.lines() {
        let line = line.map_err(|e| format!("{}: {e}", path.display()))?;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        out.push(line.to_owned());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(opt: FilterOptions) -> Filter {
        Filter::new(&opt).expect("filter")
    }

    #[test]
    fn includes_exclude_the_rest_and_the_first_match_decides() {
        let f = filter(FilterOptions {
            include: vec!["*.txt".into()],
            ..Default::default()
        });
        assert!(f.include("a.txt", 1) && f.include("d/b.txt", 1));
        assert!(!f.include("c.jpg", 1));
        let f = filter(FilterOptions {
            filter: vec!["- secret/**".into(), "+ *.txt".into(), "- *".into()],
            ..Default::default()
        });
        assert!(!f.include("secret/a.txt", 1) && f.include("a.txt", 1));
        assert!(!f.include("a.jpg", 1));
        // `!` clears what came before.
        let f = filter(FilterOptions {
            exclude: vec!["*.txt".into()],
            filter: vec!["!".into()],
            ..Default::default()
        });
        assert!(f.include("a.txt", 1));
        assert!(
            Filter::new(&FilterOptions {
                filter: vec!["x".into()],
                ..Default::default()
            })
            .is_err()
        );
    }

    #[test]
    fn sizes_and_rule_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let rules = dir.path().join("rules");
        std::fs::write(&rules, "# comment\n\n; also\n- *.tmp\n+ keep/**\n- **\n").expect("write");
        let f = filter(FilterOptions {
            filter_from: vec![rules],
            min_size: Some(2),
            max_size: Some(10),
            ..Default::default()
        });
        assert!(f.include("keep/a", 5));
        assert!(!f.include("keep/a", 1) && !f.include("keep/a", 11));
        assert!(!f.include("keep/a.tmp", 5) && !f.include("other", 5));
        assert!(filter(FilterOptions::default()).is_empty());
    }
}
