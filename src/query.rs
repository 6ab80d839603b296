//! `JSONPath` checks: the JSON documents of a file, and what a check's compiled query finds
//! in them.
//!
//! Only JSON evidence answers a query: the top-level documents of a JSON file (addressed
//! `/N` when a file holds several one after another), the body of an HTTP capture
//! (`body#`) and the settings responses of a HAR log (`/log/entries/N/response/content/
//! text#`). A match's normalized path becomes a JSON pointer into the decoded document,
//! like every other location. Matches are given to the subscription of the setting they sit
//! in (the one whose location shares the longest part of their pointer); a match outside
//! every setting belongs to the one subscription the file's content names, or to none.

use std::collections::HashMap;

use jsonpath_rust::parser::model::{JpQuery, Segment, Selector};
use jsonpath_rust::query::js_path_process;
use serde_json::Value;

use crate::attribute::{Attributed, Group};
use crate::formats::json::comments;
use crate::formats::{Extent, Format, Location, http, json, yaml};
use crate::vocabulary::outcome::Outcome;

/// One JSON document of a file, and the pointer prefix that addresses it.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// What a pointer into this document starts with (`""`, `/1`, `body#`).
    pub prefix: String,
    /// The document.
    pub value: Value,
}

/// The JSON documents of a file read as `format`, where its evidence is: the top-level
/// documents of a JSON file, the body of an HTTP capture's final response (`body#`), the JSON
/// in an `Invoke-AzRestMethod` object's `Content` (`/Content#`), the 200 body of a REST
/// documentation example, the settings responses of a HAR log (`/log/entries/N/response/
/// content/text#`); none for other shapes or unreadable JSON.
#[must_use]
pub fn documents(text: &str, format: Format) -> Vec<Document> {
    if format == json::HAR {
        return har_documents(text);
    }
    let (json_text, prefix) = if format == http::HTTP_CAPTURE {
        (http::final_body(text), "body#")
    } else if json::PARSER.formats.contains(&format) {
        (text, "")
    } else if format == yaml::AZCLI_YAML {
        // YAML is read into the same tree as JSON; pointers address the YAML document.
        // Within the same bounds as the parser: nesting depth, and nodes with aliases
        // expanded.
        let text = text.trim_start_matches('\u{feff}');
        return yaml::value(text)
            .map(|value| {
                vec![Document {
                    prefix: String::new(),
                    value,
                }]
            })
            .unwrap_or_default();
    } else {
        return Vec::new();
    };
    let read = |text: &str| -> Option<Vec<Value>> {
        serde_json::Deserializer::from_str(text)
            .into_iter::<Value>()
            .collect::<Result<_, _>>()
            .ok()
    };
    // JSON with comments is read with its comments blanked out, as the parser reads it.
    let values = read(json_text).or_else(|| comments::strip(json_text).and_then(|t| read(&t)));
    let Some(values) = values else {
        return Vec::new();
    };
    let several = values.len() > 1;
    values
        .into_iter()
        .enumerate()
        .filter_map(|(index, value)| {
            let pointer = if several {
                format!("{prefix}/{index}")
            } else {
                prefix.to_owned()
            };
            embedded(pointer, value, format)
        })
        .collect()
}

/// The documents of a HAR log: the body of each successful settings call
/// (`/log/entries/N/response/content/text#`), and of a batch, the content of each response
/// that answers one of its settings requests (`...text#/responses/K/content`), as the
/// parser reads them; never the log itself, whose other requests are not evidence.
fn har_documents(text: &str) -> Vec<Document> {
    let mut documents = Vec::new();
    for body in json::settings_bodies(text) {
        let Ok(value) = serde_json::from_str::<Value>(&body.text) else {
            continue;
        };
        match body.answers {
            None => documents.push(Document {
                prefix: body.prefix,
                value,
            }),
            Some(answers) => {
                for k in answers {
                    let pointer = format!("/responses/{k}/content");
                    if let Some(content) = value.pointer(&pointer) {
                        documents.push(Document {
                            prefix: format!("{}{pointer}", body.prefix),
                            value: content.clone(),
                        });
                    }
                }
            }
        }
    }
    documents
}

/// The evidence inside a document that wraps it, or the document itself.
fn embedded(pointer: String, value: Value, format: Format) -> Option<Document> {
    if format == json::INVOKE_AZRESTMETHOD {
        let content = value.get("Content")?.as_str()?;
        let inner = serde_json::from_str(content).ok()?;
        return Some(Document {
            prefix: format!("{pointer}/Content#"),
            value: inner,
        });
    }
    if format == json::REST_DOC_EXAMPLE {
        let body = value.pointer("/responses/200/body")?.clone();
        return Some(Document {
            prefix: format!("{pointer}/responses/200/body"),
            value: body,
        });
    }
    Some(Document {
        prefix: pointer,
        value,
    })
}

/// One place a query matched, and the value there.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    /// A JSON pointer into the decoded file.
    pub pointer: String,
    /// The value found.
    pub value: Value,
}

/// Work a query may do in one document of `nodes` nodes: ten times its nodes plus 100,000,
/// counted in nodes visited by a descendant segment and nodes of the values matched.
#[must_use]
pub const fn work_budget(nodes: usize) -> usize {
    nodes.saturating_mul(10).saturating_add(100_000)
}

/// How many descendant segments (`..`) a compiled query has, in filters too.
#[must_use]
pub fn descendant_segments(query: &JpQuery) -> usize {
    format!("{query:?}").matches("Descendant(").count()
}

/// Every match of `query` in `documents`, in document order.
///
/// A query with a descendant segment (`$..enabled`, `$.value..name`) is walked here, one
/// node at a time with one pointer, rather than by materialising the path of every node it
/// passes; it may do [`work_budget`] work per document.
///
/// # Errors
///
/// A reason naming the budget when a document would cost more than it.
pub fn find(documents: &[Document], query: &JpQuery) -> Result<Vec<Match>, String> {
    let mut found = Vec::new();
    for document in documents {
        find_in(document, query, &mut found)?;
    }
    Ok(found)
}

fn find_in(document: &Document, query: &JpQuery, found: &mut Vec<Match>) -> Result<(), String> {
    let segments = &query.segments;
    let descendant = segments
        .iter()
        .position(|s| matches!(s, Segment::Descendant(_)));
    let plain = |found: &mut Vec<Match>| {
        let Ok(matches) = js_path_process(query, &document.value) else {
            return;
        };
        for m in matches {
            let pointer = format!("{}{}", document.prefix, pointer_of(&m.path));
            found.push(Match {
                pointer,
                value: m.val.clone(),
            });
        }
    };
    if descendant_segments(query) == 0 {
        plain(found);
        return Ok(());
    }
    let (nodes, path_cost) = measure(&document.value);
    let budget = work_budget(nodes);
    let refused = |prefix: &str| {
        format!(
            "the query costs more than its budget in {} (ten times the document's {nodes} nodes \
             plus 100,000)",
            if prefix.is_empty() {
                "the document".to_owned()
            } else {
                format!("the document at {prefix}")
            }
        )
    };
    let (Some(at), Some(Segment::Descendant(inner))) =
        (descendant, descendant.and_then(|at| segments.get(at)))
    else {
        // A descendant segment inside a filter only: the library's evaluation, when the
        // paths it builds fit the budget.
        if path_cost > budget {
            return Err(refused(&document.prefix));
        }
        plain(found);
        return Ok(());
    };
    let rest = segments.get(at + 1..).unwrap_or_default();
    let filtered = std::iter::once(inner.as_ref())
        .chain(rest)
        .any(|s| matches!(s, Segment::Selector(Selector::Filter(_))) || matches!(s, Segment::Selectors(v) if v.iter().any(|s| matches!(s, Selector::Filter(_)))));
    if filtered {
        // A filter may refer to the root (`$`), which only the whole document answers.
        if path_cost > budget {
            return Err(refused(&document.prefix));
        }
        plain(found);
        return Ok(());
    }
    let before = JpQuery::new(segments.get(..at).unwrap_or_default().to_vec());
    let selector = JpQuery::new(vec![inner.as_ref().clone()]);
    let after = JpQuery::new(rest.to_vec());
    let mut work = Work { done: 0, budget };
    let Ok(starts) = js_path_process(&before, &document.value) else {
        return Ok(());
    };
    for start in starts {
        let pointer = format!("{}{}", document.prefix, pointer_of(&start.path));
        descend(start.val, pointer, &selector, &after, &mut work, found)
            .map_err(|()| refused(&document.prefix))?;
    }
    Ok(())
}

/// Applies a descendant segment's `selector`, then the segments `after` it, to `start` and
/// every node under it, pre-order as the segment orders its nodes (a node, then each
/// child's subtree in turn), with one pointer cut back as the walk climbs.
fn descend(
    start: &Value,
    mut pointer: String,
    selector: &JpQuery,
    after: &JpQuery,
    work: &mut Work,
    found: &mut Vec<Match>,
) -> Result<(), ()> {
    let mut visit = |node: &Value, pointer: &str, work: &mut Work| -> Result<(), ()> {
        work.spend(1)?;
        let Ok(selected) = js_path_process(selector, node) else {
            return Ok(());
        };
        for m in selected {
            let Ok(ends) = js_path_process(after, m.val) else {
                continue;
            };
            for end in ends {
                work.spend(count_nodes(end.val, work.left()))?;
                found.push(Match {
                    pointer: format!("{pointer}{}{}", pointer_of(&m.path), pointer_of(&end.path)),
                    value: end.val.clone(),
                });
            }
        }
        Ok(())
    };
    visit(start, &pointer, work)?;
    let mut stack: Vec<(Children<'_>, usize)> = Vec::new();
    if let Some(children) = Children::of(start) {
        stack.push((children, pointer.len()));
    }
    while let Some((children, len)) = stack.last_mut() {
        let len = *len;
        let Some((segment, child)) = children.next() else {
            stack.pop();
            continue;
        };
        pointer.truncate(len);
        pointer.push('/');
        match segment {
            Step::Index(i) => pointer.push_str(&i.to_string()),
            Step::Key(key) => pointer.push_str(&key.replace('~', "~0").replace('/', "~1")),
        }
        visit(child, &pointer, work)?;
        if let Some(grandchildren) = Children::of(child) {
            stack.push((grandchildren, pointer.len()));
        }
    }
    Ok(())
}

/// Work done against a budget.
struct Work {
    done: usize,
    budget: usize,
}

impl Work {
    fn spend(&mut self, units: usize) -> Result<(), ()> {
        self.done = self.done.saturating_add(units);
        if self.done > self.budget {
            Err(())
        } else {
            Ok(())
        }
    }

    const fn left(&self) -> usize {
        self.budget.saturating_sub(self.done)
    }
}

/// One step down a JSON value.
enum Step<'a> {
    Index(usize),
    Key(&'a str),
}

/// The children of an array or object, in order.
enum Children<'a> {
    Array(std::iter::Enumerate<std::slice::Iter<'a, Value>>),
    Object(serde_json::map::Iter<'a>),
}

impl<'a> Children<'a> {
    fn of(value: &'a Value) -> Option<Self> {
        match value {
            Value::Array(items) => Some(Self::Array(items.iter().enumerate())),
            Value::Object(map) => Some(Self::Object(map.iter())),
            _ => None,
        }
    }
}

impl<'a> Iterator for Children<'a> {
    type Item = (Step<'a>, &'a Value);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Self::Array(items) => items.next().map(|(i, v)| (Step::Index(i), v)),
            Self::Object(map) => map.next().map(|(k, v)| (Step::Key(k.as_str()), v)),
        }
    }
}

/// The nodes of a value, counting no further than `cap + 1`.
fn count_nodes(value: &Value, cap: usize) -> usize {
    let mut count = 0;
    let mut stack = vec![value];
    while let Some(node) = stack.pop() {
        count += 1;
        if count > cap {
            break;
        }
        match node {
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => stack.extend(map.values()),
            _ => {}
        }
    }
    count
}

/// A document's nodes, and the sum of their depths (what materialising every node's path
/// costs, in path segments).
fn measure(value: &Value) -> (usize, usize) {
    let (mut nodes, mut depths) = (0usize, 0usize);
    let mut stack = vec![(value, 0usize)];
    while let Some((node, depth)) = stack.pop() {
        nodes += 1;
        depths = depths.saturating_add(depth);
        match node {
            Value::Array(items) => stack.extend(items.iter().map(|v| (v, depth + 1))),
            Value::Object(map) => stack.extend(map.values().map(|v| (v, depth + 1))),
            _ => {}
        }
    }
    (nodes, depths)
}

/// A normalized path (`$['value'][1]['properties']['enabled']`) as a JSON pointer
/// (`/value/1/properties/enabled`, RFC 6901 escapes).
#[must_use]
pub fn pointer_of(normalized: &str) -> String {
    let mut pointer = String::new();
    let mut rest = normalized.strip_prefix('$').unwrap_or(normalized);
    while let Some(open) = rest.strip_prefix('[') {
        let (segment, after) = if let Some(quoted) = open.strip_prefix('\'') {
            // A name: up to the closing quote, with `\'` and `\\` escaped.
            let mut name = String::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, escaped)) = chars.next() {
                            name.push(escaped);
                        }
                    }
                    '\'' => {
                        end = i;
                        break;
                    }
                    c => name.push(c),
                }
            }
            let after = quoted.get(end + 1..).unwrap_or_default();
            (name, after.strip_prefix(']').unwrap_or(after))
        } else {
            let close = open.find(']').unwrap_or(open.len());
            (
                open.get(..close).unwrap_or_default().to_owned(),
                open.get(close + 1..).unwrap_or_default(),
            )
        };
        pointer.push('/');
        pointer.push_str(&segment.replace('~', "~0").replace('/', "~1"));
        rest = after;
    }
    pointer
}

/// The pointer of the object a setting was read from: its location less the key that held
/// `enabled` (`/value/1/properties/enabled` is the setting at `/value/1`).
fn element_of(location: &str) -> &str {
    ["/properties/enabled", "/properties", "/enabled", "/Enabled"]
        .iter()
        .find_map(|suffix| location.strip_suffix(suffix))
        .unwrap_or(location)
}

/// Gives each match to a placed group of the file: the group of the setting whose object it
/// is in (the innermost), else the only attributed group, else `None`. The settings' objects
/// are kept in a tree of pointer segments, so each match costs the length of its pointer,
/// whatever the number of settings.
#[must_use]
pub fn assign(matches: &[Match], placed: &[Attributed<'_>]) -> Vec<Option<usize>> {
    // No match to give (every setting check calls this): build no tree of the file's
    // settings, which is per-file work on the scan's hot path.
    if matches.is_empty() {
        return Vec::new();
    }
    let attributed: Vec<usize> = placed
        .iter()
        .enumerate()
        .filter(|(_, p)| p.subscription.is_some())
        .map(|(i, _)| i)
        .collect();
    // Node 0 is the empty pointer's parent; an edge is (node, segment).
    let mut edges: HashMap<(usize, &str), usize> = HashMap::new();
    let mut owner: Vec<Option<usize>> = vec![None];
    for (i, p) in placed.iter().enumerate() {
        for (s, _, _) in &p.group.settings {
            let Location::Pointer(location) = &s.location else {
                continue;
            };
            let mut node = 0;
            for segment in element_of(location).split('/') {
                let next = owner.len();
                node = *edges.entry((node, segment)).or_insert(next);
                if node == next {
                    owner.push(None);
                }
            }
            // A later setting with the same object wins, as the innermost did before.
            if let Some(slot) = owner.get_mut(node) {
                *slot = Some(i);
            }
        }
    }
    matches
        .iter()
        .map(|m| {
            let mut node = 0;
            let mut holder = None;
            for segment in m.pointer.split('/') {
                let Some(&next) = edges.get(&(node, segment)) else {
                    break;
                };
                node = next;
                holder = owner.get(node).copied().flatten().or(holder);
            }
            match (holder, attributed.as_slice()) {
                (Some(i), _) => Some(i),
                (None, [only]) => Some(*only),
                (None, _) => None,
            }
        })
        .collect()
}

/// What a group's matches say about a query check expecting `expect`.
#[must_use]
pub fn decide(
    group: &Group<'_>,
    matches: &[&Match],
    expect: &Value,
) -> (Outcome, Option<bool>, Option<Location>, String) {
    if let Some(first) = matches.first() {
        let equal = first.value == *expect;
        if let Some(other) = matches.iter().find(|m| (m.value == *expect) != equal) {
            return (
                Outcome::Malformed,
                None,
                Some(Location::Pointer(first.pointer.clone())),
                format!(
                    "{} matches of the query disagree: {} at {}, {} at {}",
                    matches.len(),
                    first.value,
                    first.pointer,
                    other.value,
                    other.pointer
                ),
            );
        }
        let (outcome, word) = if equal {
            (Outcome::Enabled, "the expected value")
        } else {
            (Outcome::Disabled, "not the expected value")
        };
        return (
            outcome,
            Some(equal),
            Some(Location::Pointer(first.pointer.clone())),
            format!(
                "the query finds {} ({word} {expect}){}",
                first.value,
                if matches.len() > 1 {
                    format!("; {} matches agree", matches.len())
                } else {
                    String::new()
                }
            ),
        );
    }
    if group
        .settings
        .iter()
        .any(|(s, _, _)| s.recovered == Some(json::TRUNCATED_NOTE))
    {
        return (
            Outcome::Unrecognized,
            None,
            None,
            "the query matches nothing in a depth-truncated Windows PowerShell 5.1 export, \
             whose values sit inside \"@{...}\" strings a query cannot read"
                .to_owned(),
        );
    }
    if group.settings.is_empty()
        && let Some((summary, location)) = group.errors.first()
    {
        return (
            Outcome::CollectionError,
            None,
            Some((*location).clone()),
            format!(
                "the collection failed: {}",
                crate::escape::excerpt(summary, 400)
            ),
        );
    }
    let extent = |wanted: Extent| group.settings.iter().any(|(_, e, _)| *e == wanted);
    if extent(Extent::Complete) {
        return (
            Outcome::Absent,
            None,
            None,
            "the query matches nothing in a complete settings list".to_owned(),
        );
    }
    if extent(Extent::Page) {
        return (
            Outcome::CollectionError,
            None,
            None,
            "the query matches nothing on one page of a paged list (nextLink set): it may \
             match on a page that was not saved"
                .to_owned(),
        );
    }
    (
        Outcome::Unrecognized,
        None,
        None,
        "the query matches nothing in this evidence, which is not a complete list".to_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalized_paths_become_json_pointers() {
        assert_eq!(
            pointer_of("$['value'][1]['properties']['enabled']"),
            "/value/1/properties/enabled"
        );
        assert_eq!(pointer_of("$['a/b']['c~d']['it\\'s']"), "/a~1b/c~0d/it's");
        assert_eq!(pointer_of("$"), "");
    }

    #[test]
    fn a_har_log_documents_are_its_settings_responses() {
        let list = r#"{"value":[{"name":"WDATP","properties":{"enabled":true}}]}"#;
        let url =
            "https://management.azure.com/subscriptions/x/providers/Microsoft.Security/settings";
        let batch = serde_json::json!({"requests": [
            {"name": "p", "url": "https://management.azure.com/subscriptions/x/providers/Microsoft.Security/pricings"},
            {"name": "s", "url": url}
        ]});
        let answers = format!(
            r#"{{"responses":[{{"name":"p","httpStatusCode":200,"content":{{"value":[{{"name":"WDATP","properties":{{"enabled":false}}}}]}}}},{{"name":"s","httpStatusCode":200,"content":{list}}}]}}"#
        );
        let har = serde_json::json!({"log": {"entries": [
            {"request": {"url": url}, "response": {"status": 200, "content": {"text": list}}},
            {"request": {"url": "https://management.azure.com/batch", "postData": {"text": batch.to_string()}},
             "response": {"status": 200, "content": {"text": answers}}}
        ]}})
        .to_string();
        let documents = documents(&har, json::HAR);
        let prefixes: Vec<&str> = documents.iter().map(|d| d.prefix.as_str()).collect();
        assert_eq!(
            prefixes,
            [
                "/log/entries/0/response/content/text#",
                "/log/entries/1/response/content/text#/responses/1/content"
            ]
        );
        let query = jsonpath_rust::parser::parse_json_path(
            "$.value[?@.name==\"WDATP\"].properties.enabled",
        )
        .unwrap();
        let found = find(&documents, &query).unwrap();
        assert_eq!(
            found.iter().map(|m| m.pointer.as_str()).collect::<Vec<_>>(),
            [
                "/log/entries/0/response/content/text#/value/0/properties/enabled",
                "/log/entries/1/response/content/text#/responses/1/content/value/0/properties/enabled"
            ]
        );
        assert!(found.iter().all(|m| m.value == Value::Bool(true)));
    }

    #[test]
    fn a_query_finds_its_value_with_a_pointer() {
        let text = r#"{"value":[{"name":"MCAS","properties":{"enabled":true}},{"name":"WDATP","properties":{"enabled":false}}]}"#;
        let documents = documents(text, json::REST_LIST);
        let query =
            jsonpath_rust::parser::parse_json_path("$.value[?@.name==\"MCAS\"].properties.enabled")
                .unwrap();
        let found = find(&documents, &query).unwrap();
        assert_eq!(
            found,
            [Match {
                pointer: "/value/0/properties/enabled".into(),
                value: Value::Bool(true)
            }]
        );
    }

    /// What the library alone finds, pointers and values, for comparison.
    fn library(documents: &[Document], query: &JpQuery) -> Vec<Match> {
        let mut found = Vec::new();
        for d in documents {
            for m in js_path_process(query, &d.value).unwrap() {
                found.push(Match {
                    pointer: format!("{}{}", d.prefix, pointer_of(&m.path)),
                    value: m.val.clone(),
                });
            }
        }
        found
    }

    #[test]
    fn descendant_queries_find_what_the_library_finds_in_its_order() {
        let text = r#"{"value":[{"name":"MCAS","properties":{"enabled":true,"a/b":{"enabled":1}}},{"name":"WDATP","properties":{"enabled":false},"list":[{"enabled":null},[{"name":"x"}]]}],"enabled":"top"}
{"enabled":2}"#;
        let documents = documents(text, json::JSON_STREAM);
        assert_eq!(documents.len(), 2);
        for q in [
            "$..enabled",
            "$..*",
            "$..name",
            "$.value..enabled",
            "$..properties.enabled",
            "$..[0]",
            "$..['name','enabled']",
            "$.value[1]..*",
            "$..[?@.name==\"WDATP\"].properties.enabled",
            "$.value[?@..enabled].name",
        ] {
            let query = jsonpath_rust::parser::parse_json_path(q).unwrap();
            let mine = find(&documents, &query).unwrap();
            let mut theirs = library(&documents, &query);
            if q.contains(',') {
                // Several selectors: RFC 9535 orders by node, then selector; the library
                // by selector, then node.
                let mut sorted = mine.clone();
                sorted.sort_by(|a, b| a.pointer.cmp(&b.pointer));
                theirs.sort_by(|a, b| a.pointer.cmp(&b.pointer));
                assert_eq!(sorted, theirs, "{q}");
            } else {
                assert_eq!(mine, theirs, "{q}");
            }
            assert!(!mine.is_empty(), "{q}");
        }
    }

    #[test]
    fn a_descendant_query_past_its_budget_is_refused() {
        // 120 nested levels over 20,000 numbers: `$..*` matches values whose nodes add up
        // to 120 times the numbers, past ten times the nodes plus 100,000.
        let depth = 120;
        let text = format!(
            "{}[{}]{}",
            "[".repeat(depth - 1),
            vec!["1"; 20_000].join(","),
            "]".repeat(depth - 1)
        );
        let documents = documents(&text, json::AZCLI_JSON);
        assert_eq!(documents.len(), 1);
        let query = jsonpath_rust::parser::parse_json_path("$..*").unwrap();
        let why = find(&documents, &query).unwrap_err();
        assert!(
            why.starts_with("the query costs more than its budget"),
            "{why}"
        );
        // Visiting every node is within it; it is what the matches hold that is not.
        let query = jsonpath_rust::parser::parse_json_path("$..[19999]").unwrap();
        assert_eq!(find(&documents, &query).unwrap().len(), 1);
        let query = jsonpath_rust::parser::parse_json_path("$..[?@==1]").unwrap();
        assert!(
            find(&documents, &query)
                .unwrap_err()
                .starts_with("the query costs")
        );
    }
}
