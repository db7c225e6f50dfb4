//! The `hal_parse` fuzz target: the properties of `fuzz/checks/hal_parse.rs` (which the
//! replay tests of `cargo test` run on the corpus and the reproducers too).

#![no_main]

#[path = "../checks/hal_parse.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::run(data));
