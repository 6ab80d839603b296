//! Making file-derived text safe to show: on a terminal (no control characters, nothing that
//! reorders what follows) and in a report cell or a reason (never unbounded: a crafted file
//! must not turn one reason into megabytes). The report writers apply their format's own
//! quoting on top.

use std::borrow::Cow;
use std::ffi::OsStr;
use std::fmt::Write as _;
use std::path::Path;

/// Whether `c` is a bidirectional formatting control (embeddings, overrides, isolates and
/// marks): invisible, yet it reorders the text around it, so that `good-\u{202e}nosj.dab`
/// shows as "good-bad.json".
#[must_use]
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// File-derived text made safe for a person to read: control characters other than those
/// in `keep` are replaced with U+FFFD, so nothing in a file name or value can drive a
/// console; bidirectional controls are shown as their escape (`\u{202e}`, as a non-UTF-8
/// byte of a path is shown `\xFF`), so what is shown is what is there, in its order.
#[must_use]
pub fn printable<'a>(text: &'a str, keep: &[char]) -> Cow<'a, str> {
    // Printable ASCII, nearly every cell of a report: nothing to look up per character.
    if text.bytes().all(|b| matches!(b, b' '..=b'~')) {
        return Cow::Borrowed(text);
    }
    let replaced = |c: char| (c.is_control() && !keep.contains(&c)) || is_bidi_control(c);
    if !text.chars().any(replaced) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_bidi_control(c) {
            let _ = write!(out, "{}", c.escape_unicode());
        } else if replaced(c) {
            out.push('\u{fffd}');
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `text` with its bidirectional controls shown as their escape, as [`printable`] shows them,
/// and nothing else changed: for a report for people that keeps every other character as
/// the file has it (the workbook).
#[must_use]
pub fn bidi_shown(text: &str) -> Cow<'_, str> {
    if text.is_ascii() || !text.chars().any(is_bidi_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_bidi_control(c) {
            let _ = write!(out, "{}", c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A message for standard error, made [`printable`]: line breaks are kept (a TOML error
/// shows its line and a caret under it), but every line after the first is indented, so
/// that text from a file can never start a line of its own (`mdc-evidence: ...`), nor go
/// back over one (a carriage return, an escape sequence).
#[must_use]
pub fn message(text: &str) -> Cow<'_, str> {
    let text = printable(text, &['\t', '\n']);
    if !text.contains('\n') {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 16);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push_str("\n  ");
        }
        out.push_str(line);
    }
    Cow::Owned(out)
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

/// A path as reported: as reached from its root argument, with `/` separators. A backslash
/// is written `\\` and a byte that is not UTF-8 `\xNN`, so two names never show as one; on
/// Windows a backslash is a separator, written `/`, and an unpaired surrogate `\u{D800}`.
#[must_use]
pub fn display(path: &Path) -> String {
    display_os(path.as_os_str())
}

/// [`display`] for any OS string.
#[must_use]
pub fn display_os(text: &OsStr) -> String {
    #[cfg(unix)]
    {
        use std::fmt::Write as _;
        use std::os::unix::ffi::OsStrExt;
        let mut out = String::with_capacity(text.len());
        for chunk in text.as_bytes().utf8_chunks() {
            let valid = chunk.valid();
            if valid.contains('\\') {
                out.push_str(&valid.replace('\\', "\\\\"));
            } else {
                out.push_str(valid);
            }
            for byte in chunk.invalid() {
                let _ = write!(out, "\\x{byte:02X}");
            }
        }
        out
    }
    // On Windows a name is UTF-16 that need not be valid: an unpaired surrogate is written
    // `\u{D800}`. A backslash is a separator there, never part of a name, so it is written
    // `/` and a `\` in the result always starts an escape.
    #[cfg(windows)]
    {
        use std::fmt::Write as _;
        use std::os::windows::ffi::OsStrExt;
        let mut out = String::with_capacity(text.len());
        for unit in char::decode_utf16(text.encode_wide()) {
            match unit {
                Ok('\\') => out.push('/'),
                Ok(c) => out.push(c),
                Err(e) => {
                    let _ = write!(out, "\\u{{{:04X}}}", e.unpaired_surrogate());
                }
            }
        }
        out
    }
    #[cfg(not(any(unix, windows)))]
    {
        text.to_string_lossy().replace('\\', "/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backslashes_and_invalid_bytes_are_escaped_apart() {
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            let literal = display_os(OsStr::new("bad\\xFF.json"));
            let byte = display_os(OsStr::from_bytes(b"bad\xFF.json"));
            assert_eq!(literal, "bad\\\\xFF.json");
            assert_eq!(byte, "bad\\xFF.json");
            assert_ne!(literal, byte);
        }
        #[cfg(windows)]
        {
            use std::os::windows::ffi::OsStringExt;
            // "bad", a lone high surrogate, ".json"; and the same with U+FFFD, which a
            // lossy conversion would have made of it.
            let mut units: Vec<u16> = "bad".encode_utf16().collect();
            units.push(0xD800);
            units.extend(".json".encode_utf16());
            let lone = display_os(&std::ffi::OsString::from_wide(&units));
            let replaced = display_os(OsStr::new("bad\u{FFFD}.json"));
            assert_eq!(lone, "bad\\u{D800}.json");
            assert_ne!(lone, replaced);
            assert_eq!(
                display_os(OsStr::new("C:\\evidence\\a.json")),
                "C:/evidence/a.json"
            );
        }
    }

    #[test]
    fn long_text_is_cut_and_says_so() {
        assert_eq!(excerpt("abc", 3), "abc");
        assert_eq!(excerpt("abcdé", 3), "abc… (2 more characters not shown)");
    }

    #[test]
    fn control_characters_are_replaced() {
        assert_eq!(printable("a\u{1b}[1m\tb", &['\t']), "a\u{fffd}[1m\tb");
    }

    #[test]
    fn bidirectional_controls_are_shown_as_escapes() {
        assert_eq!(
            printable("good-\u{202e}nosj.dab", &[]),
            "good-\\u{202e}nosj.dab"
        );
        for c in [
            '\u{061C}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{2066}', '\u{2069}',
        ] {
            let text = format!("a{c}b");
            let shown = printable(&text, &[c]);
            assert!(!shown.contains(c) && shown.contains("\\u{"), "{shown:?}");
        }
        assert_eq!(printable("日本語 عربي", &[]), "日本語 عربي");
    }

    #[test]
    fn a_message_cannot_start_or_overwrite_a_line() {
        assert_eq!(
            message("bad\u{1b}[2K\r FAKE: all good"),
            "bad\u{fffd}[2K\u{fffd} FAKE: all good"
        );
        assert_eq!(
            message("x: error\n  |\n1 | a\nmdc-evidence: all good"),
            "x: error\n    |\n  1 | a\n  mdc-evidence: all good"
        );
        assert_eq!(message("plain"), "plain");
    }
}
