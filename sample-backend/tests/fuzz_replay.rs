//! The backend's fuzz targets replayed on their committed inputs (`fuzz/corpus/` and the
//! reproducers of `fuzz/artifacts/`): the same checks as the targets of `fuzz/fuzz_targets/`,
//! compiled here from `fuzz/checks/`, run in a plain test build. `scripts/fuzz.sh` searches for
//! new inputs; this keeps every input found so far passing.

use std::path::{Path, PathBuf};

#[path = "../../fuzz/checks/backend_bodies.rs"]
mod backend_bodies;
#[path = "../../fuzz/checks/backend_rewriter.rs"]
mod backend_rewriter;
#[path = "../../fuzz/checks/replay.rs"]
mod replay;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

#[test]
fn backend_bodies_inputs() {
    replay::replay(&fuzz_dir(), "backend_bodies", backend_bodies::run);
}

#[test]
fn backend_rewriter_inputs() {
    replay::replay(&fuzz_dir(), "backend_rewriter", backend_rewriter::run);
}
