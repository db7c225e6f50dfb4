//! Token redaction: what keeps the app's and Plaid's tokens out of every error message, log line
//! and printed session.
//!
//! [`REDACTED`] stands in for a token or secret wherever one would be shown (the sessions'
//! `Debug`/`Display`, errors). [`redact_tokens`] replaces words shaped like Plaid, Dwolla,
//! Checkout.com or MX tokens in text the library did not write (server messages, the token provider's reasons,
//! transport errors), and [`clean_detail`] applies it to such text after making it one short line.

/// Shown in place of a token or secret.
pub const REDACTED: &str = "<redacted>";

/// The most characters of a server's text kept in an error.
const MAX_DETAIL: usize = 300;

/// Keeps a server's text short, on one line, and free of anything shaped like a token.
pub(crate) fn clean_detail(s: &str) -> String {
    let one_line: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_DETAIL)
        .collect();
    redact_tokens(&one_line)
}

/// Token prefixes that must never be repeated in an error or a log line: Plaid's link, public
/// and access tokens, bearer tokens, Checkout.com's card tokens and sources (`tok_`, `src_`)
/// and payment session secrets (`pss_`), and base64-encoded JSON (`eyJ`: MX's available
/// connection tokens, JWTs).
const TOKEN_PREFIXES: &[&str] = &[
    "link-", "public-", "access-", "Bearer ", "src_", "tok_", "pss_", "eyJ",
];

/// Replaces every word starting with a token prefix by `<redacted>`.
pub(crate) fn redact_tokens(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    'outer: while !rest.is_empty() {
        for prefix in TOKEN_PREFIXES {
            if rest.starts_with(prefix) && at_word_start(s, s.len() - rest.len()) {
                let after = &rest[prefix.len()..];
                let end = after
                    .find(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == ',')
                    .unwrap_or(after.len());
                if end >= 6 {
                    out.push_str(REDACTED);
                    rest = &after[end..];
                    continue 'outer;
                }
            }
        }
        let c = rest.chars().next().unwrap_or(' ');
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

fn at_word_start(s: &str, i: usize) -> bool {
    i == 0
        || s[..i]
            .chars()
            .next_back()
            .is_some_and(|c| !c.is_alphanumeric() && c != '-' && c != '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_shaped_like_tokens_are_redacted() {
        assert_eq!(
            redact_tokens("exchange-partner href"),
            "exchange-partner href"
        );
        assert_eq!(redact_tokens("a link-abc"), "a link-abc");
        assert_eq!(redact_tokens("(link-sandbox-x)"), "(<redacted>");
        assert_eq!(
            redact_tokens("card src_abc123def and tok_4gzeau5o2uqubbk6fufs3m7p54"),
            "card <redacted> and <redacted>"
        );
        assert_eq!(
            redact_tokens("secret pss_5a1b2c3d, mx eyJhY2NvdW50SWQiOiJB"),
            "secret <redacted>, mx <redacted>"
        );
        assert_eq!(
            redact_tokens("a src_x or my_src_abcdefgh"),
            "a src_x or my_src_abcdefgh"
        );
        assert_eq!(clean_detail("a\nb"), "a b");
        assert_eq!(clean_detail(&"x".repeat(400)).len(), MAX_DETAIL);
    }
}
