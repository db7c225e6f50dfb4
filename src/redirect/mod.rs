//! Redirect values: the Android package name and the iOS universal-link URL that Dwolla passes
//! to Plaid, one rule per file, and which value an exchange session carries.
//!
//! - [`package_name`]: the Android package name rule;
//! - [`ios_url`]: the iOS redirect URL rule;
//! - [`policy`]: the redirect value to send, per partner and platform.
//!
//! The exported functions and [`RedirectUrlError`] are defined here, not beside their rules,
//! because uniffi's interface checksums include the Rust module path of every exported item:
//! moving them would change the generated Kotlin and Swift bindings.
//!
//! Dwolla compares the `redirect-url` of an exchange session byte for byte with the values
//! configured for the account, so the rules never normalize: a value that passes is sent
//! exactly as given (no trimming, no added trailing slash, no lowercasing).
//!
//! Dwolla reads a value that does not start with `https://` or `http://` as an Android package
//! name; on iOS Plaid needs an https universal link. The rules catch the usual mix-ups (a URL
//! given as a package name, a custom scheme given as an iOS redirect) before any request.
//!
//! Each rule is written once: it checks the value in the order a developer would fix it and
//! formats a reason only when it refuses the value, so an accepted value costs no allocation.

pub(crate) mod ios_url;
pub(crate) mod package_name;
pub(crate) mod policy;

/// Which redirect rule a value broke.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
#[uniffi::export(Display)]
pub enum RedirectUrlError {
    /// The value is not a valid Android package name (applicationId).
    #[error("invalid Android package name: {reason}")]
    InvalidAndroidPackageName {
        /// Which rule failed, in words a developer can act on.
        reason: String,
    },
    /// The value is not a valid iOS redirect URL (an https universal link).
    #[error("invalid iOS redirect URL: {reason}")]
    InvalidIosRedirectUrl {
        /// Which rule failed, in words a developer can act on.
        reason: String,
    },
}

/// Checks that an Android package name (applicationId) can be used as the redirect value of a
/// Plaid exchange session on Android, and returns it unchanged.
///
/// The package name must have at least two dot-separated segments, each starting with an ASCII
/// letter and made only of letters, digits and `_` (for example `com.example.app`), at most
/// 223 characters, with no surrounding whitespace. The value is returned exactly as given,
/// never trimmed or rewritten, because Dwolla matches it byte for byte against the values
/// configured for the account. Pure: no I/O.
///
/// Errors: `RedirectUrlError::InvalidAndroidPackageName` with a reason naming the rule and the
/// offending part.
#[uniffi::export]
pub fn validate_android_package_name(package_name: String) -> Result<String, RedirectUrlError> {
    package_name::check_android_package_name(&package_name)?;
    Ok(package_name)
}

/// Checks that a URL can be used as the redirect value of a Plaid exchange session on iOS, and
/// returns it unchanged.
///
/// The URL must be an https universal link registered with Plaid, for example
/// `https://example.com/app123`: lowercase `https://`, a domain-name host (not an IP address),
/// an optional port and path, no user info, no query (`?`) and no fragment (`#`), only URL
/// characters (percent-encode the rest), at most 2048 characters and no surrounding whitespace.
/// Custom schemes such as `myapp://` are refused: Plaid does not support them. The value is
/// returned exactly as given, never normalized (a trailing slash is neither added nor removed),
/// because Dwolla matches it byte for byte against the values configured for the account.
/// Pure: no I/O.
///
/// Errors: `RedirectUrlError::InvalidIosRedirectUrl` with a reason naming the rule and the
/// offending part.
#[uniffi::export]
pub fn validate_ios_redirect_url(redirect_url: String) -> Result<String, RedirectUrlError> {
    ios_url::check_ios_redirect_url(&redirect_url)?;
    Ok(redirect_url)
}

/// Whether the value starts or ends with whitespace (it would be sent as given).
fn has_surrounding_whitespace(value: &str) -> bool {
    value.starts_with(char::is_whitespace) || value.ends_with(char::is_whitespace)
}

fn starts_with_ignore_ascii_case(value: &str, prefix: &str) -> bool {
    value.len() >= prefix.len()
        && value.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// The length in characters, as a developer counts it (bytes when the value is ASCII).
fn char_len(value: &str) -> usize {
    if value.is_ascii() {
        value.len()
    } else {
        value.chars().count()
    }
}

/// The character at byte offset `at`, which follows only ASCII bytes (so it is a boundary).
fn char_at(value: &str, at: usize) -> char {
    value[at..].chars().next().unwrap_or('\u{fffd}')
}

#[cfg(test)]
mod tests {
    use super::ios_url::check_ios_redirect_url;
    use super::package_name::check_android_package_name;
    use super::{validate_android_package_name, validate_ios_redirect_url, RedirectUrlError};

    /// Strings near the accepted sets: mostly the characters the rules look at (the rules'
    /// property tests draw from it).
    pub(super) const NEAR: &str = "[a-zA-Z0-9_.:/%?#@\\[\\] é-]{0,24}";

    /// The reason of a refusal, whichever rule refused (panics on `Ok`).
    pub(super) fn reason(result: Result<(), RedirectUrlError>) -> String {
        match result {
            Ok(()) => panic!("expected an error"),
            Err(
                RedirectUrlError::InvalidAndroidPackageName { reason }
                | RedirectUrlError::InvalidIosRedirectUrl { reason },
            ) => reason,
        }
    }

    proptest::proptest! {
        /// Each exported validator is its rule's helper plus the value handed back unchanged.
        #[test]
        fn helpers_agree_with_the_exported_functions(
            value in proptest::prop_oneof![
                proptest::prelude::any::<String>(),
                "[a-z]{1,5}(\\.[a-z0-9_]{0,5}){0,3}",
                "https?://[a-z.:\\[\\]0-9@%]{0,15}(/[a-z.%?#]{0,5}){0,3}",
            ]
        ) {
            match (check_android_package_name(&value), validate_android_package_name(value.clone())) {
                (Ok(()), Ok(out)) => proptest::prop_assert_eq!(&out, &value),
                (Err(a), Err(b)) => proptest::prop_assert_eq!(a, b),
                (a, b) => proptest::prop_assert!(false, "android: {:?} vs {:?}", a, b),
            }
            match (check_ios_redirect_url(&value), validate_ios_redirect_url(value.clone())) {
                (Ok(()), Ok(out)) => proptest::prop_assert_eq!(&out, &value),
                (Err(a), Err(b)) => proptest::prop_assert_eq!(a, b),
                (a, b) => proptest::prop_assert!(false, "ios: {:?} vs {:?}", a, b),
            }
        }
    }
}
