//! The redirect value rules: tables of valid and invalid Android package names and iOS
//! redirect URLs (with the reason checked), and property tests (no input panics, accepted
//! values come back unchanged, generated valid values are accepted).

use iav_bridge::{validate_android_package_name, validate_ios_redirect_url, RedirectUrlError};
use proptest::prelude::*;

/// The platform parser's limit for a package name, in characters.
const MAX_ANDROID_PACKAGE_NAME_LEN: usize = 223;
/// The limit for an iOS redirect URL, in characters.
const MAX_IOS_REDIRECT_URL_LEN: usize = 2048;

/// The borrowed form, through the exported function (the helpers are crate-internal and are
/// compared with the exported functions by the unit tests of the module).
fn check_android_package_name(value: &str) -> Result<(), RedirectUrlError> {
    validate_android_package_name(value.to_owned()).map(|out| assert_eq!(out, value))
}

fn check_ios_redirect_url(value: &str) -> Result<(), RedirectUrlError> {
    validate_ios_redirect_url(value.to_owned()).map(|out| assert_eq!(out, value))
}

/// A package name of exactly `len` characters: `com.` followed by letters.
fn package_of_len(len: usize) -> String {
    format!("com.{}", "a".repeat(len - 4))
}

/// An https URL of exactly `len` characters: `https://example.com/` followed by letters.
fn url_of_len(len: usize) -> String {
    let base = "https://example.com/";
    format!("{base}{}", "a".repeat(len - base.len()))
}

fn android_reason(value: &str) -> String {
    match validate_android_package_name(value.to_owned()) {
        Ok(v) => panic!("{value:?} was accepted as {v:?}"),
        Err(RedirectUrlError::InvalidAndroidPackageName { reason }) => reason,
        Err(other) => panic!("{value:?}: wrong variant {other:?}"),
    }
}

fn ios_reason(value: &str) -> String {
    match validate_ios_redirect_url(value.to_owned()) {
        Ok(v) => panic!("{value:?} was accepted as {v:?}"),
        Err(RedirectUrlError::InvalidIosRedirectUrl { reason }) => reason,
        Err(other) => panic!("{value:?}: wrong variant {other:?}"),
    }
}

#[test]
fn valid_android_package_names_are_returned_unchanged() {
    let long = package_of_len(MAX_ANDROID_PACKAGE_NAME_LEN);
    let valid = [
        "com.example.app",
        "com.example.app123",
        "a.b",
        "A.B",
        "Com.Example.App",
        "com.example_app.v2",
        "com.e_.a_1_2",
        "org.x9.y9.z9.w9",
        "com.example.android",
        // Java keywords are refused only by Android Studio's wizard, not by the platform.
        "com.example.class",
        long.as_str(),
    ];
    for value in valid {
        assert_eq!(
            validate_android_package_name(value.to_owned()),
            Ok(value.to_owned()),
            "{value:?}"
        );
        assert_eq!(check_android_package_name(value), Ok(()), "{value:?}");
    }
}

#[test]
fn invalid_android_package_names_name_the_rule() {
    let too_long = package_of_len(MAX_ANDROID_PACKAGE_NAME_LEN + 1);
    let cases: &[(&str, &str)] = &[
        ("", "is empty"),
        (" com.example.app", "has leading or trailing whitespace"),
        ("com.example.app ", "has leading or trailing whitespace"),
        ("com.example.app\n", "has leading or trailing whitespace"),
        ("\tcom.example.app", "has leading or trailing whitespace"),
        // A no-break space is whitespace too.
        ("com.example.app\u{a0}", "has leading or trailing whitespace"),
        ("com.exa mple.app", "segment 2 ('exa mple') contains a space"),
        (
            "https://example.com/app",
            "looks like a URL: Android needs the package name (for example com.example.app), not a redirect URL",
        ),
        ("http://example.com", "looks like a URL"),
        ("HTTPS://example.com", "looks like a URL"),
        ("myapp://callback", "looks like a URL"),
        ("https:example.com", "looks like a URL"),
        ("com.1app", "segment 2 ('1app') must start with a letter"),
        ("1com.app", "segment 1 ('1com') must start with a letter"),
        ("com._app", "segment 2 ('_app') must start with a letter"),
        ("com.example.app-dev", "segment 3 ('app-dev') contains '-'"),
        ("com.example.app$", "segment 3 ('app$') contains '$'"),
        ("com/example/app", "segment 1 ('com/example/app') contains '/'"),
        ("com..app", "segment 2 is empty"),
        (".com.app", "starts with a dot"),
        ("com.app.", "ends with a dot"),
        (".", "starts with a dot"),
        ("myapp", "has only one segment"),
        ("m", "has only one segment"),
        (too_long.as_str(), "is 224 characters long; at most 223 are allowed"),
        // Unicode: letters outside ASCII are refused, with the code point shown.
        ("com.exämple.app", "segment 2 ('exämple') contains 'ä' (U+00E4)"),
        ("com.éxample.app", "segment 2 ('éxample') must start with a letter"),
        ("com.example.аpp", "segment 3"), // Cyrillic 'а'
        ("com.example.app\u{200b}", "segment 3 ('app\\u{200b}') contains '\\u{200b}' (U+200B)"),
        ("com.\u{1F600}.app", "must start with a letter (A-Z or a-z), not '\u{1F600}' (U+1F600)"),
        ("com.ex\0ample", "contains '\\0'"),
    ];
    for (value, expected) in cases {
        let reason = android_reason(value);
        assert!(
            reason.contains(expected),
            "{value:?}: reason {reason:?} does not contain {expected:?}"
        );
        // The borrowed helper agrees with the exported function.
        assert_eq!(
            check_android_package_name(value),
            Err(RedirectUrlError::InvalidAndroidPackageName {
                reason: reason.clone()
            })
        );
    }
}

#[test]
fn android_length_counts_characters_at_the_boundary() {
    assert_eq!(
        check_android_package_name(&package_of_len(MAX_ANDROID_PACKAGE_NAME_LEN)),
        Ok(())
    );
    // 224 characters of which some are multi-byte: refused for length, counted in characters.
    let unicode = format!("com.{}", "é".repeat(MAX_ANDROID_PACKAGE_NAME_LEN - 3));
    assert!(android_reason(&unicode).contains("is 224 characters long"));
    // 223 characters but non-ASCII: refused for the character, not for the length.
    let unicode = format!("com.a{}", "é".repeat(MAX_ANDROID_PACKAGE_NAME_LEN - 5));
    assert!(android_reason(&unicode).contains("contains 'é'"));
}

#[test]
fn long_offending_values_are_truncated_in_reasons() {
    let segment = format!("1{}", "x".repeat(200));
    let reason = android_reason(&format!("com.{segment}"));
    assert!(reason.contains("must start with a letter"), "{reason}");
    assert!(reason.contains("...'"), "{reason}");
    assert!(
        reason.len() < 150,
        "reason too long: {} bytes",
        reason.len()
    );

    let long_query = format!("https://example.com/app?{}", "q".repeat(1000));
    let reason = ios_reason(&long_query);
    assert!(reason.contains("query parameters"), "{reason}");
    assert!(
        reason.len() < 250,
        "reason too long: {} bytes",
        reason.len()
    );

    // Truncation of a multi-byte value does not split a character (it would panic).
    let multibyte = format!("https://example.com/app?{}", "é".repeat(1000));
    assert!(ios_reason(&multibyte).contains("'é'"));
}

#[test]
fn error_display_names_the_platform() {
    let err = check_android_package_name("com..app").unwrap_err();
    assert!(err
        .to_string()
        .starts_with("invalid Android package name: "));
    let err = check_ios_redirect_url("myapp://x").unwrap_err();
    assert!(err.to_string().starts_with("invalid iOS redirect URL: "));
}

#[test]
fn valid_ios_redirect_urls_are_returned_unchanged() {
    let long = url_of_len(MAX_IOS_REDIRECT_URL_LEN);
    let valid = [
        "https://example.com/app123",
        "https://example.com",
        // A trailing slash is kept as given, and its absence too.
        "https://example.com/",
        "https://example.com/app123/",
        "https://www.example.co.uk/plaid/oauth",
        "https://sub-domain.example.com/a_b-c~d.e",
        // Ports are allowed and kept (the default port too, though the url crate drops it).
        "https://example.com:8443/app",
        "https://example.com:443/app",
        // Percent-encoding is allowed and never decoded.
        "https://example.com/caf%C3%A9",
        "https://example.com/a%2Fb",
        "https://example.com/a%2fb",
        // Upper case in the host is kept as given (the url crate would lowercase it).
        "https://Example.COM/App",
        // Sub-delims, ':' and '@' are fine in a path.
        "https://example.com/a;b=c/d:e/@f!$&'()*+,",
        "https://example.com//double",
        // Punycode host names are the way to write an internationalized domain.
        "https://xn--bcher-kva.example/app",
        // A fully qualified name with the root dot.
        "https://example.com./app",
        long.as_str(),
    ];
    for value in valid {
        assert_eq!(
            validate_ios_redirect_url(value.to_owned()),
            Ok(value.to_owned()),
            "{value:?}"
        );
        assert_eq!(check_ios_redirect_url(value), Ok(()), "{value:?}");
    }
}

#[test]
fn invalid_ios_redirect_urls_name_the_rule() {
    let too_long = url_of_len(MAX_IOS_REDIRECT_URL_LEN + 1);
    let cases: &[(&str, &str)] = &[
        ("", "is empty"),
        (
            " https://example.com/app",
            "has leading or trailing whitespace",
        ),
        (
            "https://example.com/app ",
            "has leading or trailing whitespace",
        ),
        (
            "https://example.com/app\r\n",
            "has leading or trailing whitespace",
        ),
        (
            "\u{3000}https://example.com/app",
            "has leading or trailing whitespace",
        ),
        (
            too_long.as_str(),
            "is 2049 characters long; at most 2048 are allowed",
        ),
        // Schemes.
        (
            "myapp://callback",
            "must use https (Plaid does not support custom URL schemes such as 'myapp://')",
        ),
        ("myapp://callback", "uses the scheme 'myapp'"),
        (
            "com.example.app://oauth",
            "uses the scheme 'com.example.app'",
        ),
        (
            "myapp:callback",
            "Plaid does not support custom URL schemes",
        ),
        ("http://example.com/app", "must use https, not http"),
        ("HTTP://example.com/app", "must use https, not http"),
        ("HTTPS://example.com/app", "lowercase"),
        ("Https://example.com/app", "lowercase"),
        (
            "https:/example.com/app",
            "must start with 'https://' (two slashes",
        ),
        ("https:example.com/app", "must start with 'https://'"),
        ("example.com/app", "is not an absolute https URL"),
        ("com.example.app", "is not an absolute https URL"),
        ("//example.com/app", "is not an absolute https URL"),
        // Query and fragment, even empty ones.
        (
            "https://example.com/app?x=1",
            "query parameters are not allowed in a Plaid redirect URI",
        ),
        (
            "https://example.com/app?",
            "query parameters are not allowed",
        ),
        ("https://example.com?", "query parameters are not allowed"),
        ("https://example.com/app#frag", "a fragment is not allowed"),
        ("https://example.com/app#", "a fragment is not allowed"),
        // User info.
        ("https://user:pass@example.com/app", "user info"),
        ("https://user@example.com/app", "user info"),
        ("https://@example.com/app", "user info"),
        // Hosts.
        ("https://", "has no host name"),
        ("https:///app", "has no host name"),
        ("https:///example.com/app", "has no host name"),
        ("https://192.0.2.1/app", "is an IP address"),
        ("https://192.0.2.1:8443/app", "is an IP address"),
        ("https://[2001:db8::1]/app", "is an IP address"),
        ("https://[::1]:8443/app", "is an IP address"),
        // The url crate reads a bare number as an IPv4 address.
        ("https://3221225985/app", "is an IP address"),
        ("https://localhost/app", "is a single label"),
        ("https://example/app", "is a single label"),
        (
            "https://exa_mple.com:99999/app",
            "port '99999' is not valid",
        ),
        ("https://example.com:99999/app", "port '99999' is not valid"),
        ("https://example.com:port/app", "port 'port' is not valid"),
        ("https://example.com:/app", "has no port"),
        ("https://example.com:0/app", "port '0' is not valid"),
        ("https://example.com:1:2/app", "port '1:2' is not valid"),
        ("https://[::1]x/app", "unexpected text after ']'"),
        (
            "https://exa mple.com/app",
            "contains a space at character 12",
        ),
        (
            "https://exa!mple.com/app",
            "host 'exa!mple.com' contains '!'",
        ),
        ("https://*.example.com/app", "contains '*'"),
        ("https://.example.com/app", "has an empty label"),
        ("https://example.com../app", "has an empty label"),
        ("https://xn--.example.com/app", "is not a valid host name"),
        ("https://example..com/app", "has an empty label"),
        ("https://[::1/app", "host '[::1' is not a valid host name"),
        (
            "https://exa%41mple.com/app",
            "percent-escapes are not allowed in the host",
        ),
        (
            "https://exa%4mple.com/app",
            "percent-escapes are not allowed in the host",
        ),
        // Characters a URL parser would rewrite.
        (
            "https://example.com/my app",
            "contains a space at character 23",
        ),
        ("https://example.com/a\\b", "contains '\\' at character 22"),
        ("https://example.com/a\"b", "contains '\"'"),
        ("https://example.com/a<b>", "contains '<'"),
        ("https://example.com/a|b", "contains '|'"),
        ("https://example.com/a^b", "contains '^'"),
        ("https://example.com/a`b", "contains '`'"),
        ("https://example.com/a{b}", "contains '{'"),
        ("https://example.com/a\tb", "contains '\\t'"),
        ("https://example.com/a[b]", "path '/a[b]' contains '['"),
        // Unicode: percent-encode paths, punycode hosts.
        (
            "https://example.com/café",
            "contains 'é' (U+00E9) at character 24",
        ),
        ("https://bücher.example/app", "punycode"),
        ("https://example.com/\u{1F600}", "(U+1F600)"),
        ("https://exаmple.com/app", "(U+0430)"), // Cyrillic 'а'
        // Percent-escapes.
        ("https://example.com/100%", "malformed percent-escape '%'"),
        ("https://example.com/a%2", "malformed percent-escape '%2'"),
        (
            "https://example.com/a%zzb",
            "malformed percent-escape '%zz'",
        ),
        // Dot segments.
        ("https://example.com/a/../b", "contains a '..' segment"),
        ("https://example.com/./b", "contains a '.' segment"),
        ("https://example.com/a/..", "contains a '..' segment"),
    ];
    for (value, expected) in cases {
        let reason = ios_reason(value);
        assert!(
            reason.contains(expected),
            "{value:?}: reason {reason:?} does not contain {expected:?}"
        );
        assert_eq!(
            check_ios_redirect_url(value),
            Err(RedirectUrlError::InvalidIosRedirectUrl {
                reason: reason.clone()
            })
        );
    }
}

#[test]
fn ios_length_is_checked_at_the_boundary() {
    assert_eq!(
        check_ios_redirect_url(&url_of_len(MAX_IOS_REDIRECT_URL_LEN)),
        Ok(())
    );
    assert!(ios_reason(&url_of_len(MAX_IOS_REDIRECT_URL_LEN + 1)).contains("2049 characters"));
    // Length counts characters, not bytes: 2049 characters of which many are two bytes long.
    let base = "https://example.com/";
    let unicode = format!(
        "{base}{}",
        "é".repeat(MAX_IOS_REDIRECT_URL_LEN + 1 - base.len())
    );
    assert!(ios_reason(&unicode).contains("is 2049 characters long"));
}

#[test]
fn each_platform_refuses_the_other_platforms_value_with_a_hint() {
    assert!(android_reason("https://example.com/app123").contains("not a redirect URL"));
    assert!(ios_reason("com.example.app123").contains("validate_android_package_name"));
}

// ---------------------------------------------------------------------------------------------
// Property tests.

/// A valid package name: 2 to 6 segments of a letter then up to 20 `[A-Za-z0-9_]`.
fn valid_package_name() -> impl Strategy<Value = String> {
    "[a-zA-Z][a-zA-Z0-9_]{0,20}(\\.[a-zA-Z][a-zA-Z0-9_]{0,20}){1,5}"
}

/// A valid universal link: a multi-label domain, an optional port, path segments made of
/// unreserved characters and percent-escapes, an optional trailing slash.
fn valid_ios_url() -> impl Strategy<Value = String> {
    "https://([a-wyz0-9][a-z0-9-]{0,10}\\.){1,3}[a-z]{2,6}(:[1-9][0-9]{0,3})?(/[A-Za-z0-9_~-][A-Za-z0-9._~-]{0,10}(%[0-9A-Fa-f]{2})?){0,5}/?"
}

/// Applies one random edit (insert, replace or delete a character) to a valid value, so the
/// input stays close to the accepted set and reaches the deeper checks.
fn near(valid: impl Strategy<Value = String>) -> impl Strategy<Value = String> {
    let edit_char = prop_oneof![
        any::<char>(),
        prop::sample::select(vec![
            '.',
            '/',
            ':',
            '?',
            '#',
            '@',
            '%',
            ' ',
            '\t',
            '\n',
            '_',
            '-',
            '[',
            ']',
            '\\',
            'é',
            '1',
            '\u{200b}',
            '\u{1F600}',
        ]),
    ];
    (valid, any::<prop::sample::Index>(), 0u8..3, edit_char).prop_map(|(value, index, kind, c)| {
        let mut chars: Vec<char> = value.chars().collect();
        let at = index.index(chars.len() + 1);
        match kind {
            0 => chars.insert(at, c),
            1 if at < chars.len() => chars[at] = c,
            _ if at < chars.len() => {
                chars.remove(at);
            }
            _ => chars.push(c),
        }
        chars.into_iter().collect()
    })
}

/// Validates and checks the invariant: accepted values come back unchanged, refused values
/// carry a non-empty reason of the right variant, and the helper agrees with the export.
fn assert_android_invariants(value: &str) -> Result<(), TestCaseError> {
    let exported = validate_android_package_name(value.to_owned());
    let borrowed = check_android_package_name(value);
    match exported {
        Ok(out) => {
            prop_assert_eq!(&out, value);
            prop_assert_eq!(borrowed, Ok(()));
        }
        Err(err) => {
            prop_assert_eq!(borrowed, Err(err.clone()));
            match err {
                RedirectUrlError::InvalidAndroidPackageName { reason } => {
                    prop_assert!(!reason.is_empty());
                }
                other @ RedirectUrlError::InvalidIosRedirectUrl { .. } => {
                    prop_assert!(false, "wrong variant {:?}", other);
                }
            }
        }
    }
    Ok(())
}

fn assert_ios_invariants(value: &str) -> Result<(), TestCaseError> {
    let exported = validate_ios_redirect_url(value.to_owned());
    let borrowed = check_ios_redirect_url(value);
    match exported {
        Ok(out) => {
            prop_assert_eq!(&out, value);
            prop_assert_eq!(borrowed, Ok(()));
            // Whatever is accepted really is an https URL with a host and nothing refused.
            let parsed = url::Url::parse(value).expect("accepted value parses");
            prop_assert_eq!(parsed.scheme(), "https");
            prop_assert!(parsed.host_str().is_some());
            prop_assert!(!value.contains('?') && !value.contains('#'));
            prop_assert!(parsed.username().is_empty() && parsed.password().is_none());
            prop_assert!(value.is_ascii());
        }
        Err(err) => {
            prop_assert_eq!(borrowed, Err(err.clone()));
            match err {
                RedirectUrlError::InvalidIosRedirectUrl { reason } => {
                    prop_assert!(!reason.is_empty());
                }
                other @ RedirectUrlError::InvalidAndroidPackageName { .. } => {
                    prop_assert!(false, "wrong variant {:?}", other);
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn generated_package_names_are_accepted(name in valid_package_name()) {
        prop_assert_eq!(validate_android_package_name(name.clone()), Ok(name));
    }

    #[test]
    fn generated_universal_links_are_accepted(url in valid_ios_url()) {
        prop_assert_eq!(validate_ios_redirect_url(url.clone()), Ok(url));
    }

    #[test]
    fn arbitrary_strings_never_panic(value in any::<String>()) {
        assert_android_invariants(&value)?;
        assert_ios_invariants(&value)?;
    }

    #[test]
    fn near_valid_package_names_never_panic(value in near(valid_package_name())) {
        assert_android_invariants(&value)?;
        assert_ios_invariants(&value)?;
    }

    #[test]
    fn near_valid_urls_never_panic(value in near(valid_ios_url())) {
        assert_android_invariants(&value)?;
        assert_ios_invariants(&value)?;
    }

    #[test]
    fn accepted_package_names_follow_the_rules(value in "[a-zA-Z0-9_.\\-/: é]{0,30}") {
        if check_android_package_name(&value).is_ok() {
            prop_assert!(value.split('.').count() >= 2);
            for segment in value.split('.') {
                let first = segment.chars().next();
                prop_assert!(first.is_some_and(|c| c.is_ascii_alphabetic()), "{:?}", value);
                prop_assert!(segment.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
            }
        }
    }

    #[test]
    fn long_values_around_the_limits_never_panic(
        fill in prop::sample::select(vec!['a', 'é', '\u{1F600}', '.', '/', '%']),
        extra in 0usize..4,
    ) {
        let pkg = format!("com.{}", fill.to_string().repeat(MAX_ANDROID_PACKAGE_NAME_LEN - 5 + extra));
        assert_android_invariants(&pkg)?;
        let url = format!("https://example.com/{}", fill.to_string().repeat(MAX_IOS_REDIRECT_URL_LEN - 21 + extra));
        assert_ios_invariants(&url)?;
    }
}
