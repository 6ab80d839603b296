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
        Ok(Bounds { aliases: false }) => {
            match json::classify_each(serde_yaml_ng::Deserializer::from_str(text)) {
                Ok((_, body)) => body,
                Err(e) => malformed(&e),
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
