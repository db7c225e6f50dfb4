//! Token redaction: what keeps the app's, Plaid's, Checkout.com's and MX's tokens out of every
//! error message, log line and printed session.
//!
//! [`REDACTED`] stands in for a token or secret wherever one would be shown (the sessions'
//! `Debug`/`Display`, errors). Text the library did not write (server messages, the token
//! provider's reasons, transport errors, hrefs) goes through [`clean_detail`] (an href through
//! [`href_for_display`]) before it enters an error or a log record, and [`redact`] is what it
//! applies:
//! - the secrets the caller knows: the bearer tokens of the call, the public, card or MX token
//!   the app handed over. The call's own ([`note_call_secret`], kept for the call by
//!   [`with_call_secrets`]) are always included. A secret is matched as a reader would see it:
//!   whatever its letter case, token-shaped or not, with Unicode format characters (category
//!   Cf: U+200B, U+00AD, U+2060, ...) inside it ignored and percent-encoded characters read
//!   decoded; and a fragment of at least three quarters of it ([`fragment_min`]: one cut a
//!   character short, say) counts as the secret;
//! - words that start with a known token prefix, in any letter case ([`TOKEN_PREFIXES`]);
//! - other token-shaped words: 20 or more letters and digits without a known prefix (a raw MX
//!   connection token, a card token in hex, a base64 value), UUIDs excepted (Dwolla's ids).
//!
//! Format characters are dropped from a server's text and from a shown href before anything
//! else, so that none can split a token-shaped word. Redaction runs on the whole text, before
//! it is cut to length, so that a token straddling the cut leaves no beginning behind.
//! [`BridgeError`](crate::error::BridgeError)s leave each exported call through the call's
//! secrets once more (`BridgeError::without_call_secrets`).

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// Shown in place of a token or secret.
pub const REDACTED: &str = "<redacted>";

/// The most characters of a server's text kept in an error.
const MAX_DETAIL: usize = 300;

/// The most characters of a server's text that are read at all: the rest could never be shown
/// (it is past [`MAX_DETAIL`]), and a hostile backend's megabyte of text costs no more than this.
const MAX_READ: usize = 16 * 1024;

tokio::task_local! {
    /// The secrets of the exported call running in this task: the bearer tokens it sent, the
    /// secrets of its request bodies. Dropped with the call.
    static CALL_SECRETS: RefCell<Vec<String>>;
}

/// Runs `fut` (one exported call, or a prepare or prewarm) with its own set of secrets, which
/// [`note_call_secret`] adds to and every redaction in it applies.
pub(crate) async fn with_call_secrets<F: Future>(fut: F) -> F::Output {
    CALL_SECRETS.scope(RefCell::new(Vec::new()), fut).await
}

/// Records a secret of the call running in this task (outside one, nothing).
pub(crate) fn note_call_secret(secret: &str) {
    if secret.is_empty() {
        return;
    }
    let _ = CALL_SECRETS.try_with(|s| {
        let mut s = s.borrow_mut();
        if !s.iter().any(|known| known == secret) {
            s.push(secret.to_string());
        }
    });
}

/// The secrets of the call running in this task (none outside one).
pub(crate) fn call_secrets() -> Vec<String> {
    CALL_SECRETS
        .try_with(|s| s.borrow().clone())
        .unwrap_or_default()
}

/// Keeps a server's text short, on one line, and free of `secrets`, of the call's secrets and
/// of anything shaped like a token. `secrets` are the values known to be secret where the text
/// arrives (the request's bearer tokens); they are only compared, never kept.
pub(crate) fn clean_detail(s: &str, secrets: &[&str]) -> String {
    let one_line: String = s
        .chars()
        .take(MAX_READ)
        .filter(|&c| !is_format(c))
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    truncate(&redact(&one_line, secrets), MAX_DETAIL)
}

/// At most `max` characters of `s`, not ending in a cut-off [`REDACTED`].
fn truncate(s: &str, max: usize) -> String {
    let Some((cut, _)) = s.char_indices().nth(max) else {
        return s.to_string();
    };
    let mut kept = &s[..cut];
    // A `<redacted>` cut in two is dropped rather than shown as `<reda`.
    if let Some(open) = kept.rfind('<') {
        if open + REDACTED.len() > cut && s[open..].starts_with(REDACTED) {
            kept = &kept[..open];
        }
    }
    kept.to_string()
}

/// `s` with each of `secrets` and of the call's secrets ([`redact_secret`]) and every
/// token-shaped word replaced by [`REDACTED`].
pub(crate) fn redact(s: &str, secrets: &[&str]) -> String {
    redact_tokens(&redact_secrets(s, secrets))
}

/// `s` with each of `secrets` and of the call's secrets replaced by [`REDACTED`], as
/// [`redact_secret`] does; token-shaped words are left.
pub(crate) fn redact_secrets(s: &str, secrets: &[&str]) -> String {
    let mut text = s.to_string();
    for secret in secrets {
        text = redact_secret(&text, secret);
    }
    for secret in call_secrets() {
        text = redact_secret(&text, &secret);
    }
    text
}

/// Whether `c` is a Unicode format character (category Cf): invisible, and so able to hide
/// inside a secret (U+200B ZERO WIDTH SPACE, U+00AD SOFT HYPHEN, U+2060 WORD JOINER, U+FEFF,
/// the bidirectional controls, ...).
pub(crate) fn is_format(c: char) -> bool {
    c.general_category() == GeneralCategory::Format
}

/// One character of a text as a reader sees it: its ASCII letters in lower case, a
/// percent-encoded character decoded; `start..end` is where it is in the text.
struct Unit {
    c: char,
    start: usize,
    end: usize,
}

/// The visible characters of `s` ([`Unit`]s): format characters, raw or percent-encoded, left
/// out.
fn visible_units(s: &str) -> Vec<Unit> {
    let mut out = Vec::with_capacity(s.len());
    for (c, start, end) in decoded_chars(s) {
        if !is_format(c) {
            out.push(Unit {
                c: c.to_ascii_lowercase(),
                start,
                end,
            });
        }
    }
    out
}

/// Each character of `s`, a percent-encoded one decoded, with where it is (`start..end`).
fn decoded_chars(s: &str) -> impl Iterator<Item = (char, usize, usize)> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        if i >= s.len() {
            return None;
        }
        let start = i;
        let (c, end) = percent_decoded(s, i).unwrap_or_else(|| {
            let c = s[i..].chars().next().unwrap_or(' ');
            (c, i + c.len_utf8())
        });
        i = end;
        Some((c, start, end))
    })
}

/// The character percent-encoded (as UTF-8, `%E2%80%8B`) at byte `i` of `s`, and where it ends.
fn percent_decoded(s: &str, i: usize) -> Option<(char, usize)> {
    let byte_at = |j: usize| -> Option<u8> {
        let hex = s.get(j..j + 3)?.strip_prefix('%')?;
        u8::from_str_radix(hex, 16).ok()
    };
    let first = byte_at(i)?;
    let len = match first {
        0x00..=0x7F => 1,
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return None,
    };
    let mut bytes = [first, 0, 0, 0];
    for (k, b) in bytes.iter_mut().enumerate().take(len).skip(1) {
        *b = byte_at(i + 3 * k)?;
    }
    let c = std::str::from_utf8(&bytes[..len]).ok()?.chars().next()?;
    Some((c, i + 3 * len))
}

/// The fewest characters of a secret that count as the secret: three quarters of it (rounded
/// up), at least 6 (a secret of 6 characters or fewer counts only whole). A backend that echoes
/// a secret cut short still shows it; a secret's few first characters in ordinary text do not.
pub(crate) fn fragment_min(secret_len: usize) -> usize {
    if secret_len <= 6 {
        secret_len
    } else {
        (secret_len * 3).div_ceil(4).max(6)
    }
}

/// `s` with every occurrence of `secret` replaced by [`REDACTED`], read as a reader sees both
/// ([`visible_units`]: letter case, format characters and percent-encoding ignored), and with
/// every fragment of `secret` of at least [`fragment_min`] characters replaced too. An empty
/// secret changes nothing.
pub(crate) fn redact_secret(s: &str, secret: &str) -> String {
    let needle: Vec<char> = visible_units(secret).into_iter().map(|u| u.c).collect();
    if needle.is_empty() || s.is_empty() {
        return s.to_string();
    }
    let min = fragment_min(needle.len());
    let hay = visible_units(s);
    // Where each character is in the secret: a fragment can only start at one of them.
    let mut starts: HashMap<char, Vec<usize>> = HashMap::new();
    for (j, &c) in needle.iter().enumerate() {
        starts.entry(c).or_default().push(j);
    }
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < hay.len() {
        // The longest fragment of the secret that starts here.
        let mut longest = 0;
        for &j in starts.get(&hay[i].c).map_or(&[][..], Vec::as_slice) {
            let run = hay[i..]
                .iter()
                .zip(&needle[j..])
                .take_while(|(u, c)| u.c == **c)
                .count();
            longest = longest.max(run);
        }
        if longest >= min {
            spans.push((hay[i].start, hay[i + longest - 1].end));
            i += longest;
        } else {
            i += 1;
        }
    }
    if spans.is_empty() {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut copied = 0;
    for (start, end) in spans {
        out.push_str(&s[copied..start]);
        out.push_str(REDACTED);
        copied = end;
    }
    out.push_str(&s[copied..]);
    out
}

/// `s` without its format characters, raw or percent-encoded; everything else as it was.
fn without_format_chars(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (c, start, end) in decoded_chars(s) {
        if !is_format(c) {
            out.push_str(&s[start..end]);
        }
    }
    out
}

/// Token prefixes, matched in any letter case at the start of a word: Plaid's link, public and
/// access tokens, `Authorization` values (`Bearer `, `Basic `), Checkout.com's card tokens and
/// sources (`tok_`, `src_`) and payment session secrets (`pss_`), and base64-encoded JSON
/// (`eyJ`: MX's available connection tokens, JWTs). The flag says whether the prefix is also
/// an ordinary word ("public-facing", "bearer token"): then the rest must hold a digit, a
/// punctuation mark or 20 characters to count as a token.
const TOKEN_PREFIXES: &[(&str, bool)] = &[
    ("link-", true),
    ("public-", true),
    ("access-", true),
    ("bearer ", true),
    ("basic ", true),
    ("src_", false),
    ("tok_", false),
    ("pss_", false),
    ("eyJ", false),
];

/// The fewest characters after a prefix that make a token.
const MIN_AFTER_PREFIX: usize = 6;
/// The fewest characters of a token-shaped word without a prefix.
const MIN_TOKEN: usize = 20;

/// Replaces every word that starts with a token prefix, and every other token-shaped word, by
/// [`REDACTED`].
pub(crate) fn redact_tokens(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if at_word_start(s, i) {
            if let Some(end) = prefixed_token_end(s, i).or_else(|| shaped_token_end(s, i)) {
                out.push_str(REDACTED);
                i = end;
                continue;
            }
        }
        let c = s[i..].chars().next().unwrap_or(' ');
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// Where the token starting at `i` with a known prefix ends, if one does.
fn prefixed_token_end(s: &str, i: usize) -> Option<usize> {
    let rest = &s[i..];
    TOKEN_PREFIXES.iter().find_map(|&(prefix, is_a_word)| {
        let head = rest.get(..prefix.len())?;
        if !head.eq_ignore_ascii_case(prefix) {
            return None;
        }
        let after = &rest[prefix.len()..];
        let mut len = after
            .find(|c: char| !is_b64token_char(c))
            .unwrap_or(after.len());
        len += after[len..].bytes().take_while(|&b| b == b'=').count();
        // A full stop after the token ends the sentence, not the token.
        while len > 0 && after.as_bytes()[len - 1] == b'.' {
            len -= 1;
        }
        let tail = &after[..len];
        let is_token = tail.len() >= MIN_AFTER_PREFIX
            && (!is_a_word
                || tail.len() >= MIN_TOKEN
                || tail.bytes().any(|b| !b.is_ascii_alphabetic()));
        is_token.then_some(i + prefix.len() + len)
    })
}

/// Characters of an `Authorization` credential (RFC 6750's b64token, `=` aside).
fn is_b64token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~' | '+' | '/')
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_')
}

/// Where the token-shaped word starting at `i` ends, if it is one: a base64 value with `+` or
/// `/` taken whole, else a word of letters, digits, `-` and `_` (trailing `=` included).
fn shaped_token_end(s: &str, i: usize) -> Option<usize> {
    let rest = &s[i..];
    let padded = |len: usize| i + len + rest[len..].bytes().take_while(|&b| b == b'=').count();
    let b64_len = rest
        .find(|c: char| !(is_word_char(c) || c == '+' || c == '/'))
        .unwrap_or(rest.len());
    let b64 = &rest[..b64_len];
    if b64.contains(['+', '/']) && is_base64_shaped(b64) {
        return Some(padded(b64_len));
    }
    let len = rest.find(|c: char| !is_word_char(c)).unwrap_or(rest.len());
    is_token_shaped(&rest[..len]).then(|| padded(len))
}

/// 20 or more characters with letters and digits, not a UUID, and either one run of letters
/// and digits or with a piece that mixes them over at least 8 characters (so that
/// "card-ending-in-1519-was-declined" stays and "ab12-cd34ef56gh-..." does not).
fn is_token_shaped(word: &str) -> bool {
    let mixed = |w: &str| {
        w.bytes().any(|b| b.is_ascii_digit()) && w.bytes().any(|b| b.is_ascii_alphabetic())
    };
    if word.len() < MIN_TOKEN || !mixed(word) || is_uuid(word) {
        return false;
    }
    let mut pieces = word.split(['-', '_']).filter(|p| !p.is_empty());
    word.bytes().all(|b| b.is_ascii_alphanumeric())
        || pieces.any(|p| p.len() >= 8 && p.bytes().any(|b| b.is_ascii_digit()))
}

/// A standard base64 value (with `+` or `/`): 20 or more characters, upper and lower case
/// letters and digits, and not a path: no leading `/`, and no segment between `/` that is a
/// UUID or a lower-case word (`com`, `customers`, `funding-sources`).
fn is_base64_shaped(word: &str) -> bool {
    let path_segment = |seg: &str| {
        is_uuid(seg)
            || (!seg.is_empty()
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'-' || b == b'_'))
    };
    word.len() >= MIN_TOKEN
        && !word.starts_with('/')
        && word.bytes().any(|b| b.is_ascii_digit())
        && word.bytes().any(|b| b.is_ascii_uppercase())
        && word.bytes().any(|b| b.is_ascii_lowercase())
        && !word.split(['/', '+']).any(path_segment)
}

/// Dwolla's ids: 8-4-4-4-12 hexadecimal digits.
fn is_uuid(word: &str) -> bool {
    let groups: Vec<&str> = word.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn at_word_start(s: &str, i: usize) -> bool {
    i == 0 || s[..i].chars().next_back().is_some_and(|c| !is_word_char(c))
}

/// An href as an error or a log line may show it: without format characters, user info
/// (`user:password@`), query or fragment (each replaced by [`REDACTED`]), and with the call's
/// secrets and token-shaped words redacted.
pub(crate) fn href_for_display(href: &str) -> String {
    let href: String = without_format_chars(&href.chars().take(MAX_READ).collect::<String>());
    let href = href.as_str();
    let (mut shown, rest) = match href.find(['?', '#']) {
        Some(i) => (href[..i].to_string(), &href[i..]),
        None => (href.to_string(), ""),
    };
    if let Some(start) = shown.find("//").map(|i| i + 2) {
        let authority_end = shown[start..]
            .find(['/', '\\'])
            .map_or(shown.len(), |i| start + i);
        if let Some(at) = shown[start..authority_end].rfind('@') {
            shown.replace_range(start..start + at, REDACTED);
        }
    }
    let mut shown = redact(&shown, &[]);
    if let Some(mark) = rest.chars().next() {
        shown.push(mark);
        shown.push_str(REDACTED);
    }
    shown
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
        assert_eq!(redact_tokens("(link-sandbox-x)"), "(<redacted>)");
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
        assert_eq!(clean_detail("a\nb", &[]), "a b");
        assert_eq!(clean_detail(&"x".repeat(400), &[]).len(), MAX_DETAIL);
        // Ordinary words after a prefix stay.
        assert_eq!(
            redact_tokens("the bearer token is public-facing"),
            "the bearer token is public-facing"
        );
    }

    #[test]
    fn prefixes_match_in_any_letter_case() {
        for word in [
            "PSS_5a1b2c3d4e",
            "Tok_4gzeau5o2uqubbk6fufs3m7p54",
            "SRC_abc123def",
            "LINK-sandbox-abcdef",
            "Public-Sandbox-123456",
            "ACCESS-production-abcdef",
            "EYJhY2NvdW50SWQiOiJB",
        ] {
            let out = redact_tokens(&format!("x {word} y"));
            assert_eq!(out, "x <redacted> y", "{word}");
        }
        assert_eq!(redact_tokens("bearer abcdef12"), "<redacted>");
        assert_eq!(redact_tokens("BEARER abcdef12"), "<redacted>");
    }

    #[test]
    fn a_token_cut_by_the_length_limit_leaves_nothing_behind() {
        // The cut falls inside the token: not even its first characters stay.
        let text = format!("{} pss_9823241e2cec4c98b23d", "x".repeat(MAX_DETAIL - 8));
        let out = clean_detail(&text, &[]);
        assert!(!out.contains("pss_"), "{out}");
        assert!(out.chars().count() <= MAX_DETAIL, "{out}");
    }

    #[test]
    fn token_shaped_words_without_a_known_prefix_are_redacted() {
        // A raw MX token, a card token in hex, a long mixed value: letters and digits, 20 or
        // more characters.
        for word in [
            "QUNULTIwMWNhZDNjLWM3NmItNDdjNQ",
            "9f8e7d6c5b4a39281706f5e4d3c2b1a0",
            "Zk3q9XbT0pLw7RmVnC2sYhJ8dE5fGu==",
            "Zk3q9Xb/T0pLw7R+mVnC2sY/hJ8dE5fGu=",
        ] {
            assert_eq!(
                redact_tokens(&format!("({word})")),
                "(<redacted>)",
                "{word}"
            );
        }
        // Ids, paths, words and timestamps stay.
        for text in [
            "Bank already exists: id=df8392e5-4c06-42ed-b247-c098ed6f5a11",
            "/_links/exchange-partner/href is invalid",
            "https://api.example.com/customers/c1/exchange-sessions",
            "Authorization already associated to a funding source.",
            "created 2024-03-25T17:13:38.430Z",
            "the idempotency-key-abcdefghijklmnop is reused",
        ] {
            assert_eq!(redact_tokens(text), text);
        }
    }

    #[test]
    fn known_secrets_are_redacted_in_any_letter_case_whatever_their_shape() {
        let token = "a-long-random-app-token";
        let out = clean_detail(
            "refused A-LONG-RANDOM-APP-TOKEN and a-long-random-app-token; a-long-random",
            &[token, ""],
        );
        assert_eq!(out, "refused <redacted> and <redacted>; a-long-random");
        // Even where the length limit would cut it.
        let text = format!("{} {token}", "x".repeat(MAX_DETAIL - 5));
        assert!(!clean_detail(&text, &[token]).contains("a-lon"));
        assert_eq!(redact_secret("é-secret-é", "SECRET"), "é-<redacted>-é");
        assert_eq!(redact_secret("short", "longer than it"), "short");
    }

    #[test]
    fn hrefs_are_shown_without_user_info_query_or_tokens() {
        assert_eq!(
            href_for_display("https://user:pw@api.example.com/exchange-sessions/1?t=abc#f"),
            "https://<redacted>@api.example.com/exchange-sessions/1?<redacted>"
        );
        assert_eq!(
            href_for_display("//u@h/x/QUNULTIwMWNhZDNjLWM3NmItNDdjNQ"),
            "//<redacted>@h/x/<redacted>"
        );
        assert_eq!(
            href_for_display("https://h/a@b/c"),
            "https://h/a@b/c",
            "an @ in the path is no user info"
        );
        assert_eq!(href_for_display("not a url"), "not a url");
    }

    #[test]
    fn format_characters_inside_a_secret_do_not_hide_it() {
        let secret = "correcthorsebatterystaple";
        for echo in [
            "correct\u{200B}horse\u{00AD}battery\u{2060}staple",
            "CORRECT\u{FEFF}HORSEBATTERYSTAPLE",
            "correct%E2%80%8Bhorse%C2%ADbattery%e2%81%a0staple",
            "corr%65cthorsebatterystaple",
        ] {
            let out = redact_secret(&format!("user {echo} refused"), secret);
            assert_eq!(out, "user <redacted> refused", "{echo:?}");
        }
        // A server's text loses its format characters, so none splits a token-shaped word.
        assert_eq!(
            clean_detail("token public-sandbox-\u{200B}12345678 used", &[]),
            "token <redacted> used"
        );
        assert_eq!(
            href_for_display("https://evil.example/x/link-%E2%80%8Bsandbox-abcdef12"),
            "https://evil.example/x/<redacted>"
        );
        assert!(is_format('\u{200B}') && is_format('\u{00AD}') && is_format('\u{2060}'));
        assert!(!is_format('a') && !is_format(' ') && !is_format('é'));
    }

    #[test]
    fn a_long_fragment_of_a_secret_counts_as_the_secret() {
        println!("secret length -> fewest characters that count");
        for (len, min) in [
            (4, 4),
            (6, 6),
            (7, 6),
            (8, 6),
            (12, 9),
            (18, 14),
            (25, 19),
            (64, 48),
        ] {
            println!("{len:>3} -> {}", fragment_min(len));
            assert_eq!(fragment_min(len), min, "{len}");
        }
        let secret = "k7Qx9mPz";
        // Cut one character short, at either end; a fragment from the middle.
        for echo in ["k7Qx9mP", "7Qx9mPz", "K7QX9M"] {
            assert_eq!(
                redact_secret(&format!("at /exchanges/{echo}/x"), secret),
                "at /exchanges/<redacted>/x",
                "{echo}"
            );
        }
        // Five characters of an 8-character secret are ordinary text.
        assert_eq!(redact_secret("k7Qx9 is fine", secret), "k7Qx9 is fine");
        assert_eq!(
            redact_secret("c0ffee12ab34cd56e", "c0ffee12ab34cd56ef"),
            REDACTED
        );
    }
}
