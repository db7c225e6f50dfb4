//! `validate_ios_redirect_url` on arbitrary strings: it never panics; a value it accepts is
//! handed back unchanged and satisfies the documented rule: it starts with lowercase `https://`,
//! has no query and no fragment, at most 2048 characters, only RFC 3986 characters, and parses
//! (WHATWG URL, the `url` crate) as https with a domain-name host of at least two labels, no user
//! info, and a path that no URL parser rewrites (the byte-exact match at Dwolla); a refusal is the
//! iOS error with a short, non-empty reason.

use iav_bridge::{validate_ios_redirect_url, RedirectUrlError};
use url::{Host, Url};

/// RFC 3986 characters except `?` and `#`.
fn rfc3986(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:/[]@%".contains(&b)
}

fn check_accepted(value: &str) {
    let rest = value
        .strip_prefix("https://")
        .unwrap_or_else(|| panic!("accepted {value:?}, which does not start with https://"));
    assert!(value.len() <= 2048, "accepted {} bytes", value.len());
    assert!(
        value.bytes().all(rfc3986),
        "accepted {value:?}: a character outside RFC 3986, a query or a fragment"
    );
    let url = Url::parse(value).unwrap_or_else(|e| panic!("accepted {value:?}: not a URL ({e})"));
    assert_eq!(url.scheme(), "https");
    assert!(
        url.username().is_empty() && url.password().is_none(),
        "accepted user info in {value:?}"
    );
    assert!(
        url.query().is_none() && url.fragment().is_none(),
        "{value:?}"
    );
    match url.host() {
        Some(Host::Domain(d)) => assert!(
            d.trim_end_matches('.').contains('.'),
            "accepted the single-label host of {value:?}"
        ),
        other => panic!("accepted {value:?}, whose host is {other:?}"),
    }
    // The path as written is the path a URL parser keeps (no dot segment resolved away, nothing
    // re-encoded): what Dwolla compares byte for byte is what Plaid and iOS see.
    let written = rest.find('/').map_or("", |i| &rest[i..]);
    let written = if written.is_empty() { "/" } else { written };
    assert_eq!(
        url.path(),
        written,
        "a URL parser rewrites the path of {value:?}"
    );
}

/// One input: the properties above, checked; a violation panics.
pub fn run(data: &[u8]) {
    let Ok(value) = std::str::from_utf8(data) else {
        return;
    };
    match validate_ios_redirect_url(value.to_string()) {
        Ok(out) => {
            assert_eq!(
                out, value,
                "an accepted redirect URL must come back unchanged"
            );
            check_accepted(value);
        }
        Err(RedirectUrlError::InvalidIosRedirectUrl { reason }) => {
            assert!(!reason.is_empty());
            assert!(reason.len() < 1024, "reason of {} bytes", reason.len());
        }
        Err(other) => panic!("an iOS redirect URL refused with the Android error: {other}"),
    }
}
