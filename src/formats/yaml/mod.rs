//! az CLI `security setting list/show -o yaml` and `-o yamlc` (the same with colours, which
//! the decoder removes): a YAML sequence of mappings with az's sorted keys `enabled`, `id`,
//! `kind`, `name`, `type`, or one mapping for `show`.
//!
//! The YAML deserializer drives the JSON family's typed pass ([`json::classify_each`]), so
//! a YAML export is read exactly like its JSON equivalent: the same settings, the same
//! extents, JSON pointers into the YAML document (`/1/enabled`) as locations.
//!
//! Several documents in one file (`---` between them: an az loop appending `-o yaml` outputs
//! with `>>`) are read like a JSON stream: each document on its own, attributed on its own,
//! its pointers prefixed with its index among the documents (`/1/0/enabled`).
//!
//! Bounds: before the YAML parser sees the text, one linear pass ([`bounds`]) refuses flow
//! collections (`[`, `{`) nested deeper than [`MAX_DEPTH`] levels (the parser's own work
//! grows with the square of that depth) and notes whether the text uses aliases. A file with
//! aliases is read into a tree whose nodes, aliases expanded, are counted against
//! [`node_budget`]: a flat `&a [x, x, ...]` and thousands of `*a` is `malformed` after that
//! many nodes, never a tree the size of the square of the file.

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::lines::Line;
use super::{Body, Format, Parsed, Parser, Reason, Text, is_settings_id, json};
use crate::escape::{EXCERPT_CHARS, excerpt};

/// az CLI `-o yaml` / `-o yamlc`.
pub const AZCLI_YAML: Format = Format::new("azcli-yaml");

/// YAML settings exports.
pub const PARSER: Parser = Parser {
    family: "azcli-yaml",
    formats: &[AZCLI_YAML],
    parse,
};

fn parse(input: &Text<'_>) -> Option<Parsed> {
    if !looks_like_settings_yaml(input.lines()) {
        return None;
    }
    let text = input.text().trim_start_matches('\u{feff}');
    let malformed = |e: &dyn fmt::Display| {
        Body::Malformed(Reason::InvalidYaml(
            excerpt(&e.to_string(), EXCERPT_CHARS).into_owned(),
        ))
    };
    let body = match bounds(text) {
        Err(e) => malformed(&e),
        // Without aliases the events are read as they are parsed, never held (serde_yaml_ng
        // loads every event of a document first, several times the file). Anything the
        // streaming reader leaves (a parse error, a tag, an anchor, a shape the typed pass
        // refuses), and any text with a tab (libyaml refuses tabs where YAML 1.2 allows
        // some), is read by serde_yaml_ng, whose reading and messages stay the reference.
        Ok(Bounds { aliases: false }) => {
            let streamed = (!text.contains('\t'))
                .then(|| json::classify_each(stream::documents(text)).ok())
                .flatten();
            match streamed {
                Some((_, body)) => body,
                None => match json::classify_each(serde_yaml_ng::Deserializer::from_str(text)) {
                    Ok((_, body)) => body,
                    Err(e) => malformed(&e),
                },
            }
        }
        // Aliases: the documents are expanded once, within the node budget, and read from
        // that tree.
        Ok(Bounds { aliases: true }) => match values(text) {
            Ok(values) => match json::classify_each(values.iter()) {
                Ok((_, body)) => body,
                Err(e) => malformed(&e),
            },
            Err(e) => malformed(&e),
        },
    };
    Some(Parsed::new(AZCLI_YAML, body))
}

/// Deepest nesting of flow collections (`[`, `{`) a YAML file may have; the YAML parser
/// refuses any nesting deeper than this too.
pub const MAX_DEPTH: usize = 128;

/// Nodes (scalars, sequences, mappings, mapping keys) a YAML file of `len` bytes may
/// produce with its aliases expanded: twice its size plus 100,000. Without aliases a file
/// produces at most about one node per byte, so only alias expansion can exceed it.
#[must_use]
pub const fn node_budget(len: usize) -> usize {
    len.saturating_mul(2).saturating_add(100_000)
}

/// What the linear pass over a YAML text found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// Whether an alias (`*name`) appears.
    pub aliases: bool,
}

/// One linear pass over YAML text, before it is parsed: flow collections nested deeper than
/// [`MAX_DEPTH`] are refused, and aliases noted. Quoted scalars and comments are skipped;
/// `[`, `{`, `*`, quotes and `#` count where a token can start (after a space, a line
/// break, `[`, `{` or `,`).
///
/// # Errors
///
/// The reason, with the line, when flow collections nest deeper than [`MAX_DEPTH`].
pub fn bounds(text: &str) -> Result<Bounds, String> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Plain,
        Single,
        Double,
        Comment,
    }
    let mut state = State::Plain;
    let (mut depth, mut line, mut aliases) = (0usize, 1usize, false);
    let mut previous = b'\n';
    let mut bytes = text.bytes().peekable();
    while let Some(b) = bytes.next() {
        if b == b'\n' {
            line += 1;
        }
        let token_start = matches!(previous, b' ' | b'\t' | b'\n' | b'\r' | b'[' | b'{' | b',');
        match state {
            State::Plain => match b {
                b'[' | b'{' if token_start => {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Err(format!(
                            "flow collections nested deeper than {MAX_DEPTH} levels (line {line})"
                        ));
                    }
                }
                b']' | b'}' => depth = depth.saturating_sub(1),
                b'\'' if token_start => state = State::Single,
                b'"' if token_start => state = State::Double,
                b'#' if token_start => state = State::Comment,
                b'*' if token_start => {
                    aliases |= bytes.peek().is_some_and(|next| !next.is_ascii_whitespace());
                }
                _ => {}
            },
            State::Single if b == b'\'' => {
                // `''` inside a single-quoted scalar is an escaped quote.
                if bytes.peek() == Some(&b'\'') {
                    bytes.next();
                } else {
                    state = State::Plain;
                }
            }
            // An escaped character, which may be a line break.
            State::Double if b == b'\\' => line += usize::from(bytes.next() == Some(b'\n')),
            State::Double if b == b'"' => state = State::Plain,
            State::Comment if b == b'\n' => state = State::Plain,
            _ => {}
        }
        previous = b;
    }
    Ok(Bounds { aliases })
}

/// Reads YAML `text`, one document or several, into JSON values, its aliases expanded,
/// counting every node produced against [`node_budget`] across the documents.
///
/// # Errors
///
/// The parser's message, or a reason naming the budget when the nodes exceed it.
pub fn values(text: &str) -> Result<Vec<Value>, String> {
    let budget = Cell::new(node_budget(text.len()));
    let mut values = Vec::new();
    for document in serde_yaml_ng::Deserializer::from_str(text) {
        let value = Node(&budget)
            .deserialize(document)
            .map_err(|e| e.to_string())?;
        values.push(value);
    }
    Ok(values)
}

/// Reads one YAML document into a JSON value within the same bounds as [`values`] (the
/// query path: one tree for the queries of a YAML file).
///
/// # Errors
///
/// As [`values`], and the parser's message when the text holds several documents.
pub fn value(text: &str) -> Result<Value, String> {
    bounds(text)?;
    let budget = Cell::new(node_budget(text.len()));
    Node(&budget)
        .deserialize(serde_yaml_ng::Deserializer::from_str(text))
        .map_err(|e| e.to_string())
}

/// Builds a JSON value from a YAML document, one unit of the budget per node produced.
struct Node<'b>(&'b Cell<usize>);

impl Node<'_> {
    fn spend<E: de::Error>(&self) -> Result<(), E> {
        match self.0.get().checked_sub(1) {
            Some(left) => {
                self.0.set(left);
                Ok(())
            }
            None => Err(E::custom(format_args!(
                "aliases expand past the node budget (twice the file's size plus 100,000 \
                 nodes)"
            ))),
        }
    }
}

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        self.spend()?;
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        self.spend()?;
        Ok(Value::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        self.spend()?;
        Ok(Value::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        self.spend()?;
        // As serde_json's own tree: a number JSON cannot hold is null.
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        self.spend()?;
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        self.spend()?;
        Ok(Value::String(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        self.spend()?;
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        self.visit_unit()
    }

    fn visit_some<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.spend()?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(Node(self.0))? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        self.spend()?;
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            self.spend()?;
            let value = map.next_value_seed(Node(self.0))?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

mod stream;

/// A YAML key line: `key: value` or `key:` (a letter first, no space before the colon: a
/// `Format-List` line `Name    : WDATP` is not one), after an optional sequence dash.
fn key_value(line: &str) -> Option<(&str, &str)> {
    let line = line.trim_start();
    let line = line.strip_prefix("- ").unwrap_or(line).trim_start();
    let (key, value) = line.split_once(':')?;
    let well_formed = key.starts_with(|c: char| c.is_ascii_alphabetic())
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    (well_formed && (value.is_empty() || value.starts_with(' '))).then(|| (key, value.trim()))
}

/// Whether the text opens as YAML (a document marker, a sequence item or a key) and names
/// a setting: a `name:` and an `enabled:` key, or an `id:` of a Defender for Cloud setting.
fn looks_like_settings_yaml(lines: &[Line<'_>]) -> bool {
    let Some(first) = lines.iter().find(|l| !l.is_blank()) else {
        return false;
    };
    let first = first.text.trim_start_matches('\u{feff}').trim_end();
    let opens =
        first == "---" || first == "-" || first.starts_with("- ") || key_value(first).is_some();
    if !opens || first.starts_with(['{', '[']) {
        return false;
    }
    let (mut name, mut enabled) = (false, false);
    for (key, value) in lines.iter().filter_map(|l| key_value(l.text)) {
        if key.eq_ignore_ascii_case("id") && is_settings_id(value) {
            return true;
        }
        name |= key.eq_ignore_ascii_case("name");
        enabled |= key.eq_ignore_ascii_case("enabled");
        if name && enabled {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests;
