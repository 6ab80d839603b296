//! Where a JSON pointer location sits in a file's decoded text (`line N, column M`), and
//! the value there exactly as the file wrote it (`1`, `"True"`, `{"a": [1]}`).
//!
//! Only `explain` uses this, on the one file it shows: a scan never pays for it. The
//! parsers keep pointers, not offsets, so the text is walked again along the pointer, with
//! the same reading of compound locations the parsers write: `body#<pointer>` (an HTTP
//! capture's body), `line N#<pointer>` (JSON after error text), `<pointer>#<pointer>` (JSON
//! held in a string: `Invoke-AzRestMethod`'s `Content`, a HAR entry's `content/text`), and a
//! first step that is the document's index when the text holds several JSON documents.
//! The walk never recurses on the text's nesting, and gives up (`None`) on anything it does
//! not understand: a position is a help, never a claim.

use std::borrow::Cow;

use crate::formats::{Location, http, jsonc, lines};

/// A place in the decoded text: 1-based line, and 1-based column counted in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// The 1-based line number (`\n`, `\r\n` and a lone `\r` end a line, as everywhere).
    pub line: usize,
    /// The 1-based column, in characters.
    pub column: usize,
}

/// A value found at a location: where it starts, and its text as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Where the value starts.
    pub position: Position,
    /// The value's text in the JSON it was read from, as written there.
    pub raw: String,
}

/// A file's decoded text, ready to locate pointers in.
#[derive(Debug)]
pub struct Source<'a> {
    text: Cow<'a, str>,
    lines: Vec<lines::Line<'a>>,
    original: &'a str,
}

impl<'a> Source<'a> {
    /// The decoded text of a file. Comments of JSON with comments are blanked (offsets
    /// stay), so that such a file is walked as the parser read it.
    #[must_use]
    pub fn new(text: &'a str) -> Self {
        Self {
            text: jsonc::strip(text).map_or(Cow::Borrowed(text), Cow::Owned),
            lines: lines::numbered(text),
            original: text,
        }
    }

    /// The value at `location` (as `Location::Pointer` displays it), if it can be found.
    #[must_use]
    pub fn find(&self, location: &str) -> Option<Found> {
        let mut steps = location.split('#');
        let first = steps.next()?;
        // The text being walked, and for each of its bytes the offset in the file (`None`:
        // the file's own text).
        let mut text: Cow<'_, str> = Cow::Borrowed(&self.text);
        let mut map: Option<Vec<usize>> = None;
        let mut base = 0;
        let mut pointer = Some(first);
        if first == "body" {
            let body = http::final_body(&self.text);
            base = self.text.len().checked_sub(body.len())?;
            pointer = steps.next();
        } else if let Some(number) = first.strip_prefix("line ") {
            let number: usize = number.parse().ok()?;
            base = self.lines.iter().find(|l| l.number == number)?.start;
            pointer = steps.next();
        }
        let mut pointer = pointer?;
        loop {
            let (start, end) = find_in_documents(text.get(base..)?, pointer)?;
            let (start, end) = (base + start, base + end);
            let to_file = |offset: usize| match &map {
                Some(map) => map.get(offset).copied(),
                None => Some(offset),
            };
            let Some(next) = steps.next() else {
                let raw = text.get(start..end)?;
                return Some(Found {
                    position: self.position(to_file(start)?),
                    raw: compact(raw),
                });
            };
            // The value is a string holding JSON: walk its contents.
            let (inner, inner_map) = unescape(text.get(start..end)?, start)?;
            let inner_map = inner_map
                .into_iter()
                .map(to_file)
                .collect::<Option<Vec<_>>>()?;
            text = Cow::Owned(inner);
            map = Some(inner_map);
            base = 0;
            pointer = next;
        }
    }

    /// The text of the value at a location: at a JSON pointer, the value as written; on a
    /// line of CLIXML, the text of its `Enabled` property (`<I32 N="Enabled">1</I32>`).
    #[must_use]
    pub fn raw(&self, location: &Location) -> Option<String> {
        match location {
            Location::Pointer(pointer) => self.find(pointer).map(|found| found.raw),
            Location::Line(number) => {
                let line = self.lines.iter().find(|l| l.number == *number)?.text;
                let lower = line.to_ascii_lowercase();
                let start = lower.find("n=\"enabled\">")? + "n=\"enabled\">".len();
                let rest = line.get(start..)?;
                let value = rest.get(..rest.find('<')?)?.trim();
                (!value.is_empty()).then(|| value.to_owned())
            }
        }
    }

    /// The line and column of a byte offset of the decoded text.
    fn position(&self, offset: usize) -> Position {
        let number = lines::line_at(&self.lines, offset);
        let line = self.lines.iter().find(|l| l.number == number);
        let start = line.map_or(0, |l| l.start);
        let before = self.original.get(start..offset).unwrap_or_default();
        // A byte order mark is not a character a reader sees.
        let before = before.strip_prefix('\u{feff}').unwrap_or(before);
        Position {
            line: number,
            column: before.chars().count() + 1,
        }
    }
}

/// The value at `pointer` in text holding one JSON document or several one after another
/// (then the pointer's first step is the document's index): its start and end offsets.
fn find_in_documents(text: &str, pointer: &str) -> Option<(usize, usize)> {
    let steps = steps(pointer)?;
    let mut documents = Vec::new();
    let mut at = skip_blank(text, 0);
    while documents.len() < 2 && is_value_start(text, at) {
        documents.push(at);
        let Some(end) = skip_value(text, at) else {
            break;
        };
        at = skip_blank(text, end);
    }
    let (start, steps) = match documents.as_slice() {
        [] => return None,
        [one] => (*one, steps.as_slice()),
        _ => {
            let (index, rest) = steps.split_first()?;
            let index: usize = index.parse().ok()?;
            (nth_document(text, index)?, rest)
        }
    };
    find_in_value(text, start, steps)
}

/// Whether a JSON value starts at `at` (error text written after a document does not).
fn is_value_start(text: &str, at: usize) -> bool {
    let rest = text.get(at..).unwrap_or_default();
    rest.starts_with(['{', '[', '"', '-'])
        || rest.starts_with(|c: char| c.is_ascii_digit())
        || ["true", "false", "null"]
            .iter()
            .any(|w| rest.starts_with(w))
}

/// Where the `index`th JSON document of the text starts.
fn nth_document(text: &str, index: usize) -> Option<usize> {
    let mut at = skip_blank(text, 0);
    for _ in 0..index {
        at = skip_blank(text, skip_value(text, at)?);
    }
    (at < text.len()).then_some(at)
}

/// The unescaped steps of a JSON pointer (RFC 6901); `""` is the whole document.
fn steps(pointer: &str) -> Option<Vec<String>> {
    if pointer.is_empty() {
        return Some(Vec::new());
    }
    let rest = pointer.strip_prefix('/')?;
    Some(
        rest.split('/')
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect(),
    )
}

/// Follows `steps` from the value starting at `start`: the found value's start and end.
fn find_in_value(text: &str, mut start: usize, steps: &[String]) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    for step in steps {
        match bytes.get(start)? {
            b'{' => {
                let mut at = skip_blank(text, start + 1);
                loop {
                    if bytes.get(at)? != &b'"' {
                        return None;
                    }
                    let key_end = skip_string(bytes, at)?;
                    let (key, _) = unescape(text.get(at..key_end)?, at)?;
                    at = skip_blank(text, key_end);
                    if bytes.get(at)? != &b':' {
                        return None;
                    }
                    at = skip_blank(text, at + 1);
                    if key == *step {
                        break;
                    }
                    at = after_separator(text, skip_value(text, at)?, b'}')?;
                }
                start = at;
            }
            b'[' => {
                let index: usize = step.parse().ok()?;
                let mut at = skip_blank(text, start + 1);
                for _ in 0..index {
                    at = after_separator(text, skip_value(text, at)?, b']')?;
                }
                start = at;
            }
            _ => return None,
        }
    }
    Some((start, skip_value(text, start)?))
}

/// After a member or element ending at `end`: the start of the next one, past the comma;
/// `None` at the closing bracket (the step is not there).
fn after_separator(text: &str, end: usize, close: u8) -> Option<usize> {
    let at = skip_blank(text, end);
    match text.as_bytes().get(at)? {
        b',' => {
            let next = skip_blank(text, at + 1);
            (text.as_bytes().get(next)? != &close).then_some(next)
        }
        _ => None,
    }
}

/// The offset of the first character at or after `at` that is not blank.
fn skip_blank(text: &str, at: usize) -> usize {
    let rest = text.get(at..).unwrap_or_default();
    let blank = rest.len()
        - rest
            .trim_start_matches([' ', '\t', '\r', '\n', '\u{feff}'])
            .len();
    at + blank
}

/// The end of the JSON value starting at `at`, without recursion: brackets are counted,
/// strings skipped whole.
fn skip_value(text: &str, at: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    match bytes.get(at)? {
        b'"' => skip_string(bytes, at),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = at;
            while let Some(&b) = bytes.get(i) {
                match b {
                    b'"' => {
                        i = skip_string(bytes, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth = depth.checked_sub(1)?;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            None
        }
        b'}' | b']' | b',' | b':' => None,
        _ => {
            let len = bytes
                .get(at..)?
                .iter()
                .position(|b| matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n'))
                .unwrap_or(bytes.len() - at);
            Some(at + len)
        }
    }
}

/// The end of the string starting with the quote at `at` (past its closing quote).
fn skip_string(bytes: &[u8], at: usize) -> Option<usize> {
    let mut i = at + 1;
    loop {
        match bytes.get(i)? {
            b'"' => return Some(i + 1),
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
}

/// A JSON string literal's contents, and for each of their bytes (and one past the end)
/// the offset in the text of what wrote it, `literal` starting at `offset`.
fn unescape(literal: &str, offset: usize) -> Option<(String, Vec<usize>)> {
    let inner = literal.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::with_capacity(inner.len());
    let mut map = Vec::with_capacity(inner.len() + 1);
    let mut chars = inner.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let c = if c == '\\' {
            match chars.next()?.1 {
                'n' => '\n',
                'r' => '\r',
                't' => '\t',
                'b' => '\u{8}',
                'f' => '\u{c}',
                'u' => {
                    let high = hex4(&mut chars)?;
                    if (0xD800..0xDC00).contains(&high) && chars.peek().map(|p| p.1) == Some('\\') {
                        let mut ahead = chars.clone();
                        ahead.next();
                        if ahead.next().map(|p| p.1) == Some('u')
                            && let Some(low) = hex4(&mut ahead)
                            && (0xDC00..0xE000).contains(&low)
                        {
                            chars = ahead;
                            char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
                                .unwrap_or('\u{fffd}')
                        } else {
                            '\u{fffd}'
                        }
                    } else {
                        char::from_u32(high).unwrap_or('\u{fffd}')
                    }
                }
                other => other,
            }
        } else {
            c
        };
        out.push(c);
        map.extend(std::iter::repeat_n(offset + 1 + i, c.len_utf8()));
    }
    map.push(offset + literal.len().saturating_sub(1));
    Some((out, map))
}

/// Four hex digits of a `\u` escape.
fn hex4(chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>) -> Option<u32> {
    let mut value = 0;
    for _ in 0..4 {
        value = value * 16 + chars.next()?.1.to_digit(16)?;
    }
    Some(value)
}

/// A value's text on one line: runs of blanks (line breaks of a pretty-printed object)
/// become one space outside strings.
fn compact(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut blank = false;
    for c in raw.chars() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        if matches!(c, ' ' | '\t' | '\r' | '\n') {
            blank = true;
            continue;
        }
        if blank && !out.is_empty() {
            out.push(' ');
        }
        blank = false;
        if c == '"' {
            in_string = true;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, location: &str) -> Option<(usize, usize, String)> {
        Source::new(text)
            .find(location)
            .map(|f| (f.position.line, f.position.column, f.raw))
    }

    #[test]
    fn a_pointer_gives_the_line_column_and_raw_value() {
        let text = "{\n  \"value\": [\n    {\"name\": \"MCAS\", \"properties\": {\"enabled\": true}},\n    {\"name\": \"WDATP\", \"properties\": {\"enabled\": 1}}\n  ]\n}\n";
        assert_eq!(
            at(text, "/value/1/properties/enabled"),
            Some((4, 49, "1".to_owned()))
        );
        assert_eq!(
            at(text, "/value/0/properties"),
            Some((3, 36, "{\"enabled\": true}".to_owned()))
        );
        assert_eq!(at(text, "/value/2/properties/enabled"), None);
        assert_eq!(at(text, "/nothing"), None);
    }

    #[test]
    fn columns_count_characters_and_skip_a_byte_order_mark() {
        let text = "\u{feff}{\"nämé\": \"é\", \"enabled\": \"True\"}";
        assert_eq!(at(text, "/enabled"), Some((1, 26, "\"True\"".to_owned())));
    }

    #[test]
    fn several_documents_are_indexed_first() {
        let text = "{\"a\": 1}\r\n{\"a\": 2}\r\n{\"a\": [3, 4]}\r\n";
        assert_eq!(at(text, "/1/a"), Some((2, 7, "2".to_owned())));
        assert_eq!(at(text, "/2/a/1"), Some((3, 11, "4".to_owned())));
        // One document: the first step is a key or an index.
        assert_eq!(at("[true, false]", "/1"), Some((1, 8, "false".to_owned())));
    }

    #[test]
    fn compound_locations_reach_into_bodies_and_strings() {
        let capture = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"value\": [{\"properties\": {\"enabled\": false}}]}";
        assert_eq!(
            at(capture, "body#/value/0/properties/enabled"),
            Some((4, 39, "false".to_owned()))
        );
        let invoke = "{\n \"StatusCode\": 200,\n \"Content\": \"{\\\"value\\\":[{\\\"enabled\\\":\\u0031}]}\"\n}";
        assert_eq!(
            at(invoke, "/Content#/value/0/enabled"),
            Some((3, 39, "1".to_owned()))
        );
        let after_error = "ERROR: denied\n{\"enabled\": true}";
        assert_eq!(
            at(after_error, "line 2#/enabled"),
            Some((2, 13, "true".to_owned()))
        );
    }

    #[test]
    fn json_with_comments_is_walked_as_read() {
        let text = "// saved by hand\n{\"a\": /* on */ true}";
        assert_eq!(at(text, "/a"), Some((2, 16, "true".to_owned())));
    }

    #[test]
    fn broken_or_deep_text_gives_no_position_and_no_panic() {
        assert_eq!(at("{\"a\": [1, 2", "/a/5"), None);
        assert_eq!(at("\"abc", "/a"), None);
        assert_eq!(at("", ""), None);
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(at(&deep, "/0/0/0").is_some());
        assert_eq!(at("{\"a\":\"\\ud800\"}", "/a#/x"), None);
    }

    #[test]
    fn a_clixml_line_gives_its_enabled_text() {
        let source = Source::new("<Props>\n  <I32 N=\"Enabled\">1</I32>\n</Props>");
        assert_eq!(source.raw(&Location::Line(2)), Some("1".to_owned()));
        assert_eq!(source.raw(&Location::Line(1)), None);
        assert_eq!(source.raw(&Location::Line(9)), None);
    }

    proptest::proptest! {
        #[test]
        fn any_text_and_location_never_panic(
            text in "[{}\\[\\]\":,0-9a-z \\\\\n#/]{0,64}",
            location in "(body#|line [0-9]#)?(/[a-z0-9]{0,3}){0,4}(#(/[a-z0-9]{0,3}){0,3})?",
        ) {
            let _ = Source::new(&text).find(&location);
        }
    }
}
