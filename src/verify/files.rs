//! A report checked file by file, without re-deriving anything else (a report that
//! cannot be re-derived): each file it lists against what is under its roots now
//! (`unchanged`, `changed`, `missing`, `unreadable`, `unverified`), and every file it does
//! not list (`new`), each under the path the report would show it by.

use std::collections::BTreeMap;
use std::path::PathBuf;

use rayon::prelude::*;

use super::{Checked, Manifest, ManifestFile, State, Verification};
use crate::discover::{self, Discovery};
use crate::error::Error;
use crate::read;
use crate::vocabulary::entry::{EntryKind, Skip};

/// The files of the report against those under `walked` now, without re-deriving
/// anything else (a report that cannot be re-derived). Files the report lists are hashed
/// through a fixed buffer, whatever their size; new files are read whole only up to
/// `limit` (the scan's `--max-file-size`), larger ones named with their size.
pub(super) fn check_files(
    manifest: &Manifest,
    walked: Vec<(PathBuf, String)>,
    threads: usize,
    limit: u64,
) -> Result<Verification, Error> {
    let follow_symlinks = manifest
        .run
        .command_line
        .iter()
        .any(|a| a == "--follow-symlinks");
    let discovered = discover::discover(&Discovery {
        roots: walked.iter().map(|(path, _)| path.clone()).collect(),
        follow_symlinks,
        ..Discovery::default()
    })?;
    // Each entry under the path the report would show it by: each walked root as shown,
    // with the root the report recorded for it.
    let shown: Vec<(String, &str)> = walked
        .iter()
        .map(|(path, recorded)| (crate::escape::display(path), recorded.as_str()))
        .collect();
    let present: BTreeMap<String, discover::Entry> = discovered
        .entries
        .into_iter()
        .map(|entry| (reported_path(&entry.path, &shown), entry))
        .collect();
    let recorded: BTreeMap<&str, &ManifestFile> = manifest
        .files
        .iter()
        .map(|f| (f.path.as_str(), f))
        .collect();
    let threads = read::threads(threads);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|source| Error::Threads { threads, source })?;
    let mut files: Vec<Checked> = pool.install(|| {
        let known = manifest
            .files
            .par_iter()
            .map(|file| check_recorded(file, present.get(&file.path)));
        let new = present
            .par_iter()
            .filter(|(path, _)| !recorded.contains_key(path.as_str()))
            .filter_map(|(path, entry)| check_new(path, entry, limit));
        known.chain(new).collect()
    });
    files.sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
    Ok(Verification {
        schema_version: manifest.schema_version,
        roots: walked.into_iter().map(|(_, shown)| shown).collect(),
        report_roots: None,
        files,
        differences: Vec::new(),
        not_rederived: None,
    })
}

/// The path the report shows for an entry found under a walked root: the recorded root
/// in place of the walked one.
fn reported_path(found: &str, roots: &[(String, &str)]) -> String {
    for (shown_as, recorded) in roots {
        if found == shown_as {
            return (*recorded).to_owned();
        }
        if let Some(rest) = found.strip_prefix(shown_as.as_str())
            && (shown_as.ends_with('/') || rest.starts_with('/'))
        {
            let rest = rest.trim_start_matches('/');
            return if recorded.ends_with('/') {
                format!("{recorded}{rest}")
            } else {
                format!("{recorded}/{rest}")
            };
        }
    }
    found.to_owned()
}

/// A file the report lists: compared with what is there now.
fn check_recorded(file: &ManifestFile, entry: Option<&discover::Entry>) -> Checked {
    let mut checked = Checked {
        path: file.path.clone(),
        report_path: None,
        state: State::Unchanged,
        recorded_sha256: file.sha256.clone(),
        recorded_size: file.size,
        sha256: None,
        size: None,
        note: None,
        verdicts: Vec::new(),
    };
    let Some(entry) = entry else {
        checked.state = State::Missing;
        return checked;
    };
    let Some(recorded) = &file.sha256 else {
        checked.state = State::Unverified;
        checked.note = Some(match &file.reason {
            Some(reason) => format!("the scan did not read it ({}): {reason}", file.status),
            None => format!("the report records no digest ({})", file.status),
        });
        return checked;
    };
    if entry.kind != EntryKind::File {
        checked.state = State::Changed;
        checked.note = Some(format!("now a {}, not a file", entry.kind.as_str()));
        return checked;
    }
    match read::digest(&entry.fs_path) {
        Ok((sha256, size)) => {
            checked.state = if sha256.as_str() == recorded.as_str() && Some(size) == file.size {
                State::Unchanged
            } else {
                State::Changed
            };
            checked.sha256 = Some(sha256.to_string());
            checked.size = Some(size);
        }
        Err(error) => {
            checked.state = State::Unreadable;
            checked.note = Some(error.to_string());
        }
    }
    checked
}

/// A file the report does not list: `new`, unless it is a report or temporary file of
/// this tool (the verified report itself is usually under its root). A file larger than
/// `limit` is named with its size, neither read nor hashed.
fn check_new(path: &str, entry: &discover::Entry, limit: u64) -> Option<Checked> {
    let mut checked = Checked {
        path: path.to_owned(),
        report_path: None,
        state: State::New,
        recorded_sha256: None,
        recorded_size: None,
        sha256: None,
        size: None,
        note: None,
        verdicts: Vec::new(),
    };
    if matches!(entry.skip, Some(Skip::TemporaryFile)) {
        return None;
    }
    if entry.kind != EntryKind::File {
        checked.note = Some(format!("a {}, never opened", entry.kind.as_str()));
        return Some(checked);
    }
    match read::read(&entry.fs_path, limit) {
        Ok(contents) if crate::own_reports::is_whole_report(&contents.bytes) => None,
        Ok(contents) => {
            checked.size = Some(u64::try_from(contents.bytes.len()).unwrap_or(u64::MAX));
            checked.sha256 = Some(contents.sha256.to_string());
            Some(checked)
        }
        Err(error) => {
            if let crate::error::FileError::TooLarge { size, .. } = &error {
                checked.size = Some(*size);
            }
            checked.note = Some(error.to_string());
            Some(checked)
        }
    }
}
