//! `validate_android_package_name` on arbitrary strings: it never panics; a value it accepts is
//! handed back unchanged and satisfies the documented rule (at most 223 characters, at least two
//! dot-separated segments, each `[A-Za-z][A-Za-z0-9_]*`), and every value that satisfies the rule
//! is accepted; a refusal is the Android error with a short, non-empty reason.

use iav_bridge::{validate_android_package_name, RedirectUrlError};

/// The rule as the documentation states it.
fn documented_rule(value: &str) -> bool {
    let segments: Vec<&str> = value.split('.').collect();
    value.chars().count() <= 223
        && segments.len() >= 2
        && segments.iter().all(|s| {
            let mut chars = s.chars();
            chars.next().is_some_and(|c| c.is_ascii_alphabetic())
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

/// One input: the properties above, checked; a violation panics.
pub fn run(data: &[u8]) {
    let Ok(value) = std::str::from_utf8(data) else {
        return;
    };
    match validate_android_package_name(value.to_string()) {
        Ok(out) => {
            assert_eq!(
                out, value,
                "an accepted package name must come back unchanged"
            );
            assert!(
                documented_rule(value),
                "accepted {value:?}, which breaks the rule"
            );
        }
        Err(RedirectUrlError::InvalidAndroidPackageName { reason }) => {
            assert!(
                !documented_rule(value),
                "refused {value:?}, which follows the rule: {reason}"
            );
            assert!(!reason.is_empty());
            // The reason quotes at most a short piece of the value, whatever its length.
            assert!(reason.len() < 1024, "reason of {} bytes", reason.len());
        }
        Err(other) => panic!("an Android package name refused with the iOS error: {other}"),
    }
}
