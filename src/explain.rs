//! `mdc-evidence explain <FILE>`: one file, laid out for an auditor checking it by hand:
//! its digest, encoding and shape, every setting it holds with its value and location, the
//! subscription of each observation and where that came from, and each outcome with why.
//!
//! The file goes through [`scan::examine`], the very function a scan runs on every file,
//! so `explain` and a report can never disagree; this module only renders the result.
//! File-derived text is stripped of control characters and cut to a readable length.
//! Beside each JSON pointer, [`locate`] gives the line and column of the value in the
//! decoded text, and the value as written where the parser only kept its kind.

mod hint;
mod locate;

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::path::Path;

use crate::checks::{self, Checks};
use crate::discover::Entry;
use crate::error::Error;
use crate::evaluate::{self, Observation};
use crate::formats::dates::Collected;
use crate::formats::{Body, Extent, Flag, Item, Location, Parsed, Setting};
use crate::model::{Evaluated, FileStatus};
use crate::scan::{self, Examined};
use crate::subscription::IdScope;
use crate::vocabulary::entry::EntryKind;
use locate::Source;

/// The most settings of one document listed; the rest are counted.
const SETTINGS_SHOWN: usize = 200;

/// Explains one file, named as the user gave it, for every built-in check, or for the one
/// `check` names.
///
/// # Errors
/// [`Error::Usage`] for a folder or a file that is not a regular file (never opened), or a
/// check that is not built in (the message names those that are); [`Error::Explain`] when
/// the file cannot be read.
pub fn explain(path: &Path, max_file_size: u64, check: Option<&str>) -> Result<String, Error> {
    let builtin = checks::builtin()?;
    let builtin = match check {
        None => builtin,
        Some(id) => {
            let (chosen, others): (Vec<_>, Vec<_>) = builtin.into_iter().partition(|c| c.id == id);
            if chosen.is_empty() {
                let ids: Vec<&str> = others.iter().map(|c| c.id.as_str()).collect();
                return Err(Error::Usage(format!(
                    "--check {:?} is not a built-in check: the built-in checks are {}",
                    clean(id),
                    ids.join(", ")
                )));
            }
            chosen
        }
    };
    let shown_as = crate::escape::display(path);
    if path.is_dir() {
        return Err(Error::Usage(format!(
            "{} is a folder: explain takes one file (use scan for folders)",
            clean(&shown_as)
        )));
    }
    // A FIFO, socket or device is never opened: opening some devices has effects.
    if let Ok(metadata) = std::fs::metadata(path)
        && !metadata.is_file()
    {
        let kind = EntryKind::of(metadata.file_type());
        return Err(Error::Usage(format!(
            "{} is not a regular file ({}): explain never opens FIFOs, sockets or devices",
            clean(&shown_as),
            kind.as_str()
        )));
    }
    let entry = Entry {
        path: shown_as,
        fs_path: path.to_path_buf(),
        kind: EntryKind::File,
        skip: None,
    };
    // Every built-in check's reading of the file, or the one asked for.
    let checks = Checks {
        checks: builtin.into_iter().map(std::sync::Arc::new).collect(),
        benchmark: None,
    };
    let examined = scan::examine(&entry, max_file_size, &checks);
    match (&examined.record.status, &examined.parsed) {
        (FileStatus::Evaluated(evaluated), Some(parsed)) => {
            let text = decoded_again(path, max_file_size, evaluated);
            let source = text.as_deref().map(Source::new);
            let mut out = String::new();
            // Writing to a `String` cannot fail.
            let _ = write!(
                out,
                "{}",
                Explanation {
                    examined: &examined,
                    evaluated,
                    parsed,
                    checks: &checks,
                    source: source.as_ref(),
                }
            );
            Ok(out)
        }
        (FileStatus::Skipped(skip), _) => Err(Error::Explain {
            path: path.to_path_buf(),
            reason: skip.clone(),
        }),
        (FileStatus::Evaluated(_), None) => Err(Error::Explain {
            path: path.to_path_buf(),
            reason: crate::vocabulary::entry::Skip::Unreadable("nothing was parsed".to_owned()),
        }),
    }
}

/// The file's decoded text, read again to place pointers in it; `None` when it cannot be
/// decoded, or its bytes are no longer those examined (then no position is shown).
fn decoded_again(path: &Path, max_file_size: u64, evaluated: &Evaluated) -> Option<String> {
    evaluated.encoding?;
    let contents = crate::read::read(path, max_file_size).ok()?;
    if contents.sha256 != evaluated.sha256 {
        return None;
    }
    let decoded = crate::decode::decode(&contents.bytes).ok()?;
    Some(decoded.text.into_owned())
}

/// What `explain` prints about one examined file.
struct Explanation<'a> {
    examined: &'a Examined,
    evaluated: &'a Evaluated,
    parsed: &'a Parsed,
    checks: &'a Checks,
    source: Option<&'a Source<'a>>,
}

impl fmt::Display for Explanation<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = self.evaluated;
        writeln!(f, "file:      {}", clean(&self.examined.record.path))?;
        writeln!(f, "size:      {}", crate::vocabulary::entry::bytes(e.size))?;
        writeln!(f, "sha256:    {}", e.sha256)?;
        let encoding = e.encoding.map_or("(cannot be decoded)", |e| e.as_str());
        writeln!(f, "encoding:  {encoding}")?;
        writeln!(f, "format:    {}", e.format)?;
        collected(e.collected.as_ref(), f)?;
        writeln!(f)?;
        contents(self.parsed, self.checks, self.source, f)?;
        writeln!(f)?;
        if e.not_evidence.is_some() {
            return writeln!(
                f,
                "observations: none (not evidence: reports count the file apart, among no \
                 subscription's observations)"
            );
        }
        writeln!(f, "observations:")?;
        e.observations
            .iter()
            .try_for_each(|o| observation(o, self.parsed, self.source, f))
    }
}

/// When the evidence was collected, where that date comes from, and by whom when it says.
fn collected(collected: Option<&Collected>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let Some(c) = collected else {
        return writeln!(
            f,
            "collected: (unknown: no date in the evidence, no file time)"
        );
    };
    write!(f, "collected: {}", c.at_text())?;
    if let Some(by) = &c.by {
        write!(f, " by {}", clean(by))?;
    }
    writeln!(f, "\n           from {}", c.source.description())
}

/// Lists what the parser found: settings, bare values, errors, or why nothing.
fn contents(
    parsed: &Parsed,
    checks: &Checks,
    source: Option<&Source<'_>>,
    f: &mut fmt::Formatter<'_>,
) -> fmt::Result {
    let items = match &parsed.body {
        Body::Items(items) => items,
        Body::Malformed(why) => return writeln!(f, "cannot be read: {}", clean(&why.to_string())),
        Body::Unrecognized(why) => return writeln!(f, "not evidence: {}", clean(&why.to_string())),
        Body::Empty => return writeln!(f, "empty file"),
    };
    for item in items {
        match item {
            Item::Settings { extent, settings } => {
                let extent = match extent {
                    Extent::Complete => "a complete list",
                    Extent::Page => "one page of a paged list (nextLink set)",
                    Extent::Single => "a single setting",
                    Extent::Listing => "a listing: complete when it holds several settings",
                    Extent::Filtered => "the output of a filtering command: never a whole list",
                };
                let entries = count(settings.len(), "entry", "entries");
                writeln!(f, "settings ({entries}, {extent}):")?;
                for s in settings.iter().take(SETTINGS_SHOWN) {
                    setting(s, checks, source, f)?;
                }
                if settings.len() > SETTINGS_SHOWN {
                    let more = count(settings.len() - SETTINGS_SHOWN, "entry", "entries");
                    writeln!(f, "   … and {more} more not shown")?;
                }
            }
            Item::Scalar { value, location } => writeln!(
                f,
                "bare value: {} at {} (the CIS one-liner prints WDATP's enabled)",
                value_text(value, location, source),
                place(location, source)
            )?,
            Item::Context { scope, location } => {
                let to = match scope {
                    IdScope::Subscription(sub) => sub.to_string(),
                    IdScope::Redacted(text) => {
                        format!("{:?} (not a subscription id)", clean(text))
                    }
                    IdScope::None => "(nothing)".to_owned(),
                };
                writeln!(f, "context switch at {} to {to}", place(location, source))?;
            }
            Item::CollectionError {
                summary, location, ..
            } => writeln!(
                f,
                "error at {}: {}",
                place(location, source),
                clean(summary)
            )?,
        }
    }
    Ok(())
}

/// One setting; `*` marks a setting one of the checks reads.
fn setting(
    setting: &Setting,
    checks: &Checks,
    source: Option<&Source<'_>>,
    f: &mut fmt::Formatter<'_>,
) -> fmt::Result {
    let name = setting.name.as_deref().unwrap_or("(no name)");
    let checked = checks
        .checks
        .iter()
        .filter_map(|c| c.setting())
        .any(|checked| evaluate::is_named(setting, checked));
    let marker = if checked { "*" } else { " " };
    write!(
        f,
        " {marker} {:<36} enabled = {:<10} at {}",
        clean(name),
        value_text(&setting.enabled, &setting.location, source),
        place(&setting.location, source)
    )?;
    if let Some(id) = &setting.id {
        write!(f, "\n      id {}", clean(id))?;
    }
    if let Some(note) = setting.recovered {
        write!(f, "\n      {note}")?;
    }
    writeln!(f)
}

fn observation(
    o: &Observation,
    parsed: &Parsed,
    source: Option<&Source<'_>>,
    f: &mut fmt::Formatter<'_>,
) -> fmt::Result {
    let subscription = match (&o.subscription, o.source) {
        (Some(sub), Some(source)) => format!("{sub} (from the {})", source.as_str()),
        (Some(sub), None) => sub.to_string(),
        (None, _) => "unattributed (see why)".to_owned(),
    };
    writeln!(f, "  check:        {}", o.check.id)?;
    writeln!(f, "  subscription: {subscription}")?;
    writeln!(f, "  outcome:      {}", o.outcome)?;
    if let Some(location) = &o.location {
        writeln!(f, "  location:     {}", place(location, source))?;
    }
    writeln!(f, "  why:          {}", clean(&o.detail))?;
    match hint::hint(o, parsed) {
        Some(hint) => writeln!(f, "  would count:  {hint}"),
        None => Ok(()),
    }
}

/// "1 entry", "3 entries".
fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// A location, and beside a JSON pointer the line and column of its value when found:
/// `/value/1/properties/enabled (line 18, column 20)`.
fn place(location: &Location, source: Option<&Source<'_>>) -> String {
    match (location, source) {
        (Location::Pointer(pointer), Some(source)) => match source.find(pointer) {
            Some(found) => format!(
                "{} (line {}, column {})",
                clean(pointer),
                found.position.line,
                found.position.column
            ),
            None => clean(pointer).into_owned(),
        },
        (Location::Pointer(pointer), None) => clean(pointer).into_owned(),
        (Location::Line(_), _) => location.to_string(),
    }
}

/// A value as the file wrote it: `true`, `"True"`, `null`; a value of another kind (a
/// number, an object) as its text in the file when it can be found there (`1`), else its
/// kind (`(a number)`).
fn value_text(flag: &Flag, location: &Location, source: Option<&Source<'_>>) -> String {
    match flag {
        Flag::Bool(b) => b.to_string(),
        Flag::Text(t) => format!("{:?}", clean(t)),
        Flag::Null => "null".to_owned(),
        Flag::Missing => "(missing)".to_owned(),
        Flag::Other(kind) => source
            .and_then(|source| source.raw(location))
            .map_or_else(|| format!("({kind})"), |raw| clean(&raw).into_owned()),
    }
}

/// File-derived text, safe to print on a terminal and cut to a readable length.
fn clean(text: &str) -> Cow<'_, str> {
    match crate::escape::excerpt(text, crate::escape::EXCERPT_CHARS * 2) {
        Cow::Borrowed(text) => crate::escape::printable(text, &[]),
        Cow::Owned(text) => Cow::Owned(crate::escape::printable(&text, &[]).into_owned()),
    }
}
