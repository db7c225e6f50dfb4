//! The iOS redirect URL rule: the https universal link that is the redirect value of a Plaid
//! exchange session on iOS. Pure, no I/O.
//!
//! Decisions beyond "an https URL without query or fragment", each refused with its own reason:
//! - IP-literal hosts (`https://192.0.2.1/app`, `https://[::1]/app`) are refused: a universal
//!   link is tied to a domain name through Apple's associated-domains file.
//! - Single-label hosts (`https://localhost/app`) are refused for the same reason.
//! - Host names are DNS names: letters, digits, `-` and `_` in non-empty labels (the URL
//!   standard would also take `!`, `*`, ...); write internationalized names in punycode.
//! - Ports from 1 to 65535 are allowed (`https://example.com:8443/app`); the value is sent as
//!   given.
//! - Characters outside RFC 3986 (spaces, non-ASCII, `<`, `"`, `\`, ...) and malformed
//!   percent-escapes are refused, because a URL parser would silently rewrite them and the
//!   byte-exact match at Dwolla would then fail. Use percent-encoding or punycode instead.
//! - Dot segments (`/./`, `/../`) are refused: they are resolved away by URL parsers.
//! - The scheme must be written `https://` in lowercase, since Dwolla checks the prefix as text.

use super::{
    char_at, char_len, has_surrounding_whitespace, starts_with_ignore_ascii_case, RedirectUrlError,
};
use crate::quote::{Quoted, QuotedChar};

/// The longest iOS redirect URL accepted, in characters.
pub const MAX_IOS_REDIRECT_URL_LEN: usize = 2048;

fn refused(reason: String) -> RedirectUrlError {
    RedirectUrlError::InvalidIosRedirectUrl { reason }
}

/// Characters RFC 3986 calls unreserved.
const fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Characters RFC 3986 calls sub-delims.
const fn is_sub_delim(b: u8) -> bool {
    matches!(
        b,
        b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'='
    )
}

/// Bytes allowed anywhere in an accepted URL: RFC 3986 characters without `?` and `#`.
const URL_BYTES: [bool; 256] = byte_table(b":/[]@%");

/// Bytes allowed in an accepted path: RFC 3986 `pchar`, `%` and `/`.
const PATH_BYTES: [bool; 256] = byte_table(b":@%/");

/// A table of the unreserved and sub-delim bytes plus `extra`.
const fn byte_table(extra: &[u8]) -> [bool; 256] {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        #[allow(clippy::cast_possible_truncation)] // b < 256
        let c = b as u8;
        table[b] = is_unreserved(c) || is_sub_delim(c);
        b += 1;
    }
    let mut i = 0;
    while i < extra.len() {
        table[extra[i] as usize] = true;
        i += 1;
    }
    table
}

/// Checks an iOS redirect URL (an https universal link) without copying it on the common path.
///
/// Rules: not empty; no leading or trailing whitespace; at most `MAX_IOS_REDIRECT_URL_LEN`
/// characters; starts with `https://` (lowercase); a domain-name host (not an IP address, not a
/// single label); no user info, query or fragment (not even an empty `?` or `#`); only RFC 3986
/// characters with well-formed percent-escapes; no `.`/`..` path segments; a port, if any, from
/// 1 to 65535. The text is checked as written; the host is parsed with the `url` crate's host
/// parser.
pub(crate) fn check_ios_redirect_url(redirect_url: &str) -> Result<(), RedirectUrlError> {
    if redirect_url.is_empty() {
        return Err(refused(
            "is empty; expected an https universal link (for example https://example.com/app123)"
                .into(),
        ));
    }
    if has_surrounding_whitespace(redirect_url) {
        return Err(refused(format!(
            "{} has leading or trailing whitespace; remove it (the value is sent exactly as given)",
            Quoted::new(redirect_url)
        )));
    }
    let len = char_len(redirect_url);
    if len > MAX_IOS_REDIRECT_URL_LEN {
        return Err(refused(format!(
            "is {len} characters long; at most {MAX_IOS_REDIRECT_URL_LEN} are allowed"
        )));
    }

    let Some(rest) = redirect_url.strip_prefix("https://") else {
        return Err(refused(scheme_reason(redirect_url)));
    };

    if let Some(problem) = url_character_problem(redirect_url) {
        return Err(refused(url_character_reason(redirect_url, &problem)));
    }

    // Everything is ASCII from here on, so byte offsets are character boundaries.
    let (authority, path) = match rest.find('/') {
        Some(slash) => rest.split_at(slash),
        None => (rest, ""),
    };
    if authority.is_empty() {
        return Err(refused(
            "has no host name after 'https://' (for example https://example.com/app123)".into(),
        ));
    }
    if authority.contains('@') {
        return Err(refused(
            "user info (a name or password before '@') is not allowed in a Plaid redirect URI"
                .into(),
        ));
    }
    if authority.ends_with(':') {
        return Err(refused(format!(
            "host {} ends with ':' but has no port; remove the ':' or add a port",
            Quoted::new(authority)
        )));
    }
    if authority.contains('%') {
        return Err(refused(format!(
            "host {} contains a percent-escape; percent-escapes are not allowed in the host \
             (URL parsers decode them, so the host would change)",
            Quoted::new(authority)
        )));
    }
    if let Some(problem) = path_problem(path) {
        return Err(refused(path_reason(path, &problem)));
    }

    // Split the authority into host and port as written (an IPv6 literal is bracketed).
    let (host, port) = if authority.starts_with('[') {
        match authority.find(']') {
            Some(close) => {
                let (host, after) = authority.split_at(close + 1);
                match after.strip_prefix(':') {
                    Some(port) => (host, Some(port)),
                    None if after.is_empty() => (host, None),
                    None => {
                        return Err(refused(format!(
                        "host {} has unexpected text after ']'; expected ':' and a port or nothing",
                        Quoted::new(authority)
                    )))
                    }
                }
            }
            None => (authority, None),
        }
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if let Some(port) = port {
        // Digits only, 1 to 65535 (the `url` crate would also accept 0 and drop a default 443
        // from its serialization; the value is sent as written either way).
        let valid = !port.is_empty()
            && port.len() <= 5
            && port.bytes().all(|b| b.is_ascii_digit())
            && port.parse::<u32>().is_ok_and(|p| (1..=65535).contains(&p));
        if !valid {
            return Err(refused(format!(
                "port {} is not valid; a port is a number from 1 to 65535",
                Quoted::new(port)
            )));
        }
    }
    if !host.starts_with('[') {
        // DNS names only: letters, digits, '-' and '_' in non-empty dot-separated labels (a
        // final root dot is allowed). The URL standard would accept more, such as '!' or '*'.
        if let Some(bad) = host
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        {
            return Err(refused(format!(
                "host {} contains {}; a domain name has only letters, digits, '-' and '.'",
                Quoted::new(host),
                QuotedChar(bad)
            )));
        }
        let name = host.strip_suffix('.').unwrap_or(host);
        if name.is_empty() || name.split('.').any(str::is_empty) {
            return Err(refused(format!(
                "host {} has an empty label (a leading dot or two dots in a row)",
                Quoted::new(host)
            )));
        }
    }
    // The host goes through the `url` crate's host parser: the WHATWG rules `Url::parse`
    // applies to https URLs, which also read numeric forms such as `3221225985` as IPv4. The
    // raw checks above leave nothing else for a full `Url::parse` to decide, and skipping it
    // keeps a call well under a microsecond.
    match url::Host::parse(host) {
        Ok(url::Host::Domain(domain)) => {
            let name = domain.strip_suffix('.').unwrap_or(&domain);
            if !name.contains('.') {
                return Err(refused(format!(
                    "host {} is a single label; a universal link needs a full domain name \
                     (for example example.com)",
                    Quoted::new(host)
                )));
            }
        }
        Ok(url::Host::Ipv4(_) | url::Host::Ipv6(_)) => {
            return Err(refused(format!(
                "host {} is an IP address; a universal link needs a domain name (for example example.com)",
                Quoted::new(host)
            )));
        }
        Err(e) => {
            return Err(refused(format!(
                "host {} is not a valid host name ({e}); expected a domain name such as example.com",
                Quoted::new(host)
            )));
        }
    }
    Ok(())
}

/// The first reason a URL's characters are refused, in the order it is reported.
#[derive(Debug, PartialEq, Eq)]
enum UrlCharacterProblem {
    /// A character outside `URL_BYTES` and other than `?` and `#`, at a 1-based character
    /// position.
    Disallowed { position: usize, c: char },
    /// A `?`, at a byte offset.
    Query { at: usize },
    /// A `#`, at a byte offset.
    Fragment { at: usize },
}

/// Checks every character of the URL against `URL_BYTES`: `None` when all are allowed.
fn url_character_problem(redirect_url: &str) -> Option<UrlCharacterProblem> {
    let mut query = None;
    let mut fragment = None;
    for (at, &b) in redirect_url.as_bytes().iter().enumerate() {
        if URL_BYTES[usize::from(b)] {
            continue;
        }
        match b {
            b'?' => {
                query.get_or_insert(at);
            }
            b'#' => {
                fragment.get_or_insert(at);
            }
            // Every byte before is ASCII, so the byte offset is the character position.
            _ => {
                return Some(UrlCharacterProblem::Disallowed {
                    position: at + 1,
                    c: char_at(redirect_url, at),
                })
            }
        }
    }
    query
        .map(|at| UrlCharacterProblem::Query { at })
        .or(fragment.map(|at| UrlCharacterProblem::Fragment { at }))
}

fn url_character_reason(redirect_url: &str, problem: &UrlCharacterProblem) -> String {
    match *problem {
        UrlCharacterProblem::Disallowed { position, c } => {
            let hint = if c.is_ascii() {
                "percent-encode it"
            } else {
                "percent-encode it (or use the punycode xn-- form of a host name)"
            };
            format!(
                "contains {} at character {position}, which is not allowed in a URL; {hint}",
                QuotedChar(c)
            )
        }
        UrlCharacterProblem::Query { at } => format!(
            "query parameters are not allowed in a Plaid redirect URI (found {} at character {}); \
             remove everything from the '?'",
            Quoted::new(&redirect_url[at..]),
            at + 1
        ),
        UrlCharacterProblem::Fragment { at } => format!(
            "a fragment is not allowed in a Plaid redirect URI (found {} at character {}); \
             remove everything from the '#'",
            Quoted::new(&redirect_url[at..]),
            at + 1
        ),
    }
}

/// The first reason a path is refused, in the order it is reported.
#[derive(Debug, PartialEq, Eq)]
enum PathProblem<'a> {
    /// A character outside `PATH_BYTES`.
    Disallowed(char),
    /// A `%` not followed by two hex digits, with what follows it.
    BadEscape(&'a str),
    /// A `.` or `..` segment.
    DotSegment(&'a str),
}

/// Checks a path in one pass: only path characters, well-formed percent-escapes and no `.` or
/// `..` segment. `None` when the path is valid.
fn path_problem(path: &str) -> Option<PathProblem<'_>> {
    let bytes = path.as_bytes();
    let mut bad_escape = None;
    let mut dot_segment = None;
    let mut segment_start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !PATH_BYTES[usize::from(b)] {
            // Every byte before is ASCII, so `i` is a character boundary.
            return Some(PathProblem::Disallowed(char_at(path, i)));
        }
        if b == b'%' && bad_escape.is_none() {
            let hex = |j: usize| bytes.get(j).is_some_and(u8::is_ascii_hexdigit);
            if !(hex(i + 1) && hex(i + 2)) {
                let end = (i + 3).min(bytes.len());
                bad_escape = Some(path.get(i..end).unwrap_or("%"));
            }
        }
        if b == b'/' {
            dot_segment = dot_segment.or(dot(&path[segment_start..i]));
            segment_start = i + 1;
        }
    }
    dot_segment = dot_segment.or(dot(&path[segment_start.min(path.len())..]));
    bad_escape
        .map(PathProblem::BadEscape)
        .or(dot_segment.map(PathProblem::DotSegment))
}

/// A `.` or `..` segment, also with a dot written as `%2e` or `%2E`: URL parsers read those as
/// dots in a path, so `/%2e%2e/` is resolved away like `/../`. `segment` is ASCII.
fn dot(segment: &str) -> Option<&str> {
    let one = |s: &str| s == "." || s.eq_ignore_ascii_case("%2e");
    let two = || (1..segment.len()).any(|i| one(&segment[..i]) && one(&segment[i..]));
    (segment.len() <= 6 && (one(segment) || two())).then_some(segment)
}

fn path_reason(path: &str, problem: &PathProblem<'_>) -> String {
    match *problem {
        PathProblem::Disallowed(c) => format!(
            "path {} contains {}, which is not allowed in a URL path; percent-encode it",
            Quoted::new(path),
            QuotedChar(c)
        ),
        PathProblem::BadEscape(bad) => format!(
            "path {} contains the malformed percent-escape {}; '%' must be followed by two hex digits",
            Quoted::new(path),
            Quoted::new(bad)
        ),
        PathProblem::DotSegment(segment) => format!(
            "path {} contains a {} segment, which URL parsers resolve away; write the path without it",
            Quoted::new(path),
            Quoted::new(segment)
        ),
    }
}

/// The reason for a value that does not start with `https://`.
fn scheme_reason(redirect_url: &str) -> String {
    if starts_with_ignore_ascii_case(redirect_url, "https://") {
        return format!(
            "the scheme must be written in lowercase as 'https://' (found {}); Dwolla matches \
             the value exactly",
            Quoted::new(&redirect_url[..redirect_url.len().min(8)])
        );
    }
    if starts_with_ignore_ascii_case(redirect_url, "http:") {
        return "must use https, not http: Plaid needs an https universal link \
                (for example https://example.com/app123)"
            .into();
    }
    if let Some(colon) = redirect_url.find(':') {
        let scheme = &redirect_url[..colon];
        if scheme.eq_ignore_ascii_case("https") {
            return "must start with 'https://' (two slashes after 'https:', then the host name), \
                    for example https://example.com/app123"
                .into();
        }
        let looks_like_scheme = scheme
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        if looks_like_scheme {
            return format!(
                "uses the scheme {}; it must use https (Plaid does not support custom URL \
                 schemes such as 'myapp://'): use an https universal link \
                 (for example https://example.com/app123)",
                Quoted::new(scheme)
            );
        }
    }
    format!(
        "{} is not an absolute https URL; expected an https universal link such as \
         https://example.com/app123 (an Android package name belongs in \
         validate_android_package_name)",
        Quoted::new(redirect_url)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redirect::tests::{reason, NEAR};

    fn bad_percent_escape(path: &str) -> Option<&str> {
        match path_problem(path) {
            Some(PathProblem::BadEscape(bad)) => Some(bad),
            _ => None,
        }
    }

    #[test]
    fn percent_escape_scanner() {
        assert_eq!(bad_percent_escape("/a%20b"), None);
        assert_eq!(bad_percent_escape("/a%2"), Some("%2"));
        assert_eq!(bad_percent_escape("/a%"), Some("%"));
        assert_eq!(bad_percent_escape("/a%zz"), Some("%zz"));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]

        #[test]
        fn url_characters_agree_with_the_byte_table(
            value in proptest::prop_oneof![proptest::prelude::any::<String>(), NEAR]
        ) {
            proptest::prop_assert_eq!(
                url_character_problem(&value).is_none(),
                value.bytes().all(|b| URL_BYTES[usize::from(b)]),
                "{:?}", value
            );
        }

        #[test]
        fn path_rule_agrees_with_its_plain_statement(
            value in proptest::prop_oneof![
                "(/[a-z.%0-9A-F:@!]{0,4}){0,4}/?",
                "[a-zA-Z0-9_.:/%?#@\\[\\] <|-]{0,24}",
            ]
        ) {
            let plainly_valid = value.bytes().all(|b| PATH_BYTES[usize::from(b)])
                && value.split('%').skip(1).all(|after| {
                    after.len() >= 2 && after.bytes().take(2).all(|b| b.is_ascii_hexdigit())
                })
                && !value.split('/').any(|s| {
                    let s = s.replace("%2e", ".").replace("%2E", ".");
                    s == "." || s == ".."
                });
            proptest::prop_assert_eq!(path_problem(&value).is_none(), plainly_valid, "{:?}", value);
        }
    }

    #[test]
    fn helpers_accept_and_refuse_like_the_exported_functions() {
        assert_eq!(check_ios_redirect_url("https://example.com/app123"), Ok(()));
        assert!(matches!(
            check_ios_redirect_url("myapp://x"),
            Err(RedirectUrlError::InvalidIosRedirectUrl { .. })
        ));
    }

    /// Found by the fuzz target `redirect_ios`: `Url::parse` turns `/a/%2e%2E/app` into `/app`.
    #[test]
    fn percent_encoded_dot_segments_are_refused() {
        for url in [
            "https://example.com/a/%2e%2E/app",
            "https://example.com/%2e/app",
            "https://example.com/a/.%2e",
            "https://example.com/a/%2E.",
        ] {
            assert!(
                reason(check_ios_redirect_url(url)).contains("segment"),
                "{url}"
            );
        }
        for url in [
            "https://example.com/a%2e/app",
            "https://example.com/%2e%2e%2e/app",
        ] {
            assert_eq!(check_ios_redirect_url(url), Ok(()), "{url}");
        }
    }

    #[test]
    fn uppercase_scheme_is_refused() {
        assert!(reason(check_ios_redirect_url("HTTPS://example.com/app")).contains("lowercase"));
    }
}
