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
//!
//! Here: a file's documents, and each match given to its subscription and decided. How a
//! compiled query is evaluated within its work budget is in `find`.

mod find;
#[cfg(test)]
mod tests;

pub use find::{descendant_segments, find, pointer_of, work_budget};

use std::collections::HashMap;

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
