//! rclone's INI config: any text, read as sections, each then resolved.
#![no_main]

use ferry::config::Config;
use ferry_fuzz::config::{check_refusal, check_sections};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match Config::from_ini(&text) {
        Ok(config) => check_sections(&config),
        Err(e) => check_refusal(&e),
    }
});
