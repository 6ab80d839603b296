//! The oracle: the observations and verdicts the README promises for a case, computed from
//! the model and the locations the renderer recorded, never from the files' bytes.
//!
//! Rules applied (README "What it decides", "How the shapes are read", and the attribution
//! rule being adopted): a setting is WDATP when its name is exactly `WDATP` in any case;
//! a name that contradicts its id (one says WDATP, the other not) is malformed; a REST list is
//! complete unless it has `nextLink` (then a page); every other listing is whole for a
//! subscription when one document shows several different settings of it; one setting says
//! nothing unless it is WDATP. Attribution (the doc comment of `evaluate_items`):
//! 1. rows with a full id (and errors naming a scope) belong to that subscription;
//! 2. rows without one (redacted, cut, no id column), scalars and errors without a scope
//!    belong to the subscription their document names when it names exactly one, and are
//!    unattributed when it names several;
//! 3. when their document names none and a context switch comes before them in the
//!    transcript, they belong to the subscription switched to (unattributed after a switch
//!    by name, unless the context table printed after it shows the whole GUID);
//! 4. otherwise to the one subscription the file's content names (ids, error scopes, context
//!    switches), unattributed when it names several;
//! 5. to the path when nothing in the file names a subscription.
//!
//! A wrapped REST response (HTTP capture, `Invoke-AzRestMethod`, documentation example) is
//! read as the response it holds, at the locations the renderer wrote.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{Case, File, IdMode, Kind, Row, Value};
use crate::render::Rendered;

/// Where the deciding value is expected; `Any` where the README does not say.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Loc {
    At(String),
    /// Several entries decide alike (or are all unreadable): the README does not say which
    /// one the location names, so any of them.
    OneOf(Vec<String>),
    Nothing,
    Any,
}

impl Loc {
    pub fn matches(&self, actual: Option<&str>) -> bool {
        match self {
            Self::At(at) => actual == Some(at.as_str()),
            Self::OneOf(all) => actual.is_some_and(|a| all.iter().any(|at| at == a)),
            Self::Nothing => actual.is_none(),
            Self::Any => true,
        }
    }
}

impl std::fmt::Display for Loc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::At(at) => f.write_str(at),
            Self::OneOf(all) => write!(f, "one of {}", all.join(" | ")),
            Self::Nothing => f.write_str("-"),
            Self::Any => f.write_str("(any)"),
        }
    }
}

/// One expected observation.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Expected {
    pub path: String,
    pub sub: Option<String>,
    pub outcome: &'static str,
    pub loc: Loc,
    /// What the `detail` must say, if anything (README: JSON with comments: "`detail` says
    /// comments were ignored").
    pub note: Option<&'static str>,
    /// Whether the entries behind it include an error record the settings decided over (a
    /// failed attempt before its retry): "the failure is still listed".
    pub errors_beside: bool,
}

/// What the detail of every observation of a JSON file with comments says.
pub const COMMENTS_NOTE: &str = "comments";

/// Whether id-less rows in a document that names no subscription stay unattributed when
/// another document of the file names one (README: "the rest of the same document (or
/// command output)"), instead of belonging to the one subscription the file names (the rule
/// being adopted). `MDC_DIFF_IDLESS=document` chooses the README's reading.
fn per_document() -> bool {
    std::env::var("MDC_DIFF_IDLESS").is_ok_and(|v| v == "document")
}

/// Whose a group of entries is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Sub(usize),
    /// Attributed by the path (or unattributed when the path names none).
    Path,
    Unattributed,
}

/// How much of a subscription's settings a block shows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Extent {
    Complete,
    Page,
    Listing,
}

fn extent(kind: &Kind) -> Extent {
    match kind {
        Kind::Wrapped { inner, .. } => extent(inner),
        Kind::RestList {
            next_link: true, ..
        } => Extent::Page,
        Kind::RestList { .. } => Extent::Complete,
        _ => Extent::Listing,
    }
}

/// Everything a file says about one key, in file order.
#[derive(Default)]
struct Group<'a> {
    /// (block, row, location)
    rows: Vec<(usize, &'a Row, &'a str)>,
    /// (value text, location)
    scalars: Vec<(&'a str, &'a str)>,
    /// locations of error records
    errors: Vec<&'a str>,
}

/// The subscriptions a block names: full ids of its rows, or its error's scope.
fn named_by(block: &crate::model::Block) -> BTreeSet<usize> {
    let mut named: BTreeSet<usize> = block
        .rows
        .iter()
        .filter(|r| r.has_full_id())
        .map(|r| r.sub)
        .collect();
    if let Some(s) = block.kind.failure().and_then(crate::model::Failure::scope) {
        named.insert(s);
    }
    if let Some(Key::Sub(s)) = switched_to(&block.kind) {
        named.insert(s);
    }
    // A HAR entry's URL names the subscription of its call.
    if let Kind::Wrapped {
        wrapper: crate::model::Wrapper::Har { .. },
        ..
    } = block.kind
        && let Some(s) = block
            .rows
            .first()
            .map(|r| r.sub)
            .or(block.kind.failure().and_then(crate::model::Failure::scope))
    {
        named.insert(s);
    }
    named
}

/// Whose the entries after a context switch are: the subscription switched to when the
/// command or the context table shows its GUID, else nobody's that can be named.
fn switched_to(kind: &Kind) -> Option<Key> {
    match kind {
        Kind::Context {
            sub,
            by_name,
            table,
            ..
        } => Some(if !by_name || *table == Some(true) {
            Key::Sub(*sub)
        } else {
            Key::Unattributed
        }),
        _ => None,
    }
}

fn is_wdatp(name: &str) -> bool {
    name.eq_ignore_ascii_case("WDATP")
}

/// The observations of one file.
/// A file giving nothing to decide: one `unrecognized` observation placed by its path; but
/// only `az account show` output (its GUID no resource id) in a path naming no subscription
/// is not evidence, with no observation at all.
fn nothing_decided(file: &File, by_path: impl Fn(&'static str, Loc) -> Expected) -> Vec<Expected> {
    let foreign = file
        .blocks
        .iter()
        .all(|b| matches!(b.kind, Kind::AccountShow { .. }));
    if foreign && file.path_sub().is_none() {
        return Vec::new();
    }
    vec![by_path("unrecognized", Loc::Nothing)]
}

pub fn observations(case: &Case, file: &File, rendered: &Rendered, path: &str) -> Vec<Expected> {
    // Compared only when the `jsonc` kind is enabled: it is what that kind covers.
    let note = (file.comments && crate::model::mix::is_enabled(crate::model::mix::Mix::Jsonc))
        .then_some(COMMENTS_NOTE);
    let by_path = |outcome, loc| Expected {
        path: path.to_owned(),
        sub: file.path_sub().map(|s| case.subs[s].guid.clone()),
        outcome,
        loc,
        note,
        errors_beside: false,
    };
    if file.blocks.iter().all(|b| b.kind == Kind::Empty) {
        return vec![by_path("collection_error", Loc::Nothing)];
    }
    if file.blocks.iter().any(|b| {
        matches!(
            b.kind,
            Kind::Csv {
                broken: Some(_),
                ..
            }
        )
    }) {
        // README: a CSV that cannot be read is malformed; where is not said.
        return vec![by_path("malformed", Loc::Any)];
    }
    if file
        .blocks
        .iter()
        .any(|b| b.rows.iter().any(|row| row.dup && is_wdatp(&row.name_text)))
    {
        // README "Two values in one record": the record, so the file, is malformed, and a
        // malformed file is attributed by its path only ("Where the subscription comes
        // from"); which of the two values the detail names first is not said.
        return vec![by_path("malformed", Loc::Any)];
    }
    let file_named: BTreeSet<usize> = file.blocks.iter().flat_map(named_by).collect();
    let fallback = match file_named.len() {
        0 => Key::Path,
        1 if !per_document() => Key::Sub(*file_named.first().unwrap()),
        _ => Key::Unattributed,
    };
    let mut groups: BTreeMap<Key, Group<'_>> = BTreeMap::new();
    // The last context switch so far (rule 3).
    let mut context: Option<Key> = None;
    for (b, block) in file.blocks.iter().enumerate() {
        if let Some(key) = switched_to(&block.kind) {
            context = Some(key);
            continue;
        }
        let named = named_by(block);
        let unnamed = match named.len() {
            0 => context.unwrap_or(fallback),
            1 => Key::Sub(*named.first().unwrap()),
            _ => Key::Unattributed,
        };
        for (row, loc) in block.rows.iter().zip(&rendered.row_locs[b]) {
            let key = if row.has_full_id() {
                Key::Sub(row.sub)
            } else {
                unnamed
            };
            groups.entry(key).or_default().rows.push((b, row, loc));
        }
        let own = rendered.block_locs[b].as_deref();
        match (&block.kind, own) {
            (Kind::Scalar { text } | Kind::AzQuery { text }, Some(loc)) => {
                groups.entry(unnamed).or_default().scalars.push((text, loc));
            }
            (kind, Some(loc)) if kind.failure().is_some() => {
                let key = kind
                    .failure()
                    .and_then(crate::model::Failure::scope)
                    .map_or(unnamed, Key::Sub);
                groups.entry(key).or_default().errors.push(loc);
            }
            _ => {}
        }
    }
    if groups.is_empty() {
        return nothing_decided(file, by_path);
    }
    if file.path_sub().is_none() {
        one_unattributed(&mut groups);
    }
    groups
        .iter()
        .map(|(key, group)| {
            let (outcome, loc) = decide(file, group);
            let sub = match key {
                Key::Sub(s) => Some(*s),
                Key::Path => file.path_sub(),
                Key::Unattributed => None,
            };
            let deciding = matches!(outcome, "enabled" | "disabled" | "absent");
            Expected {
                path: path.to_owned(),
                sub: sub.map(|s| case.subs[s].guid.clone()),
                outcome,
                loc,
                note,
                errors_beside: deciding && !group.errors.is_empty(),
            }
        })
        .collect()
}

/// README "Where the subscription comes from": what no rule places is one unattributed
/// observation per file. Entries the path would place, when it names none, join the
/// unattributed ones (those after a switch by name); they come first in the file.
fn one_unattributed(groups: &mut BTreeMap<Key, Group<'_>>) {
    if groups.contains_key(&Key::Unattributed)
        && let Some(mut first) = groups.remove(&Key::Path)
    {
        let after = groups.remove(&Key::Unattributed).unwrap_or_default();
        first.rows.extend(after.rows);
        first.scalars.extend(after.scalars);
        first.errors.extend(after.errors);
        groups.insert(Key::Unattributed, first);
    }
}

/// Decides values: the first unreadable one is malformed, disagreeing ones are malformed at
/// the first, else the value at the first.
fn decide_values(values: &[(Option<bool>, &str)]) -> (&'static str, Loc) {
    let unreadable: Vec<&str> = values
        .iter()
        .filter(|(v, _)| v.is_none())
        .map(|(_, loc)| *loc)
        .collect();
    if !unreadable.is_empty() {
        return ("malformed", one_of(&unreadable));
    }
    let all: Vec<&str> = values.iter().map(|(_, loc)| *loc).collect();
    let first = values[0].0;
    if values.iter().any(|(v, _)| *v != first) {
        return ("malformed", one_of(&all));
    }
    (
        if first == Some(true) {
            "enabled"
        } else {
            "disabled"
        },
        one_of(&all),
    )
}

fn one_of(locs: &[&str]) -> Loc {
    match locs {
        [one] => Loc::At((*one).to_owned()),
        many => Loc::OneOf(many.iter().map(|l| (*l).to_owned()).collect()),
    }
}

fn decide(file: &File, group: &Group<'_>) -> (&'static str, Loc) {
    let contradicting: Vec<&str> = group
        .rows
        .iter()
        .filter(|(_, row, _)| {
            let has_id = row.id != IdMode::None && row.id != IdMode::Cut;
            has_id && is_wdatp(&row.name_text) != is_wdatp(row.id_setting())
        })
        .map(|(_, _, loc)| *loc)
        .collect();
    if !contradicting.is_empty() {
        return ("malformed", one_of(&contradicting));
    }
    let wdatp: Vec<(Option<bool>, &str)> = group
        .rows
        .iter()
        .filter(|(_, row, _)| is_wdatp(&row.name_text))
        .map(|(_, row, loc)| (row.value.reading(), *loc))
        .collect();
    if !wdatp.is_empty() {
        return decide_values(&wdatp);
    }
    if !group.scalars.is_empty() {
        let values: Vec<(Option<bool>, &str)> = group
            .scalars
            .iter()
            .map(|(text, loc)| (Value::Text((*text).to_owned()).reading(), *loc))
            .collect();
        return decide_values(&values);
    }
    if !group.rows.is_empty() {
        let mut names: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
        let mut page = false;
        for (b, row, _) in &group.rows {
            match extent(&file.blocks[*b].kind) {
                Extent::Complete => return ("absent", Loc::Nothing),
                Extent::Page => {
                    page = true;
                    continue;
                }
                Extent::Listing => {}
            }
            names
                .entry(*b)
                .or_default()
                .insert(row.name_text.to_ascii_uppercase());
        }
        if names.values().any(|n| n.len() > 1) {
            return ("absent", Loc::Nothing);
        }
        if page {
            return ("collection_error", Loc::Nothing);
        }
        // A failed attempt beside rows that decide nothing is the outcome (README: the
        // failure is listed, never hidden behind "unrecognized").
        if !group.errors.is_empty() {
            return ("collection_error", one_of(&group.errors));
        }
        return ("unrecognized", Loc::Nothing);
    }
    if !group.errors.is_empty() {
        return ("collection_error", one_of(&group.errors));
    }
    ("unrecognized", Loc::Nothing)
}

/// The subscriptions whose verdict the README flags `collection_errors`: a deciding
/// observation, and a failed collection beside it (in another file, or before a retry in
/// the same file).
pub fn collection_errors(observations: &[Expected]) -> BTreeSet<String> {
    let verdicts = verdicts(observations);
    observations
        .iter()
        .filter(|o| o.outcome == "collection_error" || o.errors_beside)
        .filter_map(|o| o.sub.clone())
        .filter(|s| matches!(verdicts.get(s), Some(&("pass" | "fail" | "conflict"))))
        .collect()
}

/// The verdict of every subscription with an attributed observation.
pub fn verdicts(observations: &[Expected]) -> BTreeMap<String, &'static str> {
    let mut deciding: BTreeMap<String, BTreeSet<&'static str>> = BTreeMap::new();
    for o in observations {
        if let Some(sub) = &o.sub {
            let set = deciding.entry(sub.clone()).or_default();
            if matches!(o.outcome, "enabled" | "disabled" | "absent") {
                set.insert(if o.outcome == "enabled" {
                    "enabled"
                } else {
                    "off"
                });
            }
        }
    }
    deciding
        .into_iter()
        .map(|(sub, set)| {
            let verdict = match (set.contains("enabled"), set.contains("off")) {
                (false, false) => "no_evidence",
                (true, false) => "pass",
                (false, true) => "fail",
                (true, true) => "conflict",
            };
            (sub, verdict)
        })
        .collect()
}
