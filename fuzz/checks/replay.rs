//! Replays a fuzz target's committed inputs through its checks, for `cargo test`: every file of
//! `fuzz/corpus/TARGET/` (the corpus) and `fuzz/artifacts/TARGET/` (the reproducers of what was
//! found once). The coverage-guided search itself is `scripts/fuzz.sh`; this keeps what it found
//! checked on every test run, in seconds, with no instrumented build.

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Once;

thread_local! {
    /// Set while this thread replays inputs: their panics are collected, not printed.
    static REPLAYING: Cell<bool> = const { Cell::new(false) };
}

/// Installs, once per process, a panic hook that stays quiet on a replaying thread and leaves
/// every other panic (another test's, or the final report) to the hook there was before.
fn quiet_while_replaying() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !REPLAYING.with(Cell::get) {
                previous(info);
            }
        }));
    });
}

/// The committed inputs of `target` under `fuzz_dir`: the corpus, then the reproducers (sorted
/// by name; `*.md` files are notes, not inputs).
fn inputs(fuzz_dir: &Path, target: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["corpus", "artifacts"] {
        let dir = fuzz_dir.join(dir).join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut found: Vec<PathBuf> = entries
            .map(|e| e.expect("a readable directory entry").path())
            .filter(|p| p.is_file() && p.extension().is_none_or(|x| x != "md"))
            .collect();
        found.sort();
        files.extend(found);
    }
    files
}

/// Runs `check` on every committed input of `target` and panics, naming each failing file and
/// its panic message, if any fails; prints how many inputs ran. Panics as well when the target
/// has no committed input at all (a renamed or emptied corpus would otherwise pass unseen).
pub fn replay(fuzz_dir: &Path, target: &str, check: fn(&[u8])) {
    let files = inputs(fuzz_dir, target);
    assert!(
        !files.is_empty(),
        "no committed inputs for the fuzz target {target} under {}",
        fuzz_dir.display()
    );
    // The checks report through panics: collect their messages instead of printing each.
    quiet_while_replaying();
    REPLAYING.with(|r| r.set(true));
    let mut failures = Vec::new();
    for file in &files {
        let data = std::fs::read(file).expect("a readable fuzz input");
        if let Err(e) = panic::catch_unwind(AssertUnwindSafe(|| check(&data))) {
            let message = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_string()))
                .unwrap_or_else(|| "a panic without a message".to_string());
            failures.push(format!("{}: {message}", file.display()));
        }
    }
    REPLAYING.with(|r| r.set(false));
    println!(
        "{target}: {} committed inputs replayed, {} failed",
        files.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{target}: {} of {} committed inputs fail its checks:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}
