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
use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use crate::formats::json::comments;
use crate::formats::{Location, http, lines};

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
///
/// What one walk learns is kept for the next: where each document of a stream starts, the
/// members of each object and the elements of each array walked through, and the text of
/// each string read as JSON. `explain` asks for hundreds of pointers into one file, most
/// into the same list, and each is then found in time proportional to its own value, not
/// to the text before it.
#[derive(Debug)]
pub struct Source<'a> {
    text: Cow<'a, str>,
    lines: Vec<lines::Line<'a>>,
    original: &'a str,
    cache: RefCell<Cache>,
    /// (byte offset, characters before it) every [`CHECKPOINT_BYTES`] or so.
    checkpoints: OnceCell<Vec<(usize, usize)>>,
}

/// How far apart the character-count checkpoints are, in bytes.
const CHECKPOINT_BYTES: usize = 1 << 16;

/// A text walked: the file's (`FILE`) or one held in a string of another.
type TextId = usize;

/// The file's own text.
const FILE: TextId = 0;

/// What walks have learned, by text and offset.
#[derive(Debug, Default)]
struct Cache {
    /// JSON held in strings: (text, string's offset) -> its text's id.
    strings: HashMap<(TextId, usize), TextId>,
    /// The texts read from strings (id `i + 1`), and for each byte its offset in the file.
    texts: Vec<Rc<Inner>>,
    /// Where the documents of a text start, from an offset.
    documents: HashMap<(TextId, usize), Rc<[usize]>>,
    /// The children of a container: (key, start) for object members, start for elements.
    children: HashMap<(TextId, usize), Rc<Children>>,
}

/// The contents of a JSON string, and each of their bytes' offset in the file.
#[derive(Debug)]
struct Inner {
    text: String,
    map: Vec<usize>,
}

#[derive(Debug)]
enum Children {
    Members(Vec<(String, usize)>),
    Elements(Vec<usize>),
}

impl<'a> Source<'a> {
    /// The decoded text of a file. Comments of JSON with comments are blanked (offsets
    /// stay), so that such a file is walked as the parser read it.
    #[must_use]
    pub fn new(text: &'a str) -> Self {
        Self {
            text: comments::strip(text).map_or(Cow::Borrowed(text), Cow::Owned),
            lines: lines::numbered(text),
            original: text,
            cache: RefCell::new(Cache::default()),
            checkpoints: OnceCell::new(),
        }
    }

    /// The value at `location` (as `Location::Pointer` displays it), if it can be found.
    #[must_use]
    pub fn find(&self, location: &str) -> Option<Found> {
        let mut steps = location.split('#');
        let first = steps.next()?;
        let mut base = 0;
        let mut pointer = Some(first);
        if first == "body" {
            let body = http::final_body(&self.text);
            base = self.text.len().checked_sub(body.len())?;
            pointer = steps.next();
        } else if let Some(number) = first.strip_prefix("line ") {
            let number: usize = number.parse().ok()?;
            base = self.line(number)?.start;
            pointer = steps.next();
        }
        let mut pointer = pointer?;
        let mut id = FILE;
        loop {
            let inner = self.inner(id);
            let text = inner.as_deref().map_or(&*self.text, |i| i.text.as_str());
            let to_file = |offset: usize| match &inner {
                Some(inner) => inner.map.get(offset).copied(),
                None => Some(offset),
            };
            let start = self.find_in_documents(id, text, base, pointer)?;
            let Some(next) = steps.next() else {
                let end = skip_value(text, start)?;
                return Some(Found {
                    position: self.position(to_file(start)?),
                    raw: compact(text.get(start..end)?),
                });
            };
            // The value is a string holding JSON: walk its contents.
            let known = self.cache.borrow().strings.get(&(id, start)).copied();
            id = if let Some(known) = known {
                known
            } else {
                let end = skip_value(text, start)?;
                let (contents, map) = unescape(text.get(start..end)?, start)?;
                let map = map.into_iter().map(to_file).collect::<Option<Vec<_>>>()?;
                let mut cache = self.cache.borrow_mut();
                cache.texts.push(Rc::new(Inner {
                    text: contents,
                    map,
                }));
                let new = cache.texts.len();
                cache.strings.insert((id, start), new);
                new
            };
            base = 0;
            pointer = next;
        }
    }

    /// A text read from a string; `None` for the file's own.
    fn inner(&self, id: TextId) -> Option<Rc<Inner>> {
        let index = id.checked_sub(1)?;
        self.cache.borrow().texts.get(index).cloned()
    }

    /// Line `number` (1-based).
    fn line(&self, number: usize) -> Option<&lines::Line<'a>> {
        self.lines.get(number.checked_sub(1)?)
    }

    /// Where the value at `pointer` starts, in text holding one JSON document from `base`,
    /// or several one after another (then the pointer's first step is the document's index).
    fn find_in_documents(
        &self,
        id: TextId,
        text: &str,
        base: usize,
        pointer: &str,
    ) -> Option<usize> {
        let steps = steps(pointer)?;
        let known = self.cache.borrow().documents.get(&(id, base)).cloned();
        let documents = if let Some(known) = known {
            known
        } else {
            let found: Rc<[usize]> = documents(text, base).into();
            self.cache
                .borrow_mut()
                .documents
                .insert((id, base), Rc::clone(&found));
            found
        };
        let (start, steps) = match *documents {
            [] => return None,
            [one] => (one, steps.as_slice()),
            _ => {
                let (index, rest) = steps.split_first()?;
                let index: usize = index.parse().ok()?;
                (*documents.get(index)?, rest)
            }
        };
        self.find_in_value(id, text, start, steps)
    }

    /// Follows `steps` from the value starting at `start`: where the found value starts.
    fn find_in_value(
        &self,
        id: TextId,
        text: &str,
        mut start: usize,
        steps: &[String],
    ) -> Option<usize> {
        for step in steps {
            let known = self.cache.borrow().children.get(&(id, start)).cloned();
            let children = if let Some(known) = known {
                known
            } else {
                let found = Rc::new(children(text, start)?);
                self.cache
                    .borrow_mut()
                    .children
                    .insert((id, start), Rc::clone(&found));
                found
            };
            start = match &*children {
                Children::Members(members) => {
                    members.iter().find(|(key, _)| key == step).map(|m| m.1)?
                }
                Children::Elements(elements) => *elements.get(step.parse::<usize>().ok()?)?,
            };
        }
        Some(start)
    }

    /// The text of the value at a location: at a JSON pointer, the value as written; on a
    /// line of CLIXML, the text of its `Enabled` property (`<I32 N="Enabled">1</I32>`).
    #[must_use]
    pub fn raw(&self, location: &Location) -> Option<String> {
        match location {
            Location::Pointer(pointer) => self.find(pointer).map(|found| found.raw),
            Location::Line(number) => {
                let line = self.line(*number)?.text;
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
        let start = self.line(number).map_or(0, |l| l.start);
        let mut column = self
            .chars_before(offset)
            .saturating_sub(self.chars_before(start));
        // A byte order mark is not a character a reader sees.
        if start == 0 && offset > 0 && self.original.starts_with('\u{feff}') {
            column = column.saturating_sub(1);
        }
        Position {
            line: number,
            column: column + 1,
        }
    }

    /// How many characters come before byte `offset`, counted from the nearest checkpoint
    /// (a minified file is one long line: counting from its start every time would take
    /// time in the square of its length).
    fn chars_before(&self, offset: usize) -> usize {
        let checkpoints = self.checkpoints.get_or_init(|| {
            let mut checkpoints = vec![(0, 0)];
            let mut chars = 0;
            for (i, (byte, _)) in self.original.char_indices().enumerate() {
                if byte >= checkpoints.len() * CHECKPOINT_BYTES {
                    checkpoints.push((byte, i));
                }
                chars = i + 1;
            }
            checkpoints.push((self.original.len(), chars));
            checkpoints
        });
        let index = checkpoints
            .partition_point(|(byte, _)| *byte <= offset)
            .saturating_sub(1);
        let (byte, chars) = checkpoints.get(index).copied().unwrap_or((0, 0));
        chars
            + self
                .original
                .get(byte..offset)
                .map_or(0, |text| text.chars().count())
    }
}

/// Where each JSON document of the text starts, from `base`: one, or several one after
/// another (error text written after them ends the list).
fn documents(text: &str, base: usize) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut at = skip_blank(text, base);
    while is_value_start(text, at) {
        starts.push(at);
        let Some(end) = skip_value(text, at) else {
            break;
        };
        at = skip_blank(text, end);
    }
    starts
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

/// The members (key, where the value starts) or elements (where each starts) of the
/// object or array starting at `start`; `None` for a scalar or broken text.
fn children(text: &str, start: usize) -> Option<Children> {
    let bytes = text.as_bytes();
    match bytes.get(start)? {
        b'{' => {
            let mut members = Vec::new();
            let mut at = skip_blank(text, start + 1);
            if bytes.get(at) == Some(&b'}') {
                return Some(Children::Members(members));
            }
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
                members.push((key, at));
                match after_separator(text, skip_value(text, at)?, b'}') {
                    Some(next) => at = next,
                    None => return Some(Children::Members(members)),
                }
            }
        }
        b'[' => {
            let mut elements = Vec::new();
            let mut at = skip_blank(text, start + 1);
            if bytes.get(at) == Some(&b']') {
                return Some(Children::Elements(elements));
            }
            loop {
                elements.push(at);
                match after_separator(text, skip_value(text, at)?, b']') {
                    Some(next) => at = next,
                    None => return Some(Children::Elements(elements)),
                }
            }
        }
        _ => None,
    }
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
        // Past the checkpoints of a long line of two-byte characters.
        let long = format!(
            "{{\"a\": \"{}\", \"b\": 1}}\n{{\"c\": 2}}",
            "é".repeat(100_000)
        );
        assert_eq!(at(&long, "/0/b"), Some((1, 100_016, "1".to_owned())));
        assert_eq!(at(&long, "/1/c"), Some((2, 7, "2".to_owned())));
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
