//! Making file-derived text safe to show: on a terminal (no control characters) and in a
//! report cell or a reason (never unbounded: a crafted file must not turn one reason into
//! megabytes). The report writers apply their format's own quoting on top.

use std::borrow::Cow;

/// File-derived text made safe for a terminal: control characters other than those in
/// `keep` are replaced with U+FFFD, so nothing in a file name or value can drive a console.
#[must_use]
pub fn printable<'a>(text: &'a str, keep: &[char]) -> Cow<'a, str> {
    let replaced = |c: char| c.is_control() && !keep.contains(&c);
    if !text.chars().any(replaced) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| if replaced(c) { '\u{fffd}' } else { c })
            .collect(),
    )
}

/// The longest excerpt of file content a reason quotes, in characters.
pub const EXCERPT_CHARS: usize = 200;

/// At most `max_chars` characters of `text`; when cut, says how much was left out.
#[must_use]
pub fn excerpt(text: &str, max_chars: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max_chars) {
        None => Cow::Borrowed(text),
        Some((cut, _)) => {
            let rest = text.get(cut..).map_or(0, |r| r.chars().count());
            Cow::Owned(format!(
                "{}… ({rest} more characters not shown)",
                text.get(..cut).unwrap_or_default()
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_cut_and_says_so() {
        assert_eq!(excerpt("abc", 3), "abc");
        assert_eq!(excerpt("abcdé", 3), "abc… (2 more characters not shown)");
    }

    #[test]
    fn control_characters_are_replaced() {
        assert_eq!(printable("a\u{1b}[1m\tb", &['\t']), "a\u{fffd}[1m\tb");
    }
}
