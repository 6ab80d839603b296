//! The whole examination of one file, shared by the `examine` fuzz target and
//! `tests/fuzz_regressions.rs` (which replays the inputs kept in `fuzz/regressions/` and
//! the seeds in `fuzz/seeds/examine/`): `scan::examine`, the function a scan runs on every
//! file and `explain` calls, then `explain` itself. The input is written to a file (the
//! examination reads it as a scan does: size limit, SHA-256, its own reports, decoding,
//! every parser, attribution with the path, every built-in check), under one of a few
//! reported paths: a folder naming a subscription, a folder and a file name naming two,
//! none, or one built from the input's first line (so the path's GUID search is fuzzed
//! too, without taking bytes away from the content).
//!
//! Checked beyond "no panic, no stack overflow": a read file is evaluated, with at least
//! one observation, one per (check, subscription) at most, each with a detail, attributed
//! exactly when it says where its subscription came from; `explain` renders it (unless it
//! is a report of this tool, which a scan skips and `explain` refuses).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use mdc_evidence::checks::{self, Checks};
use mdc_evidence::discover::Entry;
use mdc_evidence::model::FileStatus;
use mdc_evidence::scan;
use mdc_evidence::vocabulary::entry::{EntryKind, Skip};

/// The evidence file's reported path, named by the input's length: fixed paths, and one
/// holding the input's first line.
fn reported_path(data: &[u8]) -> String {
    const A: &str = "a58867d5-e483-45d5-a485-bf2bb651169a";
    const C: &str = "3f2c1b7e-9d4a-4e8b-8c6d-5a1f0e2d3c4b";
    match data.len() % 4 {
        0 => format!("evidence/{A}/fuzz-input.json"),
        1 => format!("evidence/{A}/fuzz-input_{C}.txt"),
        2 => "evidence/fuzz-input.txt".to_owned(),
        _ => {
            let line = data.split(|&b| b == b'\n').next().unwrap_or_default();
            let line = String::from_utf8_lossy(&line[..line.len().min(200)]);
            format!("evidence/{line}/fuzz-input.txt")
        }
    }
}

/// The file the input is written to: one per process and thread (the replaying tests run
/// in parallel threads of one process), removed after each input (left behind only by a
/// crash).
fn scratch() -> PathBuf {
    thread_local! {
        static PATH: PathBuf = {
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let thread = NEXT.fetch_add(1, Ordering::Relaxed);
            std::env::temp_dir().join(format!(
                "mdc-evidence-fuzz-{}-{thread}.txt",
                std::process::id()
            ))
        };
    }
    PATH.with(Clone::clone)
}

/// Every built-in check, as `explain` runs them (the WDATP check and the query checks).
fn all_checks() -> &'static Checks {
    static CHECKS: OnceLock<Checks> = OnceLock::new();
    CHECKS.get_or_init(|| Checks {
        checks: checks::builtin()
            .expect("the built-in checks")
            .into_iter()
            .map(Arc::new)
            .collect(),
        benchmark: None,
    })
}

/// Larger than any input libFuzzer makes: the size limit never skips one.
const MAX_FILE_SIZE: u64 = 64 << 20;

/// Examines `data` as one file and explains it; panics when an invariant does not hold.
pub fn check(data: &[u8]) {
    let scratch = scratch();
    let file = &scratch;
    std::fs::write(file, data).expect("the scratch file is written");
    let entry = Entry {
        path: reported_path(data),
        fs_path: file.clone(),
        kind: EntryKind::File,
        skip: None,
    };
    let examined = scan::examine(&entry, MAX_FILE_SIZE, all_checks());
    match &examined.record.status {
        FileStatus::Skipped(Skip::EarlierReport) => {}
        FileStatus::Skipped(skip) => panic!("a regular file was skipped: {skip:?}"),
        FileStatus::Evaluated(evaluated) => {
            assert!(examined.parsed.is_some(), "evaluated without a parse");
            // A file that is not evidence gives no observation and says why; any other file
            // gives at least one.
            assert_eq!(
                evaluated.observations.is_empty(),
                evaluated.not_evidence.is_some(),
                "observations and the not-evidence reason disagree: {:?}",
                evaluated.not_evidence
            );
            assert!(
                evaluated
                    .not_evidence
                    .as_ref()
                    .is_none_or(|why| !why.is_empty()),
                "an empty not-evidence reason"
            );
            let mut seen = BTreeSet::new();
            for o in &evaluated.observations {
                assert!(!o.detail.is_empty(), "an observation without detail: {o:?}");
                assert!(
                    seen.insert((o.check.id.clone(), o.subscription)),
                    "two observations of check {} for {:?}",
                    o.check.id,
                    o.subscription
                );
                assert_eq!(
                    o.subscription.is_none(),
                    o.source.is_none(),
                    "a subscription without its source, or a source without one: {o:?}"
                );
            }
        }
    }
    // `explain` refuses a report of this tool, as a scan skips it; it explains anything else.
    match (
        &examined.record.status,
        mdc_evidence::explain::explain(file, MAX_FILE_SIZE, None),
    ) {
        (FileStatus::Skipped(Skip::EarlierReport), _) => {}
        (_, Ok(explained)) => assert!(!explained.is_empty(), "explain printed nothing"),
        (_, Err(e)) => panic!("explain failed on a regular file: {e}"),
    }
    let _ = std::fs::remove_file(file);
}
