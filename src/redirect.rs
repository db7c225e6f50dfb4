//! Redirect value rules: the Android package name and the iOS universal-link URL that Dwolla
//! passes to Plaid. Pure functions, no I/O.
//!
//! Dwolla compares the `redirect-url` of an exchange session byte for byte with the values
//! configured for the account, so these checks never normalize: a value that passes is sent
//! exactly as given (no trimming, no added trailing slash, no lowercasing).
//!
//! Dwolla reads a value that does not start with `https://` or `http://` as an Android package
//! name; on iOS Plaid needs an https universal link. The rules below catch the usual mix-ups
//! (a URL given as a package name, a custom scheme given as an iOS redirect) before any request.
//!
//! Decisions for the iOS URL beyond the list, each refused with its own reason:
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

use std::fmt;

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

/// The longest Android package name the platform's parser accepts, in characters.
pub const MAX_ANDROID_PACKAGE_NAME_LEN: usize = 223;

/// The longest iOS redirect URL accepted, in characters.
pub const MAX_IOS_REDIRECT_URL_LEN: usize = 2048;

/// Offending values longer than this (in characters) are truncated when quoted in a reason.
const QUOTE_MAX_CHARS: usize = 40;

/// Displays a value in single quotes, truncated on a character boundary when long and with
/// control characters escaped, so that a reason stays short and printable.
struct Quoted<'a>(&'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("'")?;
        let mut chars = self.0.chars();
        for c in chars.by_ref().take(QUOTE_MAX_CHARS) {
            write_char_escaped(f, c)?;
        }
        if chars.next().is_some() {
            f.write_str("...")?;
        }
        f.write_str("'")
    }
}

/// Writes a printable character as it is and escapes the others (`\n`, `\u{200b}`, ...).
/// Quotes and backslashes are written as they are: the reason is prose, not a literal.
fn write_char_escaped(f: &mut fmt::Formatter<'_>, c: char) -> fmt::Result {
    let escaped = c.escape_debug();
    if escaped.len() == 1 || matches!(c, '\\' | '\'' | '"') {
        write!(f, "{c}")
    } else {
        write!(f, "{escaped}")
    }
}

/// Displays one character in single quotes, escaped when it is not printable.
struct QuotedChar(char);

impl fmt::Display for QuotedChar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == ' ' {
            return f.write_str("a space");
        }
        f.write_str("'")?;
        write_char_escaped(f, self.0)?;
        f.write_str("'")?;
        if !self.0.is_ascii() {
            write!(f, " (U+{:04X})", u32::from(self.0))?;
        }
        Ok(())
    }
}

fn android(reason: String) -> RedirectUrlError {
    RedirectUrlError::InvalidAndroidPackageName { reason }
}

fn ios(reason: String) -> RedirectUrlError {
    RedirectUrlError::InvalidIosRedirectUrl { reason }
}

fn has_surrounding_whitespace(value: &str) -> bool {
    value.starts_with(char::is_whitespace) || value.ends_with(char::is_whitespace)
}

fn starts_with_ignore_ascii_case(value: &str, prefix: &str) -> bool {
    value.len() >= prefix.len()
        && value.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// The common case of `check_android_package_name` in one pass over the bytes: true when the
/// value satisfies every rule. When false, the detailed checks find the reason.
fn android_package_name_is_valid(package_name: &str) -> bool {
    let bytes = package_name.as_bytes();
    if bytes.is_empty() || bytes.len() > MAX_ANDROID_PACKAGE_NAME_LEN {
        return false;
    }
    let mut segments = 1;
    let mut at_segment_start = true;
    for &b in bytes {
        if at_segment_start {
            if !b.is_ascii_alphabetic() {
                return false;
            }
            at_segment_start = false;
        } else if b == b'.' {
            segments += 1;
            at_segment_start = true;
        } else if !(b.is_ascii_alphanumeric() || b == b'_') {
            return false;
        }
    }
    !at_segment_start && segments >= 2
}

/// Checks an Android package name (applicationId) without copying it.
///
/// Rules: not empty; no leading or trailing whitespace; at most
/// `MAX_ANDROID_PACKAGE_NAME_LEN` characters; at least two segments separated by dots; every
/// segment non-empty, starting with an ASCII letter and made only of `[A-Za-z0-9_]`.
/// Allocates only when it returns an error.
pub fn check_android_package_name(package_name: &str) -> Result<(), RedirectUrlError> {
    if android_package_name_is_valid(package_name) {
        return Ok(());
    }
    android_package_name_reason(package_name)
}

/// The detailed form of the Android rules: finds the first rule broken, in the order a
/// developer would fix them. Agrees with `android_package_name_is_valid` (tested).
fn android_package_name_reason(package_name: &str) -> Result<(), RedirectUrlError> {
    if package_name.is_empty() {
        return Err(android(
            "is empty; expected the app's package name (for example com.example.app)".into(),
        ));
    }
    if has_surrounding_whitespace(package_name) {
        return Err(android(format!(
            "{} has leading or trailing whitespace; remove it (the value is sent exactly as given)",
            Quoted(package_name)
        )));
    }
    if package_name.contains("://")
        || starts_with_ignore_ascii_case(package_name, "https:")
        || starts_with_ignore_ascii_case(package_name, "http:")
    {
        return Err(android(format!(
            "{} looks like a URL: Android needs the package name (for example com.example.app), \
             not a redirect URL",
            Quoted(package_name)
        )));
    }
    // Non-ASCII input is refused below anyway; count characters so that the reported length
    // matches what a developer sees.
    let len = if package_name.is_ascii() {
        package_name.len()
    } else {
        package_name.chars().count()
    };
    if len > MAX_ANDROID_PACKAGE_NAME_LEN {
        return Err(android(format!(
            "is {len} characters long; at most {MAX_ANDROID_PACKAGE_NAME_LEN} are allowed"
        )));
    }
    if package_name.starts_with('.') {
        return Err(android(format!(
            "{} starts with a dot; segments must not be empty",
            Quoted(package_name)
        )));
    }
    if package_name.ends_with('.') {
        return Err(android(format!(
            "{} ends with a dot; segments must not be empty",
            Quoted(package_name)
        )));
    }
    let mut segments = 0usize;
    for (index, segment) in package_name.split('.').enumerate() {
        let number = index + 1;
        segments = number;
        let Some(first) = segment.chars().next() else {
            return Err(android(format!(
                "segment {number} is empty (two dots in a row in {}); segments must not be empty",
                Quoted(package_name)
            )));
        };
        if !first.is_ascii_alphabetic() {
            return Err(android(format!(
                "segment {number} ({}) must start with a letter (A-Z or a-z), not {}",
                Quoted(segment),
                QuotedChar(first)
            )));
        }
        if let Some(bad) = segment
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
        {
            return Err(android(format!(
                "segment {number} ({}) contains {}; only ASCII letters, digits and '_' are allowed",
                Quoted(segment),
                QuotedChar(bad)
            )));
        }
    }
    if segments < 2 {
        return Err(android(format!(
            "{} has only one segment; a package name needs at least two separated by dots \
             (for example com.example.app)",
            Quoted(package_name)
        )));
    }
    Ok(())
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
    check_android_package_name(&package_name)?;
    Ok(package_name)
}

/// Characters RFC 3986 calls unreserved.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Characters RFC 3986 calls sub-delims.
fn is_sub_delim(b: u8) -> bool {
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
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric()
            || matches!(c, b'-' | b'.' | b'_' | b'~')
            || matches!(
                c,
                b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'='
            );
        b += 1;
    }
    let mut i = 0;
    while i < extra.len() {
        table[extra[i] as usize] = true;
        i += 1;
    }
    table
}

/// The common case of the path checks in one pass: only path characters, well-formed
/// percent-escapes and no `.` or `..` segment.
fn path_is_valid(path: &str) -> bool {
    let bytes = path.as_bytes();
    let mut segment_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if !PATH_BYTES[usize::from(b)] {
            return false;
        }
        if b == b'%' {
            if !(i + 2 < bytes.len()
                && bytes[i + 1].is_ascii_hexdigit()
                && bytes[i + 2].is_ascii_hexdigit())
            {
                return false;
            }
            i += 3;
            continue;
        }
        if b == b'/' {
            if is_dot_segment(&bytes[segment_start..i]) {
                return false;
            }
            segment_start = i + 1;
        }
        i += 1;
    }
    !is_dot_segment(&bytes[segment_start.min(bytes.len())..])
}

fn is_dot_segment(segment: &[u8]) -> bool {
    segment == b"." || segment == b".."
}

/// Finds the first character (with its character position, 1-based) for which `allowed` is
/// false, treating every non-ASCII character as not allowed.
fn first_disallowed(text: &str, allowed: impl Fn(u8) -> bool) -> Option<(usize, char)> {
    text.chars()
        .enumerate()
        .find(|(_, c)| !c.is_ascii() || !allowed(*c as u8))
        .map(|(i, c)| (i + 1, c))
}

/// Checks `%XX` escapes in `part`; returns the offending escape text when one is malformed.
fn bad_percent_escape(part: &str) -> Option<&str> {
    let bytes = part.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let ok = bytes.len() >= i + 3
                && bytes[i + 1].is_ascii_hexdigit()
                && bytes[i + 2].is_ascii_hexdigit();
            if !ok {
                // All of `part` is ASCII here (checked before), so these are char boundaries.
                let end = (i + 3).min(bytes.len());
                return Some(&part[i..end]);
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    None
}

/// Checks an iOS redirect URL (an https universal link) without copying it on the common path.
///
/// Rules: not empty; no leading or trailing whitespace; at most `MAX_IOS_REDIRECT_URL_LEN`
/// characters; starts with `https://` (lowercase); a domain-name host (not an IP address, not a
/// single label); no user info, query or fragment (not even an empty `?` or `#`); only RFC 3986
/// characters with well-formed percent-escapes; no `.`/`..` path segments; a port, if any, from
/// 1 to 65535. The text is checked as written; the host is parsed with the `url` crate's host
/// parser.
pub fn check_ios_redirect_url(redirect_url: &str) -> Result<(), RedirectUrlError> {
    if redirect_url.is_empty() {
        return Err(ios(
            "is empty; expected an https universal link (for example https://example.com/app123)"
                .into(),
        ));
    }
    if has_surrounding_whitespace(redirect_url) {
        return Err(ios(format!(
            "{} has leading or trailing whitespace; remove it (the value is sent exactly as given)",
            Quoted(redirect_url)
        )));
    }
    let len = if redirect_url.is_ascii() {
        redirect_url.len()
    } else {
        redirect_url.chars().count()
    };
    if len > MAX_IOS_REDIRECT_URL_LEN {
        return Err(ios(format!(
            "is {len} characters long; at most {MAX_IOS_REDIRECT_URL_LEN} are allowed"
        )));
    }

    let Some(rest) = redirect_url.strip_prefix("https://") else {
        return Err(ios(scheme_reason(redirect_url)));
    };

    if !redirect_url.bytes().all(|b| URL_BYTES[usize::from(b)]) {
        return Err(ios(url_characters_reason(redirect_url)));
    }

    // Everything is ASCII from here on, so byte offsets are character boundaries.
    let (authority, path) = match rest.find('/') {
        Some(slash) => rest.split_at(slash),
        None => (rest, ""),
    };
    if authority.is_empty() {
        return Err(ios(
            "has no host name after 'https://' (for example https://example.com/app123)".into(),
        ));
    }
    if authority.contains('@') {
        return Err(ios(
            "user info (a name or password before '@') is not allowed in a Plaid redirect URI"
                .into(),
        ));
    }
    if authority.ends_with(':') {
        return Err(ios(format!(
            "host {} ends with ':' but has no port; remove the ':' or add a port",
            Quoted(authority)
        )));
    }
    if authority.contains('%') {
        return Err(ios(format!(
            "host {} contains a percent-escape; percent-escapes are not allowed in the host \
             (URL parsers decode them, so the host would change)",
            Quoted(authority)
        )));
    }
    if !path_is_valid(path) {
        return Err(ios(path_reason(path)));
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
                        return Err(ios(format!(
                        "host {} has unexpected text after ']'; expected ':' and a port or nothing",
                        Quoted(authority)
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
            return Err(ios(format!(
                "port {} is not valid; a port is a number from 1 to 65535",
                Quoted(port)
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
            return Err(ios(format!(
                "host {} contains {}; a domain name has only letters, digits, '-' and '.'",
                Quoted(host),
                QuotedChar(bad)
            )));
        }
        let name = host.strip_suffix('.').unwrap_or(host);
        if name.is_empty() || name.split('.').any(str::is_empty) {
            return Err(ios(format!(
                "host {} has an empty label (a leading dot or two dots in a row)",
                Quoted(host)
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
                return Err(ios(format!(
                    "host {} is a single label; a universal link needs a full domain name \
                     (for example example.com)",
                    Quoted(host)
                )));
            }
        }
        Ok(url::Host::Ipv4(_)) | Ok(url::Host::Ipv6(_)) => {
            return Err(ios(format!(
                "host {} is an IP address; a universal link needs a domain name (for example example.com)",
                Quoted(host)
            )));
        }
        Err(e) => {
            return Err(ios(format!(
                "host {} is not a valid host name ({e}); expected a domain name such as example.com",
                Quoted(host)
            )));
        }
    }
    Ok(())
}

/// Why a URL with a byte outside `URL_BYTES` is refused. Agrees with the byte table (tested).
fn url_characters_reason(redirect_url: &str) -> String {
    if let Some((position, c)) = first_disallowed(redirect_url, |b| {
        is_unreserved(b)
            || is_sub_delim(b)
            || matches!(b, b':' | b'/' | b'?' | b'#' | b'[' | b']' | b'@' | b'%')
    }) {
        let hint = if c.is_ascii() {
            "percent-encode it"
        } else {
            "percent-encode it (or use the punycode xn-- form of a host name)"
        };
        return format!(
            "contains {} at character {position}, which is not allowed in a URL; {hint}",
            QuotedChar(c)
        );
    }
    if let Some(at) = redirect_url.find('?') {
        return format!(
            "query parameters are not allowed in a Plaid redirect URI (found {} at character {}); \
             remove everything from the '?'",
            Quoted(&redirect_url[at..]),
            at + 1
        );
    }
    if let Some(at) = redirect_url.find('#') {
        return format!(
            "a fragment is not allowed in a Plaid redirect URI (found {} at character {}); \
             remove everything from the '#'",
            Quoted(&redirect_url[at..]),
            at + 1
        );
    }
    // Unreachable when the table and the rules agree.
    format!(
        "{} contains a character that is not allowed in a URL",
        Quoted(redirect_url)
    )
}

/// Why a path that fails `path_is_valid` is refused. Agrees with it (tested).
fn path_reason(path: &str) -> String {
    if let Some((_, c)) = first_disallowed(path, |b| {
        is_unreserved(b) || is_sub_delim(b) || matches!(b, b':' | b'@' | b'%' | b'/')
    }) {
        return format!(
            "path {} contains {}, which is not allowed in a URL path; percent-encode it",
            Quoted(path),
            QuotedChar(c)
        );
    }
    if let Some(bad) = bad_percent_escape(path) {
        return format!(
            "path {} contains the malformed percent-escape {}; '%' must be followed by two hex digits",
            Quoted(path),
            Quoted(bad)
        );
    }
    if let Some(segment) = path.split('/').find(|s| *s == "." || *s == "..") {
        return format!(
            "path {} contains a {} segment, which URL parsers resolve away; write the path without it",
            Quoted(path),
            Quoted(segment)
        );
    }
    // Unreachable when the fast check and the rules agree.
    format!("path {} is not valid", Quoted(path))
}

/// The reason for a value that does not start with `https://`.
fn scheme_reason(redirect_url: &str) -> String {
    if starts_with_ignore_ascii_case(redirect_url, "https://") {
        return format!(
            "the scheme must be written in lowercase as 'https://' (found {}); Dwolla matches \
             the value exactly",
            Quoted(&redirect_url[..redirect_url.len().min(8)])
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
                Quoted(scheme)
            );
        }
    }
    format!(
        "{} is not an absolute https URL; expected an https universal link such as \
         https://example.com/app123 (an Android package name belongs in \
         validate_android_package_name)",
        Quoted(redirect_url)
    )
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
    check_ios_redirect_url(&redirect_url)?;
    Ok(redirect_url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(result: Result<(), RedirectUrlError>) -> String {
        match result {
            Ok(()) => panic!("expected an error"),
            Err(RedirectUrlError::InvalidAndroidPackageName { reason })
            | Err(RedirectUrlError::InvalidIosRedirectUrl { reason }) => reason,
        }
    }

    #[test]
    fn quoted_truncates_on_char_boundaries() {
        let long = "é".repeat(100);
        let shown = Quoted(&long).to_string();
        assert_eq!(shown.chars().count(), QUOTE_MAX_CHARS + 2 + 3);
        assert!(shown.ends_with("...'"));
        assert_eq!(Quoted("short").to_string(), "'short'");
        assert_eq!(Quoted("a\nb").to_string(), "'a\\nb'");
    }

    #[test]
    fn percent_escape_scanner() {
        assert_eq!(bad_percent_escape("/a%20b"), None);
        assert_eq!(bad_percent_escape("/a%2"), Some("%2"));
        assert_eq!(bad_percent_escape("/a%"), Some("%"));
        assert_eq!(bad_percent_escape("/a%zz"), Some("%zz"));
    }

    #[test]
    fn segment_number_is_reported() {
        assert!(reason(check_android_package_name("com.1app")).contains("segment 2 ('1app')"));
    }

    proptest::proptest! {
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

    /// Strings near the accepted sets: mostly the characters the rules look at.
    const NEAR: &str = "[a-zA-Z0-9_.:/%?#@\\[\\] é-]{0,24}";

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]

        #[test]
        fn android_fast_path_agrees_with_the_detailed_rules(
            value in proptest::prop_oneof![proptest::prelude::any::<String>(), NEAR,
                "[a-zA-Z_0-9]{0,4}(\\.[a-zA-Z_0-9]{0,4}){0,3}"]
        ) {
            proptest::prop_assert_eq!(
                android_package_name_is_valid(&value),
                android_package_name_reason(&value).is_ok(),
                "{:?}", value
            );
        }

        #[test]
        fn url_byte_table_agrees_with_the_detailed_reason(
            value in proptest::prop_oneof![proptest::prelude::any::<String>(), NEAR]
        ) {
            if !value.bytes().all(|b| URL_BYTES[usize::from(b)]) {
                let reason = url_characters_reason(&value);
                proptest::prop_assert!(
                    !reason.contains("contains a character that is not allowed"),
                    "{:?}: {}", value, reason
                );
            }
        }

        #[test]
        fn path_fast_path_agrees_with_the_detailed_reason(
            value in proptest::prop_oneof![
                "(/[a-z.%0-9A-F:@!]{0,4}){0,4}/?",
                "[a-zA-Z0-9_.:/%?#@\\[\\] <|-]{0,24}",
            ]
        ) {
            if !path_is_valid(&value) {
                let reason = path_reason(&value);
                proptest::prop_assert!(!reason.ends_with("is not valid"), "{:?}: {}", value, reason);
            } else {
                proptest::prop_assert!(
                    value.bytes().all(|b| PATH_BYTES[usize::from(b)])
                        && bad_percent_escape(&value).is_none()
                        && !value.split('/').any(|s| s == "." || s == ".."),
                    "{:?}", value
                );
            }
        }
    }

    #[test]
    fn helpers_accept_and_refuse_like_the_exported_functions() {
        assert_eq!(check_android_package_name("com.example.app"), Ok(()));
        assert_eq!(check_ios_redirect_url("https://example.com/app123"), Ok(()));
        assert!(matches!(
            check_android_package_name("com..app"),
            Err(RedirectUrlError::InvalidAndroidPackageName { .. })
        ));
        assert!(matches!(
            check_ios_redirect_url("myapp://x"),
            Err(RedirectUrlError::InvalidIosRedirectUrl { .. })
        ));
    }

    #[test]
    fn uppercase_scheme_is_refused() {
        assert!(reason(check_ios_redirect_url("HTTPS://example.com/app")).contains("lowercase"));
    }
}
