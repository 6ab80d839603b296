//! A compiled `JSONPath` evaluated in a file's documents, within a work budget: descendant
//! segments are walked one node at a time, never by materialising every path, and a query
//! that would visit more nodes than its budget is stopped with a reason.

use jsonpath_rust::parser::model::{JpQuery, Segment, Selector};
use jsonpath_rust::query::js_path_process;
use serde_json::Value;

use super::{Document, Match};

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
