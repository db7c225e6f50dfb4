//! The core's fuzz targets replayed on their committed inputs (`fuzz/corpus/` and the
//! reproducers of `fuzz/artifacts/`): the same checks as the targets of `fuzz/fuzz_targets/`,
//! compiled here from `fuzz/checks/`, run in a plain test build. `scripts/fuzz.sh` searches for
//! new inputs; this keeps every input found so far passing.

use std::path::{Path, PathBuf};

#[path = "../fuzz/checks/hal_parse.rs"]
mod hal_parse;
#[path = "../fuzz/checks/href_resolve.rs"]
mod href_resolve;
#[path = "../fuzz/checks/redirect_android.rs"]
mod redirect_android;
#[path = "../fuzz/checks/redirect_ios.rs"]
mod redirect_ios;
#[path = "../fuzz/checks/replay.rs"]
mod replay;
#[path = "../fuzz/checks/session_parse.rs"]
mod session_parse;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

#[test]
fn redirect_android_inputs() {
    replay::replay(&fuzz_dir(), "redirect_android", redirect_android::run);
}

#[test]
fn redirect_ios_inputs() {
    replay::replay(&fuzz_dir(), "redirect_ios", redirect_ios::run);
}

#[test]
fn hal_parse_inputs() {
    replay::replay(&fuzz_dir(), "hal_parse", hal_parse::run);
}

#[test]
fn session_parse_inputs() {
    replay::replay(&fuzz_dir(), "session_parse", session_parse::run);
}

#[test]
fn href_resolve_inputs() {
    replay::replay(&fuzz_dir(), "href_resolve", href_resolve::run);
}
