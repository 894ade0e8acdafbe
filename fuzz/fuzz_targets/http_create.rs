//! Arbitrary request bodies to `POST /_admin/backup/create`, through the real router.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ferry_fuzz::http::post("create", data));
