//! `mdc-evidence explain <FILE>`: one file, laid out for an auditor checking it by hand:
//! its digest, encoding and shape, every setting it holds with its value and location, the
//! subscription of each observation and where that came from, and each outcome with why.
//!
//! Runs the same read -> decode -> parse -> evaluate steps as a scan; renders text only.
//! File-derived text is stripped of control characters before it can reach a terminal.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::path::Path;

use crate::error::Error;
use crate::evaluate::{self, Observation};
use crate::formats::{Body, Flag, Item, Parsed, Setting};
use crate::{parse_bytes, read};

/// Explains one file, named as the user gave it.
///
/// # Errors
/// [`Error::Explain`] when the file cannot be read.
pub fn explain(path: &Path, max_file_size: u64) -> Result<String, Error> {
    let shown_as = crate::discover::display(path);
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
        let kind = crate::discover::EntryKind::of(metadata.file_type());
        return Err(Error::Usage(format!(
            "{} is not a regular file ({}): explain never opens FIFOs, sockets or devices",
            clean(&shown_as),
            kind.as_str()
        )));
    }
    let contents = read::read(path, max_file_size).map_err(|source| Error::Explain {
        path: path.to_path_buf(),
        source,
    })?;
    let (parsed, encoding) = parse_bytes(&contents.bytes);
    let observations = evaluate::evaluate(&parsed, &shown_as);
    let mut out = String::new();
    let _ = writeln!(out, "file:      {}", clean(&shown_as));
    let _ = writeln!(out, "size:      {} bytes", contents.bytes.len());
    let _ = writeln!(out, "sha256:    {}", contents.sha256);
    let _ = writeln!(
        out,
        "encoding:  {}",
        encoding.map_or("(cannot be decoded)", |e| e.as_str())
    );
    let _ = writeln!(out, "format:    {}", parsed.format);
    out.push('\n');
    describe_contents(&parsed, &mut out);
    out.push('\n');
    let _ = writeln!(out, "observations:");
    for o in &observations {
        describe_observation(o, &mut out);
    }
    Ok(out)
}

/// Lists what the parser found: settings, bare values, errors, or why nothing.
fn describe_contents(parsed: &Parsed, out: &mut String) {
    match &parsed.body {
        Body::Items(items) => {
            for item in items {
                match item {
                    Item::Settings { extent, settings } => {
                        let _ = writeln!(
                            out,
                            "settings ({}, {}):",
                            count(settings.len(), "entry", "entries"),
                            match extent {
                                crate::formats::Extent::Complete => "a complete list",
                                crate::formats::Extent::Page =>
                                    "one page of a paged list (nextLink set)",
                                crate::formats::Extent::Single => "a single setting",
                                crate::formats::Extent::Listing =>
                                    "a listing: complete when it holds several settings",
                            }
                        );
                        for setting in settings.iter().take(SETTINGS_SHOWN) {
                            describe_setting(setting, out);
                        }
                        if settings.len() > SETTINGS_SHOWN {
                            let _ = writeln!(
                                out,
                                "   … and {} more not shown",
                                count(settings.len() - SETTINGS_SHOWN, "entry", "entries")
                            );
                        }
                    }
                    Item::Scalar { value, location } => {
                        let _ = writeln!(
                            out,
                            "bare value: {} at {location} (the CIS one-liner prints WDATP's enabled)",
                            flag_text(value)
                        );
                    }
                    Item::Context { scope, location } => {
                        let to = match scope {
                            crate::subscription::IdScope::Subscription(sub) => sub.to_string(),
                            crate::subscription::IdScope::Redacted(text) => {
                                format!("{:?} (not a subscription id)", clean(text))
                            }
                            crate::subscription::IdScope::None => "(nothing)".to_owned(),
                        };
                        let _ = writeln!(out, "context switch at {location} to {to}");
                    }
                    Item::CollectionError {
                        summary, location, ..
                    } => {
                        let _ = writeln!(out, "error at {location}: {}", clean(summary));
                    }
                }
            }
        }
        Body::Malformed(why) => {
            let _ = writeln!(out, "cannot be read: {}", clean(why));
        }
        Body::Unrecognized(why) => {
            let _ = writeln!(out, "not evidence: {}", clean(why));
        }
        Body::Empty => {
            let _ = writeln!(out, "empty file");
        }
    }
}

fn describe_setting(setting: &Setting, out: &mut String) {
    let name = setting.name.as_deref().unwrap_or("(no name)");
    let marker = if evaluate::is_wdatp(setting) {
        "*"
    } else {
        " "
    };
    let _ = write!(
        out,
        " {marker} {:<36} enabled = {:<10} at {}",
        clean(name),
        flag_text(&setting.enabled),
        setting.location
    );
    if let Some(id) = &setting.id {
        let _ = write!(out, "\n      id {}", clean(id));
    }
    if let Some(note) = setting.recovered {
        let _ = write!(out, "\n      {note}");
    }
    out.push('\n');
}

fn describe_observation(o: &Observation, out: &mut String) {
    let subscription = match (&o.subscription, o.source) {
        (Some(sub), Some(source)) => format!("{sub} (from the {})", source.as_str()),
        (Some(sub), None) => sub.to_string(),
        (None, _) => "unattributed (see why)".to_owned(),
    };
    let _ = writeln!(out, "  subscription: {subscription}");
    let _ = writeln!(out, "  outcome:      {}", o.outcome);
    if let Some(location) = &o.location {
        let _ = writeln!(out, "  location:     {location}");
    }
    let _ = writeln!(out, "  why:          {}", clean(&o.detail));
}

/// The most settings of one document listed; the rest are counted.
const SETTINGS_SHOWN: usize = 200;

/// "1 entry", "3 entries".
fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

fn flag_text(flag: &Flag) -> String {
    match flag {
        Flag::Bool(b) => b.to_string(),
        Flag::Text(t) => format!("{:?}", clean(t)),
        Flag::Null => "null".to_owned(),
        Flag::Missing => "(missing)".to_owned(),
        Flag::Other(kind) => format!("({kind})"),
    }
}

/// File-derived text, safe to print on a terminal and cut to a readable length.
fn clean(text: &str) -> Cow<'_, str> {
    match crate::escape::excerpt(text, crate::escape::EXCERPT_CHARS * 2) {
        Cow::Borrowed(text) => crate::escape::printable(text, &[]),
        Cow::Owned(text) => Cow::Owned(crate::escape::printable(&text, &[]).into_owned()),
    }
}
