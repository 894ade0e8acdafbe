//! The API's `config` object: any JSON document, read as sections, each then resolved.
#![no_main]

use ferry::config::Config;
use ferry_fuzz::config::{check_refusal, check_sections};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    match Config::from_json(&value) {
        Ok(config) => check_sections(&config),
        Err(e) => check_refusal(&e),
    }
});
