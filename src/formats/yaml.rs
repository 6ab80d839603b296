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

/// A streaming reader of YAML documents for the typed pass: each event goes from the parser
/// (saphyr-parser) to the visitor as it is parsed, so a file costs its typed structures, not
/// a list of its events. Plain scalars resolve as `serde_yaml_ng` resolves them (YAML 1.2's
/// core schema: `null`, `~` and empty are null, `true`/`True`/`TRUE` a boolean, decimal,
/// `0x`, `0o` and `0b` integers, floats, `.inf`, `.nan`); quoted and block scalars are
/// strings. Tags, anchors, aliases, empty keys, parse errors and nesting past [`MAX_DEPTH`]
/// are errors, which the caller answers by reading the text with `serde_yaml_ng`.
mod stream {
    use std::borrow::Cow;
    use std::cell::RefCell;
    use std::fmt;
    use std::rc::Rc;

    use saphyr_parser::{Event, Parser, ScalarStyle, StrInput};
    use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

    use super::MAX_DEPTH;

    /// Why the streaming reader stopped.
    #[derive(Debug)]
    pub struct Stop(String);

    impl fmt::Display for Stop {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(&self.0)
        }
    }

    impl std::error::Error for Stop {}

    impl de::Error for Stop {
        fn custom<T: fmt::Display>(message: T) -> Self {
            Self(message.to_string())
        }
    }

    fn left(what: &str) -> Stop {
        Stop(format!("{what}: left to serde_yaml_ng"))
    }

    type Events<'de> = Rc<RefCell<Parser<'de, StrInput<'de>>>>;

    fn next<'de>(events: &Events<'de>) -> Result<Event<'de>, Stop> {
        match events.borrow_mut().next_event() {
            Some(Ok((event, _))) => Ok(event),
            Some(Err(e)) => Err(Stop(e.to_string())),
            None => Err(left("the stream ended")),
        }
    }

    /// Whether the next event is the end of a collection (`SequenceEnd` or `MappingEnd`),
    /// which is then taken.
    fn ends(events: &Events<'_>) -> Result<bool, Stop> {
        let end = match events.borrow_mut().peek() {
            Some(Ok((event, _))) => matches!(event, Event::SequenceEnd | Event::MappingEnd),
            Some(Err(e)) => return Err(Stop(e.to_string())),
            None => return Err(left("the stream ended")),
        };
        if end {
            next(events)?;
        }
        Ok(end)
    }

    /// The documents of `text`, one deserializer each, read in turn from one parser.
    pub fn documents(text: &str) -> Documents<'_> {
        Documents {
            events: Rc::new(RefCell::new(Parser::new_from_str(text))),
            done: false,
        }
    }

    pub struct Documents<'de> {
        events: Events<'de>,
        done: bool,
    }

    impl<'de> Iterator for Documents<'de> {
        type Item = Document<'de>;

        fn next(&mut self) -> Option<Document<'de>> {
            while !self.done {
                let stop = match next(&self.events) {
                    Ok(Event::StreamStart | Event::DocumentEnd | Event::Nothing) => continue,
                    Ok(Event::DocumentStart(_)) => {
                        return Some(Document {
                            events: Rc::clone(&self.events),
                            stop: None,
                        });
                    }
                    Ok(Event::StreamEnd) => {
                        self.done = true;
                        continue;
                    }
                    Ok(_) => left("an event outside a document"),
                    Err(e) => e,
                };
                // The error is the next document's, so the typed pass stops on it.
                self.done = true;
                return Some(Document {
                    events: Rc::clone(&self.events),
                    stop: Some(stop),
                });
            }
            None
        }
    }

    /// One document of the stream.
    pub struct Document<'de> {
        events: Events<'de>,
        stop: Option<Stop>,
    }

    impl<'de> de::Deserializer<'de> for Document<'de> {
        type Error = Stop;

        fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
            if let Some(stop) = self.stop {
                return Err(stop);
            }
            Node {
                events: &self.events,
                depth: 0,
                key: false,
            }
            .deserialize_any(visitor)
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map struct
            enum identifier ignored_any
        }
    }

    /// The next node of the stream, inside `depth` collections; a mapping's key when `key`.
    struct Node<'a, 'de> {
        events: &'a Events<'de>,
        depth: usize,
        key: bool,
    }

    impl<'de> Node<'_, 'de> {
        /// The next event; an empty key (`: x`, which libyaml refuses) and an anchor are left.
        fn next(&self) -> Result<Event<'de>, Stop> {
            let event = next(self.events)?;
            if self.key
                && matches!(&event, Event::Scalar(v, ScalarStyle::Plain, _, _) if v.is_empty())
            {
                return Err(left("an empty key"));
            }
            // libyaml allows fewer characters in an anchor's name than YAML 1.2 does.
            if let Event::Scalar(_, _, anchor, _)
            | Event::SequenceStart(anchor, _)
            | Event::MappingStart(anchor, _) = &event
                && *anchor != 0
            {
                return Err(left("an anchor"));
            }
            Ok(event)
        }

        fn inner(&self) -> Result<usize, Stop> {
            if self.depth >= MAX_DEPTH {
                return Err(left("nesting past the limit"));
            }
            Ok(self.depth + 1)
        }
    }

    impl<'de> de::Deserializer<'de> for Node<'_, 'de> {
        type Error = Stop;

        fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
            match self.next()? {
                Event::Scalar(value, ScalarStyle::Plain, _, None) => plain(value, visitor),
                Event::Scalar(value, _, _, None) => string(value, visitor),
                Event::SequenceStart(_, None) => {
                    let mut items = Collection {
                        events: self.events,
                        depth: self.inner()?,
                        done: false,
                    };
                    let value = visitor.visit_seq(&mut items)?;
                    while items.next_element::<IgnoredAny>()?.is_some() {}
                    Ok(value)
                }
                Event::MappingStart(_, None) => {
                    let mut entries = Collection {
                        events: self.events,
                        depth: self.inner()?,
                        done: false,
                    };
                    let value = visitor.visit_map(&mut entries)?;
                    while entries.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                    Ok(value)
                }
                _ => Err(left("a tag, an alias or an unexpected event")),
            }
        }

        /// Keys: any scalar's text, as `serde_yaml_ng` gives it.
        fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
            match self.next()? {
                Event::Scalar(value, _, _, None) => string(value, visitor),
                _ => Err(left("a key that is not a scalar")),
            }
        }

        fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
            self.deserialize_str(visitor)
        }

        fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
            self.deserialize_str(visitor)
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char bytes byte_buf option
            unit unit_struct newtype_struct seq tuple tuple_struct map struct enum ignored_any
        }
    }

    /// The items of a sequence or the entries of a mapping.
    struct Collection<'a, 'de> {
        events: &'a Events<'de>,
        depth: usize,
        done: bool,
    }

    impl<'de> Collection<'_, 'de> {
        fn node(&self, key: bool) -> Node<'_, 'de> {
            Node {
                events: self.events,
                depth: self.depth,
                key,
            }
        }
    }

    impl<'de> SeqAccess<'de> for Collection<'_, 'de> {
        type Error = Stop;

        fn next_element_seed<T: DeserializeSeed<'de>>(
            &mut self,
            seed: T,
        ) -> Result<Option<T::Value>, Stop> {
            if self.done || ends(self.events)? {
                self.done = true;
                return Ok(None);
            }
            seed.deserialize(self.node(false)).map(Some)
        }
    }

    impl<'de> MapAccess<'de> for Collection<'_, 'de> {
        type Error = Stop;

        fn next_key_seed<K: DeserializeSeed<'de>>(
            &mut self,
            seed: K,
        ) -> Result<Option<K::Value>, Stop> {
            if self.done || ends(self.events)? {
                self.done = true;
                return Ok(None);
            }
            seed.deserialize(self.node(true)).map(Some)
        }

        fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Stop> {
            seed.deserialize(self.node(false))
        }
    }

    fn string<'de, V: Visitor<'de>>(value: Cow<'de, str>, visitor: V) -> Result<V::Value, Stop> {
        match value {
            Cow::Borrowed(text) => visitor.visit_borrowed_str(text),
            Cow::Owned(text) => visitor.visit_string(text),
        }
    }

    /// A plain scalar, resolved as `serde_yaml_ng` resolves an untagged one.
    fn plain<'de, V: Visitor<'de>>(value: Cow<'de, str>, visitor: V) -> Result<V::Value, Stop> {
        let v = value.as_ref();
        if matches!(v, "" | "null" | "Null" | "NULL" | "~") {
            return visitor.visit_unit();
        }
        match v {
            "true" | "True" | "TRUE" => return visitor.visit_bool(true),
            "false" | "False" | "FALSE" => return visitor.visit_bool(false),
            _ => {}
        }
        if let Some(int) = unsigned(v, u64::from_str_radix) {
            return visitor.visit_u64(int);
        }
        if let Some(int) = negative(v, i64::from_str_radix) {
            return visitor.visit_i64(int);
        }
        if let Some(int) = unsigned(v, u128::from_str_radix) {
            return visitor.visit_u128(int);
        }
        if let Some(int) = negative(v, i128::from_str_radix) {
            return visitor.visit_i128(int);
        }
        if !digits_but_not_number(v)
            && let Some(float) = float(v)
        {
            return visitor.visit_f64(float);
        }
        string(value, visitor)
    }

    type Radix<T> = fn(&str, u32) -> Result<T, std::num::ParseIntError>;

    fn prefixed<T>(rest: &str, radix: u32, from: Radix<T>) -> Option<T> {
        if rest.starts_with(['+', '-']) {
            return None;
        }
        from(rest, radix).ok()
    }

    fn unsigned<T>(scalar: &str, from: Radix<T>) -> Option<T> {
        let unpositive = scalar.strip_prefix('+').unwrap_or(scalar);
        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
            if let Some(rest) = unpositive.strip_prefix(prefix)
                && let Some(int) = prefixed(rest, radix, from)
            {
                return Some(int);
            }
        }
        if unpositive.starts_with(['+', '-']) || digits_but_not_number(scalar) {
            return None;
        }
        from(unpositive, 10).ok()
    }

    fn negative<T>(scalar: &str, from: Radix<T>) -> Option<T> {
        for (prefix, radix) in [("-0x", 16), ("-0o", 8), ("-0b", 2)] {
            if let Some(rest) = scalar.strip_prefix(prefix)
                && let Ok(int) = from(&format!("-{rest}"), radix)
            {
                return Some(int);
            }
        }
        if digits_but_not_number(scalar) {
            return None;
        }
        from(scalar, 10).ok()
    }

    fn float(scalar: &str) -> Option<f64> {
        let unpositive = if let Some(unpositive) = scalar.strip_prefix('+') {
            if unpositive.starts_with(['+', '-']) {
                return None;
            }
            unpositive
        } else {
            scalar
        };
        if matches!(unpositive, ".inf" | ".Inf" | ".INF") {
            return Some(f64::INFINITY);
        }
        if matches!(scalar, "-.inf" | "-.Inf" | "-.INF") {
            return Some(f64::NEG_INFINITY);
        }
        if matches!(scalar, ".nan" | ".NaN" | ".NAN") {
            return Some(f64::NAN.copysign(1.0));
        }
        unpositive.parse::<f64>().ok().filter(|f| f.is_finite())
    }

    /// Leading zeros then digits: a string in YAML 1.2.
    fn digits_but_not_number(scalar: &str) -> bool {
        let scalar = scalar.strip_prefix(['-', '+']).unwrap_or(scalar);
        scalar.len() > 1
            && scalar.starts_with('0')
            && scalar.bytes().skip(1).all(|b| b.is_ascii_digit())
    }
}

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
mod tests {
    use super::*;
    use crate::formats::{Extent, Flag, Item, Location};

    const SUB: &str = "6a0f3b2c-1d4e-4f5a-8b6c-7d8e9f0a1b2c";

    fn list(wdatp: &str) -> String {
        format!(
            "- enabled: true\n  id: /subscriptions/{SUB}/providers/Microsoft.Security/settings/MCAS\n  kind: DataExportSettings\n  name: MCAS\n  type: Microsoft.Security/settings\n- enabled: {wdatp}\n  id: /subscriptions/{SUB}/providers/Microsoft.Security/settings/WDATP\n  kind: DataExportSettings\n  name: WDATP\n  type: Microsoft.Security/settings\n"
        )
    }

    fn read(text: &str) -> Option<Parsed> {
        parse(&Text::new(text))
    }

    #[test]
    fn az_list_reads_like_its_json() {
        let parsed = read(&list("false")).unwrap();
        assert_eq!(parsed.format, AZCLI_YAML);
        let Body::Items(items) = parsed.body else {
            panic!("{parsed:?}")
        };
        let [Item::Settings { extent, settings }] = items.as_slice() else {
            panic!("{items:?}")
        };
        assert_eq!(*extent, Extent::Listing);
        assert_eq!(settings[1].name.as_deref(), Some("WDATP"));
        assert_eq!(settings[1].enabled, Flag::Bool(false));
        assert_eq!(settings[1].location, Location::Pointer("/1/enabled".into()));
    }

    #[test]
    fn yaml_and_its_json_equivalent_give_the_same_items() {
        let json = format!(
            r#"[{{"enabled": true, "id": "/subscriptions/{SUB}/providers/Microsoft.Security/settings/MCAS", "kind": "DataExportSettings", "name": "MCAS", "type": "Microsoft.Security/settings"}}, {{"enabled": false, "id": "/subscriptions/{SUB}/providers/Microsoft.Security/settings/WDATP", "kind": "DataExportSettings", "name": "WDATP", "type": "Microsoft.Security/settings"}}]"#
        );
        let from_json = json::parse_document(&json);
        assert_eq!(from_json.format, json::AZCLI_JSON);
        assert_eq!(read(&list("false")).unwrap().body, from_json.body);
    }

    #[test]
    fn az_show_is_a_single_result() {
        let text = format!(
            "enabled: true\nid: /subscriptions/{SUB}/providers/Microsoft.Security/settings/WDATP\nkind: DataExportSettings\nname: WDATP\ntype: Microsoft.Security/settings\n"
        );
        let Body::Items(items) = read(&text).unwrap().body else {
            panic!()
        };
        assert!(matches!(
            items.as_slice(),
            [Item::Settings {
                extent: Extent::Single,
                ..
            }]
        ));
    }

    #[test]
    fn several_documents_are_each_read_on_their_own() {
        const OTHER: &str = "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d";
        let text = format!(
            "---\n{}---\n{}---\n",
            list("true"),
            list("false").replace(SUB, OTHER)
        );
        let parsed = read(&text).unwrap();
        assert_eq!(parsed.format, AZCLI_YAML);
        let Body::Items(items) = parsed.body else {
            panic!("{parsed:?}")
        };
        let [
            Item::Settings {
                extent: Extent::Listing,
                settings: first,
            },
            Item::Settings {
                extent: Extent::Listing,
                settings: second,
            },
        ] = items.as_slice()
        else {
            panic!("{items:?}")
        };
        assert_eq!(first[1].enabled, Flag::Bool(true));
        assert_eq!(first[1].location, Location::Pointer("/0/1/enabled".into()));
        assert!(first[1].id.as_deref().unwrap().contains(SUB));
        assert_eq!(second[1].enabled, Flag::Bool(false));
        assert_eq!(second[1].location, Location::Pointer("/1/1/enabled".into()));
        assert!(second[1].id.as_deref().unwrap().contains(OTHER));
    }

    #[test]
    fn one_document_after_a_marker_keeps_its_pointers() {
        let Body::Items(items) = read(&format!("---\n{}", list("true"))).unwrap().body else {
            panic!()
        };
        let [Item::Settings { settings, .. }] = items.as_slice() else {
            panic!("{items:?}")
        };
        assert_eq!(settings[1].location, Location::Pointer("/1/enabled".into()));
    }

    #[test]
    fn a_broken_document_among_several_is_malformed() {
        let text = format!("{}---\n- enabled: true\n  name: [unclosed\n", list("true"));
        assert!(matches!(
            read(&text).unwrap().body,
            Body::Malformed(Reason::InvalidYaml(_))
        ));
        // Other output appended beside the evidence is skipped, as in a JSON stream.
        let text = format!(
            "{}---\nenvironmentName: AzureCloud\nisDefault: true\n",
            list("true")
        );
        let Body::Items(items) = read(&text).unwrap().body else {
            panic!()
        };
        assert_eq!(items.len(), 1);
    }

    #[test]
    fn documents_that_are_not_evidence_are_named_as_yaml_documents() {
        let text = "---\nname: a\nother: 1\n---\nenabled: true\nfoo: 2\n";
        let Body::Unrecognized(why) = read(text).unwrap().body else {
            panic!()
        };
        let why = why.to_string();
        assert!(
            why.starts_with(
                "none of the 2 YAML documents in the file is settings evidence (document 1:"
            ),
            "{why}"
        );
    }

    #[test]
    fn other_text_is_not_yaml() {
        assert!(read("Enabled : True\nName    : WDATP\n").is_none());
        assert!(read("ERROR: (AuthorizationFailed) name: x enabled: y\n").is_none());
        assert!(read("- item\n- other\n").is_none());
        assert!(read("true\n").is_none());
        assert!(read("").is_none());
    }

    #[test]
    fn broken_yaml_is_malformed_not_a_panic() {
        let text = "- enabled: true\n  name: WDATP\n  id: [unclosed\n";
        assert!(matches!(
            read(text).unwrap().body,
            Body::Malformed(Reason::InvalidYaml(_))
        ));
        let _ = read("- name: a\n  enabled: &x [*x]\n");
        let _ = read("name: x\nenabled: !!binary zz\n");
    }

    #[test]
    fn deep_flow_nesting_is_refused_before_the_parser() {
        let deep = |n: usize| {
            format!(
                "- enabled: true\n  name: WDATP\n  x: {}{}\n",
                "[".repeat(n),
                "]".repeat(n)
            )
        };
        let Body::Malformed(Reason::InvalidYaml(why)) = read(&deep(60_000)).unwrap().body else {
            panic!()
        };
        assert!(
            why.contains("nested deeper than 128 levels (line 3)"),
            "{why}"
        );
        // Within the limit, brackets in quotes and comments do not count.
        assert!(bounds(&deep(MAX_DEPTH)).is_ok());
        let quoted = format!(
            "a: '{}'\nb: \"{}\" # {}\n",
            "[".repeat(200),
            "{".repeat(200),
            "[".repeat(200)
        );
        assert_eq!(bounds(&quoted), Ok(Bounds { aliases: false }));
    }

    type Classified = Result<(Format, Body), String>;

    fn reference(text: &str) -> Classified {
        json::classify_each(serde_yaml_ng::Deserializer::from_str(text)).map_err(|e| e.to_string())
    }

    /// What the streaming reader gives, as `parse` uses it (a text with a tab is left).
    fn streamed(text: &str) -> Classified {
        if text.contains('\t') {
            return Err("a tab".to_owned());
        }
        json::classify_each(stream::documents(text)).map_err(|e| e.to_string())
    }

    fn setting(enabled: &str) -> String {
        format!(
            "- enabled: {enabled}\n  id: /subscriptions/{SUB}/providers/Microsoft.Security/settings/WDATP\n  name: WDATP\n"
        )
    }

    /// The streaming reader gives what `serde_yaml_ng` gives, or stops (and `serde_yaml_ng`
    /// reads the text); the shapes az writes never stop it.
    #[test]
    fn the_streaming_reader_reads_as_serde_yaml_ng_reads() {
        let az = [
            list("true"),
            list("false"),
            format!("---\n{}---\n{}...\n", list("true"), list("false")),
            format!("# comment\n{}\n\n", list("true")).replace('\n', "\r\n"),
            format!(
                "value:\n{}",
                setting("true")
                    .replace("\n  ", "\n    ")
                    .replace("- ", "  - ")
            ),
            format!("---\n---\n{}---\n", list("true")),
        ];
        for text in &az {
            let streamed = streamed(text);
            assert!(streamed.is_ok(), "{text}: {streamed:?}");
            assert_eq!(streamed, reference(text), "{text}");
        }
        let scalars = [
            "True",
            "TRUE",
            "yes",
            "on",
            "'true'",
            "\"true\"",
            "~",
            "null",
            "",
            "0",
            "012",
            "-012",
            "0x1F",
            "-0x1F",
            "0o17",
            "-0o17",
            "0b101",
            "+7",
            "-7",
            "1e3",
            "-1.5",
            ".inf",
            "-.Inf",
            ".NaN",
            "+.inf",
            "99999999999999999999",
            "-99999999999999999999",
            "999999999999999999999999999999999999999999",
            "0x",
            "0x+1",
            "+-1",
            "1_000",
            "|\n    literal\n",
            ">\n    folded\n    text\n",
            "\"esc\\u00e9\\n\"",
            "'it''s'",
            "[true]",
            "{a: 1}",
            "!!str true",
            "!!bool true",
            "!custom x",
            "&a true",
            "[unclosed",
            "\"\\x\"",
        ];
        let mut streamed_count = 0;
        for scalar in scalars {
            for text in [
                setting(scalar),
                format!("{}  other: {scalar}\n", setting("true")),
                format!(
                    "{scalar}: x\n{}",
                    setting("true").replace("\n  ", "\n").replace("- ", "")
                ),
            ] {
                let streamed = streamed(&text);
                if streamed.is_ok() {
                    streamed_count += 1;
                    assert_eq!(streamed, reference(&text), "{text}");
                }
            }
        }
        assert!(streamed_count > 100, "{streamed_count}");
    }

    /// Mutated az output (a character replaced, inserted or removed, a few times): whatever
    /// the streaming reader reads, it reads as `serde_yaml_ng` does.
    #[test]
    fn mutated_yaml_streams_as_serde_yaml_ng_reads_it() {
        let bases = [
            list("true"),
            format!("---\n{}---\n{}", list("true"), list("false")),
            format!(
                "value:\n{}",
                setting("true")
                    .replace("- ", "  - ")
                    .replace("\n  ", "\n    ")
            ),
        ];
        let alphabet = b"-:[]{}'\"#&!|>?,. \n\t\\%@`~0x1eE";
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut random = |below: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            usize::try_from(state % below as u64).unwrap()
        };
        let (mut compared, mut differ) = (0, Vec::new());
        for _ in 0..ITERATIONS {
            let mut bytes = bases[random(bases.len())].clone().into_bytes();
            for _ in 0..=random(4) {
                let at = random(bytes.len());
                let c = alphabet[random(alphabet.len())];
                match random(3) {
                    0 => bytes[at] = c,
                    1 => bytes.insert(at, c),
                    _ => drop(bytes.remove(at)),
                }
            }
            let Ok(text) = String::from_utf8(bytes) else {
                continue;
            };
            if let Ok(streamed) = streamed(&text) {
                compared += 1;
                if Ok(&streamed) != reference(&text).as_ref() {
                    differ.push(text);
                }
            }
        }
        assert!(compared > ITERATIONS / 4, "{compared}");
        assert!(
            differ.is_empty(),
            "{} differ, first: {:?}",
            differ.len(),
            differ.first()
        );
    }

    const ITERATIONS: usize = 10_000;

    #[test]
    fn nesting_past_the_limit_is_read_by_serde_yaml_ng() {
        // Nesting within the limit is streamed; past it, serde_yaml_ng reads the text.
        let nested = |n: usize| {
            format!(
                "{}  x: {}{}\n",
                setting("true"),
                "[".repeat(n),
                "]".repeat(n)
            )
        };
        assert_eq!(streamed(&nested(100)), reference(&nested(100)));
        assert!(streamed(&nested(MAX_DEPTH)).is_err());
        let text = nested(MAX_DEPTH);
        assert_eq!(
            Ok((AZCLI_YAML, read(&text).unwrap().body)),
            reference(&text).map(|(_, body)| (AZCLI_YAML, body))
        );
    }

    #[test]
    fn alias_expansion_is_counted_in_nodes() {
        let k = 2_000;
        let text = format!(
            "- enabled: true\n  name: WDATP\n  a: &a [{}]\n  b:\n{}",
            vec!["x"; k].join(", "),
            "  - *a\n".repeat(k)
        );
        assert_eq!(bounds(&text), Ok(Bounds { aliases: true }));
        let Body::Malformed(Reason::InvalidYaml(why)) = read(&text).unwrap().body else {
            panic!()
        };
        assert!(why.contains("node budget"), "{why}");
        assert!(value(&text).unwrap_err().contains("node budget"));
        // A few aliases within the budget read like the expanded text.
        let small = format!(
            "{}- enabled: &t true\n  name: X\n  other: *t\n",
            list("false")
        );
        let Body::Items(items) = read(&small).unwrap().body else {
            panic!()
        };
        let [Item::Settings { settings, .. }] = items.as_slice() else {
            panic!("{items:?}")
        };
        assert_eq!(settings[1].enabled, Flag::Bool(false));
        assert_eq!(settings[2].enabled, Flag::Bool(true));
        assert_eq!(value(&small).unwrap()[2]["other"], Value::Bool(true));
    }
}
