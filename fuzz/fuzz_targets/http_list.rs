//! Arbitrary request bodies to `POST /_admin/backup/list`, through the real router.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ferry_fuzz::http::post("list", data));
