//! The `backend_bodies` fuzz target: the properties of `fuzz/checks/backend_bodies.rs` (which the
//! replay tests of `cargo test` run on the corpus and the reproducers too).

#![no_main]

#[path = "../checks/backend_bodies.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::run(data));
