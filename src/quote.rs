//! Quoting a value in an error message: in single quotes, cut on a character boundary when
//! long, control and invisible characters escaped, so that a message stays short and printable.
//! The one truncation helper of the crate (values quoted this way are never secrets).

use std::fmt;

/// How many characters of a value a redirect rule's reason quotes.
pub(crate) const SHORT: usize = 40;
/// How many characters of a value a configuration or argument error quotes.
pub(crate) const LONG: usize = 80;

/// Displays a value in single quotes, cut after `max` characters (then `...` follows) and with
/// non-printable characters escaped.
pub(crate) struct Quoted<'a> {
    text: &'a str,
    max: usize,
}

impl<'a> Quoted<'a> {
    /// Quotes at most [`SHORT`] characters.
    pub(crate) fn new(text: &'a str) -> Self {
        Quoted { text, max: SHORT }
    }

    /// Quotes at most [`LONG`] characters.
    pub(crate) fn long(text: &'a str) -> Self {
        Quoted { text, max: LONG }
    }
}

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("'")?;
        let mut chars = self.text.chars();
        for c in chars.by_ref().take(self.max) {
            write_char_escaped(f, c)?;
        }
        if chars.next().is_some() {
            f.write_str("...")?;
        }
        f.write_str("'")
    }
}

/// Displays one character in single quotes, escaped when it is not printable, with its code
/// point when it is not ASCII; a space is written as `a space`.
pub(crate) struct QuotedChar(pub(crate) char);

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

/// Writes a printable character as it is and escapes the others (`\n`, `\u{200b}`, ...).
/// Quotes and backslashes are written as they are: the message is prose, not a literal.
fn write_char_escaped(f: &mut fmt::Formatter<'_>, c: char) -> fmt::Result {
    let escaped = c.escape_debug();
    if escaped.len() == 1 || matches!(c, '\\' | '\'' | '"') {
        write!(f, "{c}")
    } else {
        write!(f, "{escaped}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_truncates_on_char_boundaries() {
        let long = "é".repeat(100);
        let shown = Quoted::new(&long).to_string();
        assert_eq!(shown.chars().count(), SHORT + 2 + 3);
        assert!(shown.ends_with("...'"));
        assert_eq!(Quoted::new("short").to_string(), "'short'");
        assert_eq!(Quoted::new("a\nb").to_string(), "'a\\nb'");
    }

    #[test]
    fn long_quotes_keep_eighty_characters() {
        let value = "a".repeat(81);
        assert_eq!(
            Quoted::long(&value).to_string(),
            format!("'{}...'", "a".repeat(80))
        );
        assert_eq!(Quoted::long(&value[..80]).to_string().len(), 82);
    }
}
