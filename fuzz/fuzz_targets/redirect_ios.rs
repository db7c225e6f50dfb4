//! The `redirect_ios` fuzz target: the properties of `fuzz/checks/redirect_ios.rs` (which the
//! replay tests of `cargo test` run on the corpus and the reproducers too).

#![no_main]

#[path = "../checks/redirect_ios.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::run(data));
