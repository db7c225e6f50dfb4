//! The `href_resolve` fuzz target: the properties of `fuzz/checks/href_resolve.rs` (which the
//! replay tests of `cargo test` run on the corpus and the reproducers too).

#![no_main]

#[path = "../checks/href_resolve.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::run(data));
