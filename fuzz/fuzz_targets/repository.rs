//! Repository strings: `<section>:<path>` against a config with a section of every type, and
//! an arbitrary local path prefix (the input after the first newline, if any).
#![no_main]

use std::sync::LazyLock;

use ferry::config::Config;
use ferry_fuzz::repository::{check_clean, check_normalise, sections};

static CONFIG: LazyLock<Config> = LazyLock::new(sections);

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (input, prefix) = text.split_once('\n').unwrap_or((&*text, "/"));
    check_clean(input);
    check_clean(prefix);
    check_normalise(input, &CONFIG, prefix);
});
