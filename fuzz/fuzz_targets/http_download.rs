//! Arbitrary request bodies to `POST /_admin/backup/download`, through the real router.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ferry_fuzz::http::post("download", data));
