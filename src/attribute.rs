//! Attribution: whose each entry of a file is. Runs once per file, before and apart from
//! the decision rule: it groups a file's settings, bare values and error records by the
//! subscription they belong to, by the rules of [`attribute`], and never decides an
//! outcome. The same for every shape, it never depends on the folder a file sits in unless
//! nothing in the file names a subscription.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::escape::{EXCERPT_CHARS, excerpt};
use crate::formats::{Extent, Flag, Item, Location, Setting};
use crate::subscription::{self, IdScope, PathScope, SubscriptionId};

/// Where an observation's subscription id came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A resource id or error scope inside the file.
    Content,
    /// The GUID nearest the file in its path.
    Path,
}

impl Source {
    /// The name used in reports.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Content => "content",
            Self::Path => "path",
        }
    }
}

/// The entries of a file that belong to one subscription (or to none), and how they were
/// placed.
#[derive(Debug)]
pub struct Attributed<'a> {
    /// The subscription, or `None` when unattributed.
    pub subscription: Option<SubscriptionId>,
    /// Where it came from.
    pub source: Option<Source>,
    /// How the entries were placed, when that needs saying (a redaction, why unattributed).
    pub note: Option<String>,
    /// The entries.
    pub group: Group<'a>,
}

/// Everything a file holds about one subscription.
#[derive(Debug, Default)]
pub struct Group<'a> {
    /// Each setting with how complete its document is, and which document (item) it is in.
    pub settings: Vec<(&'a Setting, Extent, usize)>,
    /// Bare values (the CIS one-liner's output), with where they are.
    pub scalars: Vec<(&'a Flag, &'a Location)>,
    /// Records of failed collections: a one-line summary, with where they are.
    pub errors: Vec<(&'a str, &'a Location)>,
}

/// Whose an entry without a subscription id of its own is (see [`attribute`]).
enum Owner {
    /// The subscription its document, or else the file's content, names.
    Named(SubscriptionId),
    /// Its document names several subscriptions.
    DocumentNamesSeveral,
    /// Its document names none and the file's content names several.
    FileNamesSeveral,
    /// Nothing in the file names a subscription: the path decides.
    Path,
    /// It follows a context switch to a subscription named otherwise than by its id.
    SwitchedToUnnamed,
}

/// The subscription a resource id or error scope names, if it names one.
fn named(scope: &IdScope) -> Option<&SubscriptionId> {
    match scope {
        IdScope::Subscription(sub) => Some(sub),
        IdScope::Redacted(_) | IdScope::None => None,
    }
}

/// Every subscription the file's content names: setting ids and error scopes.
fn named_in_file<'s>(
    items: &'s [Item],
    scopes: &'s [Vec<IdScope>],
) -> BTreeSet<&'s SubscriptionId> {
    let mut subscriptions = BTreeSet::new();
    for (item, scopes) in items.iter().zip(scopes) {
        match item {
            Item::Settings { .. } => subscriptions.extend(scopes.iter().filter_map(named)),
            Item::CollectionError { scope, .. } | Item::Context { scope, .. } => {
                subscriptions.extend(named(scope));
            }
            Item::Scalar { .. } => {}
        }
    }
    subscriptions
}

/// Whose a setting says it is: the subscription of its resource id, else the one a
/// `SubscriptionId` column or field of its row names. A tenant id is never taken: only a
/// column named for the subscription is read.
fn scope_of_setting(setting: &crate::formats::Setting) -> IdScope {
    let by_id = setting
        .id
        .as_deref()
        .map_or(IdScope::None, subscription::scope_of_resource_id);
    if matches!(by_id, IdScope::Subscription(_)) {
        return by_id;
    }
    match setting.subscription.as_deref().map(str::trim) {
        Some(text) => subscription::SubscriptionId::parse(text)
            .map_or(IdScope::Redacted(text.to_owned()), IdScope::Subscription),
        None => by_id,
    }
}

/// The scope of each setting's id, per item (empty for items that are not settings).
fn scopes_of(items: &[Item]) -> Vec<Vec<IdScope>> {
    items
        .iter()
        .map(|item| match item {
            Item::Settings { settings, .. } => settings.iter().map(scope_of_setting).collect(),
            _ => Vec::new(),
        })
        .collect()
}

/// Places a file's items. Attribution, the same for every shape, never depends on the
/// folder a file sits in unless nothing in the file names a subscription:
/// 1. an entry with a subscription id of its own (`/subscriptions/<GUID>/...`, an error's
///    scope) belongs to that subscription;
/// 2. an entry without one (an id cut short or redacted, a table without ids, a bare value,
///    an error naming no scope) belongs to the one subscription its own document (one JSON
///    document, one command output) names; when its document names several, it is
///    unattributed;
/// 3. when its document names none and a context switch (`Set-AzContext -Subscription
///    <GUID>`, `az account set`) comes before it, it belongs to the subscription switched
///    to (unattributed after a switch by name);
/// 4. otherwise it belongs to the one subscription the whole file's content names (a retry
///    after a failed attempt for that subscription, another command's output for it); when
///    the file names several, it is unattributed;
/// 5. only when nothing in the file names a subscription does the path decide: the GUID
///    nearest the file, file name first.
#[must_use]
pub fn attribute<'a>(items: &'a [Item], path: &str) -> Vec<Attributed<'a>> {
    let scopes = scopes_of(items);
    let mut attribution = Attribution::new(items, &scopes);
    for (batch, (item, scopes)) in items.iter().zip(&scopes).enumerate() {
        attribution.place(batch, item, scopes);
    }
    attribution.into_groups(path)
}

/// A file's entries as they are placed, in order, by the rules of [`attribute`].
struct Attribution<'a> {
    /// Whose an entry is when nothing closer names a subscription (rules 4 and 5).
    fallback: Owner,
    /// The subscription switched to by the last context switch, if any (rule 3).
    context: Option<Owner>,
    groups: BTreeMap<SubscriptionId, Group<'a>>,
    by_path: Group<'a>,
    unattributed: Group<'a>,
    /// Why entries are unattributed, each at most once, in the order of [`Owner`].
    reasons: BTreeSet<u8>,
    /// The first redacted id among the entries not given to a subscription.
    redacted: Option<&'a str>,
}

impl<'a> Attribution<'a> {
    fn new(items: &[Item], scopes: &[Vec<IdScope>]) -> Self {
        let in_file = named_in_file(items, scopes);
        let fallback = match in_file.len() {
            0 => Owner::Path,
            1 => in_file
                .first()
                .map_or(Owner::Path, |sub| Owner::Named(*(*sub))),
            _ => Owner::FileNamesSeveral,
        };
        Self {
            fallback,
            context: None,
            groups: BTreeMap::new(),
            by_path: Group::default(),
            unattributed: Group::default(),
            reasons: BTreeSet::new(),
            redacted: None,
        }
    }

    /// Whose an entry without an id of its own is, given its document's owner.
    fn owner<'o>(&'o self, document: Option<&'o Owner>) -> &'o Owner {
        document.or(self.context.as_ref()).unwrap_or(&self.fallback)
    }

    /// The group an entry without an id of its own goes to, given its document's owner.
    fn group_for(&mut self, document: Option<&Owner>) -> &mut Group<'a> {
        let reason = match self.owner(document) {
            Owner::Named(sub) => return self.groups.entry(*sub).or_default(),
            Owner::Path => return &mut self.by_path,
            Owner::DocumentNamesSeveral => 0,
            Owner::FileNamesSeveral => 1,
            Owner::SwitchedToUnnamed => 2,
        };
        self.reasons.insert(reason);
        &mut self.unattributed
    }

    fn place(&mut self, batch: usize, item: &'a Item, scopes: &[IdScope]) {
        match item {
            Item::Settings { extent, settings } => {
                let mut in_document = scopes.iter().filter_map(named);
                let document = in_document.next().map(|first| {
                    if in_document.all(|other| other == first) {
                        Owner::Named(*first)
                    } else {
                        Owner::DocumentNamesSeveral
                    }
                });
                for (setting, scope) in settings.iter().zip(scopes) {
                    let entry = (setting, *extent, batch);
                    if let Some(sub) = named(scope) {
                        self.groups.entry(*sub).or_default().settings.push(entry);
                        continue;
                    }
                    if !matches!(self.owner(document.as_ref()), Owner::Named(_)) {
                        self.redacted = self.redacted.or(setting.id.as_deref());
                    }
                    self.group_for(document.as_ref()).settings.push(entry);
                }
            }
            Item::Scalar { value, location } => {
                self.group_for(None).scalars.push((value, location));
            }
            Item::Context { scope, .. } => {
                self.context =
                    Some(named(scope).map_or(Owner::SwitchedToUnnamed, |sub| Owner::Named(*sub)));
            }
            Item::CollectionError {
                summary,
                scope,
                location,
            } => {
                let entry = (summary.as_str(), location);
                match named(scope) {
                    Some(sub) => self.groups.entry(*sub).or_default().errors.push(entry),
                    None => self.group_for(None).errors.push(entry),
                }
            }
        }
    }

    fn into_groups(self, path: &str) -> Vec<Attributed<'a>> {
        const REASONS: [&str; 3] = [
            "their document names several subscriptions",
            "their document names none and the file names several subscriptions",
            "they follow a context switch to a subscription named otherwise than by its id",
        ];
        let redaction = self.redacted.map(|id| {
            format!(
                "the subscription in the content is redacted or not a subscription id ({})",
                excerpt(id, EXCERPT_CHARS)
            )
        });
        let mut placed = Vec::with_capacity(self.groups.len() + 2);
        for (subscription, group) in self.groups {
            placed.push(Attributed {
                subscription: Some(subscription),
                source: Some(Source::Content),
                note: None,
                group,
            });
        }
        let mut unattributed = self.unattributed;
        // Entries before a context switch by name, in a file that names no subscription
        // otherwise, go by the path; when the path names none either, they join the
        // entries after the switch: one unattributed group per file.
        let mut path_reason = None;
        if !self.by_path.is_empty() {
            let (subscription, source, note) = attribute_by_path(path, redaction.clone());
            match (subscription, unattributed.is_empty()) {
                (None, false) => {
                    let mut group = self.by_path;
                    group.append(&mut unattributed);
                    unattributed = group;
                    path_reason = Some(
                        "they come before any context switch, and the path names no \
                         subscription",
                    );
                }
                _ => placed.push(Attributed {
                    subscription,
                    source,
                    note,
                    group: self.by_path,
                }),
            }
        }
        // One unattributed group per file, whatever kept its entries from a subscription.
        if !unattributed.is_empty() {
            let reasons: Vec<&str> = self
                .reasons
                .iter()
                .filter_map(|&r| REASONS.get(usize::from(r)).copied())
                .chain(path_reason)
                .collect();
            let note = join_note(
                redaction,
                format!(
                    "unattributed: these entries carry no subscription id of their own, and {}",
                    reasons.join("; or ")
                ),
            );
            placed.push(Attributed {
                subscription: None,
                source: None,
                note: Some(note),
                group: unattributed,
            });
        }
        placed
    }
}

impl Group<'_> {
    /// Moves `other`'s entries after this group's, leaving `other` empty.
    fn append(&mut self, other: &mut Self) {
        self.settings.append(&mut other.settings);
        self.scalars.append(&mut other.scalars);
        self.errors.append(&mut other.errors);
    }

    /// Whether the group holds nothing.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.settings.is_empty() && self.scalars.is_empty() && self.errors.is_empty()
    }
}

/// The subscription named by the path, when the content names none: the subscription,
/// its source and the note to prefix a detail with.
#[must_use]
pub fn attribute_by_path(
    path: &str,
    note: Option<String>,
) -> (Option<SubscriptionId>, Option<Source>, Option<String>) {
    match subscription::scope_of_path(path) {
        PathScope::Found(sub) => (Some(sub), Some(Source::Path), note),
        PathScope::Ambiguous(component) => (
            None,
            None,
            Some(join_note(
                note,
                format!(
                    "unattributed: the path component {component:?} names two different subscriptions"
                ),
            )),
        ),
        PathScope::None => (
            None,
            None,
            Some(join_note(
                note,
                "unattributed: neither the content nor the path names a subscription".to_owned(),
            )),
        ),
    }
}

/// The subscription named by the path of a file whose content names subscriptions in
/// resource ids without any settings evidence for them (`unreadable`: without any that can
/// be read): as [`attribute_by_path`], with a note that does not claim the content names
/// none.
#[must_use]
pub fn attribute_by_path_when_content_names(
    path: &str,
    unreadable: bool,
) -> (Option<SubscriptionId>, Option<Source>, Option<String>) {
    match attribute_by_path(path, None) {
        (None, None, Some(note)) if note.starts_with("unattributed: neither") => (
            None,
            None,
            Some(format!(
                "unattributed: the subscriptions the content names come with no settings \
                 evidence{}, and the path names none",
                if unreadable { " that can be read" } else { "" }
            )),
        ),
        other => other,
    }
}

/// `note; detail`, or `detail` alone.
#[must_use]
pub fn join_note(note: Option<String>, detail: String) -> String {
    match note {
        Some(note) => format!("{note}; {detail}"),
        None => detail,
    }
}
