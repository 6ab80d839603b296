//! A streaming reader of YAML documents for the typed pass: each event goes from the parser
//! (saphyr-parser) to the visitor as it is parsed, so a file costs its typed structures, not
//! a list of its events. Plain scalars resolve as `serde_yaml_ng` resolves them (YAML 1.2's
//! core schema: `null`, `~` and empty are null, `true`/`True`/`TRUE` a boolean, decimal,
//! `0x`, `0o` and `0b` integers, floats, `.inf`, `.nan`); quoted and block scalars are
//! strings. Tags, anchors, aliases, empty keys, parse errors and nesting past [`super::MAX_DEPTH`]
//! are errors, which the caller answers by reading the text with `serde_yaml_ng`.

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
        if self.key && matches!(&event, Event::Scalar(v, ScalarStyle::Plain, _, _) if v.is_empty())
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
