//! JSON with comments (`jsonc`): a settings export annotated by hand, or kept in a VS Code
//! workspace, with `//` line comments and `/* */` block comments. The comments are blanked
//! out (outside strings only: `"https://..."` stays), byte for byte, so that every offset,
//! line and column the JSON reader reports is the one of the file; the text is then read
//! as JSON, with the same formats and pointers, and each setting's `detail` says comments
//! were ignored. A part of the JSON family: its parser calls this when JSON does not read without it.

use super::{is_json_start, parse_document};
use crate::formats::{Body, Item, Parsed};

/// What the `detail` of a setting read from JSON with comments says.
pub const NOTE: &str = "read from JSON with comments: the // and /* */ comments were ignored";

/// The text with its comments blanked out (each byte of a comment but its line ends made a
/// space, so offsets and line numbers stay); `None` when no comment stands outside strings.
#[must_use]
pub fn strip(text: &str) -> Option<String> {
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum State {
        Code,
        Str,
        Escape,
        Line,
        Block,
        BlockStar,
    }
    let mut out = Vec::with_capacity(text.len());
    let mut state = State::Code;
    let mut found = false;
    let mut bytes = text.bytes().peekable();
    while let Some(b) = bytes.next() {
        let blank = |b: u8| if matches!(b, b'\n' | b'\r') { b } else { b' ' };
        state = match (state, b) {
            (State::Code, b'"') => {
                out.push(b);
                State::Str
            }
            (State::Code, b'/') if matches!(bytes.peek(), Some(b'/' | b'*')) => {
                found = true;
                let next = bytes.next();
                out.extend_from_slice(b"  ");
                if next == Some(b'/') {
                    State::Line
                } else {
                    State::Block
                }
            }
            (State::Code, _) | (State::Line, b'\n' | b'\r') => {
                out.push(b);
                State::Code
            }
            (State::Str, b'\\') => {
                out.push(b);
                State::Escape
            }
            (State::Str, b'"') | (State::Escape, _) => {
                out.push(b);
                if state == State::Str {
                    State::Code
                } else {
                    State::Str
                }
            }
            (State::Str, _) => {
                out.push(b);
                State::Str
            }
            (State::Line, _) => {
                out.push(b' ');
                State::Line
            }
            (State::Block | State::BlockStar, b'*') => {
                out.push(b' ');
                State::BlockStar
            }
            (State::BlockStar, b'/') => {
                out.push(b' ');
                State::Code
            }
            (State::Block | State::BlockStar, _) => {
                out.push(blank(b));
                State::Block
            }
        };
    }
    if !found {
        return None;
    }
    // Only whole characters were blanked (comment delimiters are ASCII), so this holds.
    String::from_utf8(out).ok()
}

/// Reads JSON with comments; `None` when the text has no comment outside strings or is not
/// JSON once they are removed.
#[must_use]
pub fn parse(text: &str) -> Option<Parsed> {
    let stripped = strip(text)?;
    if !is_json_start(stripped.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n'])) {
        return None;
    }
    let parsed = parse_document(&stripped);
    let body = match parsed.body {
        Body::Items(items) => Body::Items(items.into_iter().map(annotate).collect()),
        other => other,
    };
    // Every observation of the file says so, whatever it decides (absent, unrecognized,
    // malformed); each setting also carries it, for `explain`.
    Some(Parsed {
        note: Some(NOTE),
        ..Parsed::new(parsed.format, body)
    })
}

fn annotate(item: Item) -> Item {
    match item {
        Item::Settings { extent, settings } => Item::Settings {
            extent,
            settings: settings
                .into_iter()
                .map(|mut s| {
                    s.recovered.get_or_insert(NOTE);
                    s
                })
                .collect(),
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::{Flag, Location};

    const SUB: &str = "5e8d1c2a-7b3f-4a6e-9d0c-1f2e3a4b5c6d";

    #[test]
    fn comments_are_blanked_outside_strings_only() {
        let text = "{\"a\": \"https://x/*y*/\", // note\n /* block\n */ \"b\": 1}";
        let stripped = strip(text).unwrap();
        assert_eq!(stripped.len(), text.len());
        assert!(stripped.contains("\"https://x/*y*/\""));
        assert!(!stripped.contains("note"));
        assert_eq!(stripped.lines().count(), text.lines().count());
        assert!(strip("{\"a\": \"// not a comment\", \"b\": \"\\\"//\"}").is_none());
    }

    #[test]
    fn commented_az_list_reads_like_json() {
        let text = format!(
            "// az security setting list -o json, 2024-03-01\n[\n  {{\n    \"enabled\": true, /* checked by hand */\n    \"id\": \"/subscriptions/{SUB}/providers/Microsoft.Security/settings/WDATP\",\n    \"name\": \"WDATP\"\n  }}\n]\n"
        );
        let parsed = parse(&text).unwrap();
        assert_eq!(parsed.format, super::super::AZCLI_JSON);
        let Body::Items(items) = parsed.body else {
            panic!("{parsed:?}")
        };
        let [Item::Settings { settings, .. }] = items.as_slice() else {
            panic!("{items:?}")
        };
        assert_eq!(settings[0].enabled, Flag::Bool(true));
        assert_eq!(settings[0].location, Location::Pointer("/0/enabled".into()));
        assert_eq!(settings[0].recovered, Some(NOTE));
    }

    #[test]
    fn unterminated_comments_and_odd_text_do_not_panic() {
        for text in ["/*", "//", "/* é", "\"", "\"\\", "{/", "/", "é//é\n"] {
            let _ = parse(text);
        }
        assert!(parse("// only a comment\nhello").is_none());
    }
}
