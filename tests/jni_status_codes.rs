//! The status codes of the Android JNI entry point are written twice: in the core
//! (src/android.rs, `pub const INIT_...: jint = N;`) and in the AAR's Kotlin layer
//! (bindings/android/.../IavBridgeAndroid.kt, `private const val INIT_... = N`). This test reads
//! both files and fails when their names or values differ. Runs on the host: it only reads text.

use std::collections::BTreeMap;
use std::path::Path;

const RUST: &str = "src/android.rs";
const KOTLIN: &str = "bindings/android/src/main/kotlin/dev/iavbridge/android/IavBridgeAndroid.kt";

fn read(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `INIT_*` constants declared as `<prefix>INIT_NAME<typed> = N` on one line, by name.
fn status_codes(text: &str, prefix: &str, file: &str) -> BTreeMap<String, i64> {
    let mut codes = BTreeMap::new();
    for line in text.lines().map(str::trim) {
        let Some(rest) = line.strip_prefix(prefix) else {
            continue;
        };
        if !rest.starts_with("INIT_") {
            continue;
        }
        let (lhs, value) = rest
            .split_once('=')
            .unwrap_or_else(|| panic!("{file}: no '=' in {line:?}"));
        let name = lhs.split(':').next().unwrap_or(lhs).trim().to_string();
        let value = value.trim().trim_end_matches(';').trim();
        let value: i64 = value
            .parse()
            .unwrap_or_else(|e| panic!("{file}: {name} = {value:?} is not an integer ({e})"));
        assert!(
            codes.insert(name.clone(), value).is_none(),
            "{file}: {name} is declared twice"
        );
    }
    codes
}

#[test]
fn jni_status_codes_agree_between_rust_and_kotlin() {
    let rust = status_codes(&read(RUST), "pub const ", RUST);
    let kotlin = status_codes(&read(KOTLIN), "private const val ", KOTLIN);
    assert!(!rust.is_empty(), "{RUST}: no INIT_ status code found");
    assert!(!kotlin.is_empty(), "{KOTLIN}: no INIT_ status code found");
    assert_eq!(
        rust, kotlin,
        "the JNI status codes differ: {RUST} (left) and {KOTLIN} (right) must declare the same names and values"
    );
}

#[test]
fn the_parser_reads_both_declaration_forms() {
    let rust = status_codes("pub const INIT_OK: jint = 0;\n", "pub const ", "rust");
    let kotlin = status_codes(
        "    private const val INIT_OK = 0\n",
        "private const val ",
        "kt",
    );
    assert_eq!(rust, kotlin);
    assert_eq!(rust["INIT_OK"], 0);
}
