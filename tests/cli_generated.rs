//! `ferry completion` and `ferry man`: generated from the clap definitions, so every
//! command `--help` lists is in every script and page, and so are the flags.

mod common;

use common::*;

/// The commands `ferry --help` lists (clap's own `help` aside).
fn commands(state: &std::path::Path) -> Vec<String> {
    let out = run(ferry(state).arg("--help"));
    assert!(out.status.success(), "{}", text(&out));
    let help = String::from_utf8(out.stdout).expect("utf-8");
    let listed = help
        .split("Commands:")
        .nth(1)
        .and_then(|rest| rest.split("Options:").next())
        .expect("a Commands: section");
    let names: Vec<String> = listed
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| *n != "help")
        .map(str::to_owned)
        .collect();
    for known in ["copy", "check", "ls", "delete", "completion", "man"] {
        assert!(names.iter().any(|n| n == known), "{known} in {names:?}");
    }
    names
}

fn stdout_of(state: &std::path::Path, args: &[&str]) -> String {
    let out = run(ferry(state).args(args));
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out));
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn every_shell_script_offers_every_command_and_their_flags() {
    let dir = tempfile::tempdir().expect("tempdir");
    let commands = commands(dir.path());
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let script = stdout_of(dir.path(), &["completion", shell]);
        for c in &commands {
            assert!(script.contains(c.as_str()), "{shell}: no {c}");
        }
        for flag in ["error-on-no-transfer", "dry-run", "config"] {
            assert!(script.contains(flag), "{shell}: no --{flag}");
        }
    }
    // An output file, as rclone's `completion bash [output_file]`; `-` is stdout.
    let file = dir.path().join("ferry.bash");
    stdout_of(
        dir.path(),
        &["completion", "bash", file.to_str().expect("utf-8")],
    );
    assert_eq!(
        std::fs::read_to_string(&file).expect("written"),
        stdout_of(dir.path(), &["completion", "bash", "-"])
    );
    let out = run(ferry(dir.path()).args(["completion", "tcsh"]));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[test]
fn the_man_page_lists_every_command_and_each_gets_its_own() {
    let dir = tempfile::tempdir().expect("tempdir");
    let commands = commands(dir.path());
    let page = stdout_of(dir.path(), &["man"]);
    assert!(
        page.starts_with(".ie") && page.contains(".TH ferry 1"),
        "{page}"
    );
    for c in &commands {
        // roff escapes the dash: `ferry\-copy(1)`.
        assert!(page.contains(&format!("ferry\\-{c}(1)")), "no {c}");
    }
    let pages = dir.path().join("man1");
    stdout_of(dir.path(), &["man", pages.to_str().expect("utf-8")]);
    for c in &commands {
        let one = std::fs::read_to_string(pages.join(format!("ferry-{c}.1")))
            .unwrap_or_else(|e| panic!("ferry-{c}.1: {e}"));
        assert!(one.contains(".SH SYNOPSIS"), "{c}");
    }
    let copy = std::fs::read_to_string(pages.join("ferry-copy.1")).expect("copy page");
    assert!(copy.contains("error\\-on\\-no\\-transfer"), "{copy}");
}
