//! The Android package name rule: the redirect value of a Plaid exchange session on Android.
//! Pure, no I/O.

use super::{
    char_at, char_len, has_surrounding_whitespace, starts_with_ignore_ascii_case, RedirectUrlError,
};
use crate::quote::{Quoted, QuotedChar};

/// The longest Android package name the platform's parser accepts, in characters.
pub const MAX_ANDROID_PACKAGE_NAME_LEN: usize = 223;

fn refused(reason: String) -> RedirectUrlError {
    RedirectUrlError::InvalidAndroidPackageName { reason }
}

/// Checks an Android package name (applicationId) without copying it.
///
/// Rules, in the order a developer would fix them: not empty; no leading or trailing
/// whitespace; not a URL; at most `MAX_ANDROID_PACKAGE_NAME_LEN` characters; at least two
/// segments separated by dots; every segment non-empty, starting with an ASCII letter and made
/// only of `[A-Za-z0-9_]`. Allocates only when it returns an error.
pub(crate) fn check_android_package_name(package_name: &str) -> Result<(), RedirectUrlError> {
    if package_name.is_empty() {
        return Err(refused(
            "is empty; expected the app's package name (for example com.example.app)".into(),
        ));
    }
    if has_surrounding_whitespace(package_name) {
        return Err(refused(format!(
            "{} has leading or trailing whitespace; remove it (the value is sent exactly as given)",
            Quoted::new(package_name)
        )));
    }
    // Every URL has a ':', which no package name has: one byte scan for a valid name.
    if package_name.as_bytes().contains(&b':')
        && (package_name.contains("://")
            || starts_with_ignore_ascii_case(package_name, "https:")
            || starts_with_ignore_ascii_case(package_name, "http:"))
    {
        return Err(refused(format!(
            "{} looks like a URL: Android needs the package name (for example com.example.app), \
             not a redirect URL",
            Quoted::new(package_name)
        )));
    }
    // Non-ASCII input is refused below anyway; count characters so that the reported length
    // matches what a developer sees.
    let len = char_len(package_name);
    if len > MAX_ANDROID_PACKAGE_NAME_LEN {
        return Err(refused(format!(
            "is {len} characters long; at most {MAX_ANDROID_PACKAGE_NAME_LEN} are allowed"
        )));
    }
    if package_name.starts_with('.') {
        return Err(refused(format!(
            "{} starts with a dot; segments must not be empty",
            Quoted::new(package_name)
        )));
    }
    if package_name.ends_with('.') {
        return Err(refused(format!(
            "{} ends with a dot; segments must not be empty",
            Quoted::new(package_name)
        )));
    }
    let mut segments = 0usize;
    // Split on the byte '.': each piece is still valid UTF-8, and faster to find than a `char`.
    for (index, bytes) in package_name.as_bytes().split(|&b| b == b'.').enumerate() {
        let number = index + 1;
        segments = number;
        // Only needed for a reason.
        let segment = || std::str::from_utf8(bytes).unwrap_or_default();
        let Some(&first) = bytes.first() else {
            return Err(refused(format!(
                "segment {number} is empty (two dots in a row in {}); segments must not be empty",
                Quoted::new(package_name)
            )));
        };
        if !first.is_ascii_alphabetic() {
            return Err(refused(format!(
                "segment {number} ({}) must start with a letter (A-Z or a-z), not {}",
                Quoted::new(segment()),
                QuotedChar(char_at(segment(), 0))
            )));
        }
        if let Some(bad) = bytes
            .iter()
            .position(|&b| !(b.is_ascii_alphanumeric() || b == b'_'))
        {
            return Err(refused(format!(
                "segment {number} ({}) contains {}; only ASCII letters, digits and '_' are allowed",
                Quoted::new(segment()),
                QuotedChar(char_at(segment(), bad))
            )));
        }
    }
    if segments < 2 {
        return Err(refused(format!(
            "{} has only one segment; a package name needs at least two separated by dots \
             (for example com.example.app)",
            Quoted::new(package_name)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redirect::tests::{reason, NEAR};

    /// The rule written as plainly as possible, to check the rule against.
    fn plainly_valid(value: &str) -> bool {
        let segments: Vec<&str> = value.split('.').collect();
        value.len() <= MAX_ANDROID_PACKAGE_NAME_LEN
            && segments.len() >= 2
            && segments.iter().all(|s| {
                s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                    && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            })
    }

    #[test]
    fn segment_number_is_reported() {
        assert!(reason(check_android_package_name("com.1app")).contains("segment 2 ('1app')"));
    }

    #[test]
    fn helpers_accept_and_refuse_like_the_exported_functions() {
        assert_eq!(check_android_package_name("com.example.app"), Ok(()));
        assert!(matches!(
            check_android_package_name("com..app"),
            Err(RedirectUrlError::InvalidAndroidPackageName { .. })
        ));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]

        #[test]
        fn the_rule_agrees_with_its_plain_statement(
            value in proptest::prop_oneof![proptest::prelude::any::<String>(), NEAR,
                "[a-zA-Z_0-9]{0,4}(\\.[a-zA-Z_0-9]{0,4}){0,3}"]
        ) {
            proptest::prop_assert_eq!(
                plainly_valid(&value),
                check_android_package_name(&value).is_ok(),
                "{:?}", value
            );
        }
    }
}
