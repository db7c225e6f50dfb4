//! The `backend_rewriter` fuzz target: the properties of `fuzz/checks/backend_rewriter.rs` (which the
//! replay tests of `cargo test` run on the corpus and the reproducers too).

#![no_main]

#[path = "../checks/backend_rewriter.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::run(data));
