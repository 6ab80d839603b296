//! Randomized differential test: generates seeded ground truth (subscriptions, their
//! settings, evidence files in every shape and encoding the README lists), renders it, runs
//! `mdc-evidence scan --format json` once over all cases, and compares every observation and
//! verdict with an oracle that works from the ground truth alone. On a mismatch it shrinks
//! the failing case and prints it.
//!
//! `MDC_DIFF_CASES` (default 300) and `MDC_DIFF_SEED` (default below) choose the run:
//! `MDC_DIFF_CASES=10000 MDC_DIFF_SEED=42 cargo test --release --test differential -- --nocapture`.
//! `MDC_DIFF_KEEP=<new folder>` keeps the generated files there.
//!
//! `MDC_DIFF_MIX` chooses the compositions added to the base cases (`differential/mix.rs`,
//! one comment per kind saying what it covers): all by default, `none` for the base cases
//! alone, or a list (`MDC_DIFF_MIX=json-then-error,retry`). `jsonc` also compares each
//! observation's `detail` (the comments note), `retry` each verdict's `collection_errors`
//! flag.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure is a panic with its message"
)]
#![allow(
    clippy::print_stdout,
    reason = "the test reports its summary and repros"
)]

#[path = "differential/model.rs"]
mod model;
use model::mix::{self, Mix};
#[path = "differential/oracle.rs"]
mod oracle;
#[path = "differential/render.rs"]
mod render;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;
use model::{Case, Encoding};
use oracle::Expected;

const DEFAULT_SEED: u64 = 0x6d64_6320_6469_6666;
const DEFAULT_CASES: usize = 300;
/// How many failing cases are shrunk and printed (one per distinct signature);
/// `MDC_DIFF_SHRINK` changes it.
const SHRINK_LIMIT: usize = 12;

/// One observation as the report gives it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Actual {
    path: String,
    sub: Option<String>,
    outcome: String,
    loc: Option<String>,
    detail: String,
}

/// A subscription's verdict and whether it is flagged `collection_errors`.
type Verdicts = BTreeMap<String, (String, bool)>;

/// What one case expects and got.
#[derive(Default, Debug)]
struct Diff {
    missing: Vec<Expected>,
    unexpected: Vec<Actual>,
    verdicts: Vec<(String, Option<&'static str>, Option<String>)>,
    /// (subscription, expected, actual) `collection_errors` flags that differ.
    flags: Vec<(String, bool, bool)>,
}

impl Diff {
    fn is_empty(&self) -> bool {
        self.missing.is_empty()
            && self.unexpected.is_empty()
            && self.verdicts.is_empty()
            && self.flags.is_empty()
    }
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

fn case_dir(index: usize) -> String {
    format!("case{index:05}")
}

/// Writes a case below `root/caseNNNNN`; returns the expected observations.
fn write_case(root: &Path, index: usize, case: &Case) -> Vec<Expected> {
    let mut expected = Vec::new();
    for file in &case.files {
        let rel = format!("{}/{}", case_dir(index), file.rel_path(&case.subs));
        let rendered = render::render(case, file);
        let path = root.join(&rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &rendered.bytes).unwrap();
        expected.extend(oracle::observations(case, file, &rendered, &rel));
    }
    expected
}

/// Runs the binary over `root`; returns observations and verdicts, paths below `root`.
fn scan(root: &Path) -> (Vec<Actual>, Verdicts) {
    let output = Command::cargo_bin("mdc-evidence")
        .unwrap()
        .env("SOURCE_DATE_EPOCH", "1764288000")
        .timeout(Duration::from_secs(600))
        .arg("scan")
        .arg(root)
        .args(["--format", "json", "-q"])
        .output()
        .unwrap();
    assert!(
        matches!(output.status.code(), Some(0 | 1 | 3)),
        "scan failed: {:?}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let prefix = format!(
        "{}/",
        mdc_evidence::escape::display(root).trim_end_matches('/')
    );
    let wdatp = |row: &serde_json::Value| row.get("check").is_none_or(|c| c == "wdatp");
    let observations = report["observations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| wdatp(o))
        .map(|o| Actual {
            path: o["path"]
                .as_str()
                .unwrap()
                .strip_prefix(&prefix)
                .unwrap()
                .to_owned(),
            sub: o["subscription_id"].as_str().map(str::to_owned),
            outcome: o["outcome"].as_str().unwrap().to_owned(),
            loc: o["location"].as_str().map(str::to_owned),
            detail: o["detail"].as_str().unwrap().to_owned(),
        })
        .collect();
    let verdicts = report["subscriptions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| wdatp(s))
        .map(|s| {
            let flagged = s["flags"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f == "collection_errors");
            (
                s["subscription_id"].as_str().unwrap().to_owned(),
                (s["verdict"].as_str().unwrap().to_owned(), flagged),
            )
        })
        .collect();
    (observations, verdicts)
}

/// Compares one case's expectations with what the report says about its files and
/// subscriptions.
fn compare(case: &Case, expected: &[Expected], actual: &[Actual], verdicts: &Verdicts) -> Diff {
    let mut diff = Diff::default();
    let mut left: Vec<&Actual> = actual.iter().collect();
    for e in expected {
        let found = left.iter().position(|a| {
            a.path == e.path
                && a.sub == e.sub
                && a.outcome == e.outcome
                && e.loc.matches(a.loc.as_deref())
                && e.note.is_none_or(|note| a.detail.contains(note))
        });
        match found {
            Some(i) => {
                left.remove(i);
            }
            None => diff.missing.push(e.clone()),
        }
    }
    diff.unexpected = left.into_iter().cloned().collect();
    let want = oracle::verdicts(expected);
    let flagged = oracle::collection_errors(expected);
    let check_flags = mix::is_enabled(Mix::Retry);
    let subs: BTreeSet<&String> = case.subs.iter().map(|s| &s.guid).collect();
    for sub in subs {
        let got = verdicts.get(sub).map(|(v, _)| v.clone());
        let wanted = want.get(sub).copied();
        if got.as_deref() != wanted {
            diff.verdicts.push((sub.clone(), wanted, got));
        }
        let got_flag = verdicts.get(sub).is_some_and(|(_, f)| *f);
        if check_flags && got_flag != flagged.contains(sub) {
            diff.flags
                .push((sub.clone(), flagged.contains(sub), got_flag));
        }
    }
    diff
}

/// Runs one case alone in a fresh folder.
fn check_alone(index: usize, case: &Case) -> (Vec<Expected>, Vec<Actual>, Diff) {
    let dir = tempfile::TempDir::new().unwrap();
    let expected = write_case(dir.path(), index, case);
    let (actual, verdicts) = scan(dir.path());
    let diff = compare(case, &expected, &actual, &verdicts);
    (expected, actual, diff)
}

/// Smaller variants of a case: one file, block, row or subscription's rows fewer, or a
/// plainer encoding.
fn smaller(case: &Case) -> Vec<Case> {
    let mut out = Vec::new();
    for f in 0..case.files.len() {
        if case.files.len() > 1 {
            let mut c = case.clone();
            c.files.remove(f);
            out.push(c);
        }
        let file = &case.files[f];
        for b in 0..file.blocks.len() {
            if file.blocks.len() > 1 {
                let mut c = case.clone();
                c.files[f].blocks.remove(b);
                if !matches!(c.files[f].container, model::Container::Mixed { .. })
                    || mix::is_valid_mixed(&c.files[f].blocks)
                {
                    out.push(c);
                }
            }
            for r in 0..file.blocks[b].rows.len() {
                if file.blocks[b].rows.len() > 1 {
                    let mut c = case.clone();
                    let block = &mut c.files[f].blocks[b];
                    block.rows.remove(r);
                    if let model::Kind::Csv {
                        broken: Some(i), ..
                    } = &mut block.kind
                    {
                        if *i == r {
                            continue;
                        }
                        if *i > r {
                            *i -= 1;
                        }
                    }
                    out.push(c);
                }
            }
        }
        if file.encoding != Encoding::Utf8 && file.encoding != Encoding::Windows1252 {
            let mut c = case.clone();
            c.files[f].encoding = Encoding::Utf8;
            out.push(c);
        }
        if file.crlf {
            let mut c = case.clone();
            c.files[f].crlf = false;
            out.push(c);
        }
    }
    for s in 0..case.subs.len() {
        let mut c = case.clone();
        let mut changed = false;
        for file in &mut c.files {
            for block in &mut file.blocks {
                let before = block.rows.len();
                let csv_broken = matches!(
                    block.kind,
                    model::Kind::Csv {
                        broken: Some(_),
                        ..
                    }
                );
                if !csv_broken {
                    block.rows.retain(|r| r.sub != s);
                }
                changed |= block.rows.len() != before;
            }
            file.blocks.retain(|b| {
                !b.rows.is_empty()
                    || b.kind.failure().is_some()
                    || matches!(
                        b.kind,
                        model::Kind::Scalar { .. }
                            | model::Kind::AzQuery { .. }
                            | model::Kind::Empty
                            | model::Kind::AccountShow { .. }
                            | model::Kind::EmptyList
                            | model::Kind::Context { .. }
                    )
            });
        }
        c.files.retain(|f| !f.blocks.is_empty());
        if changed && !c.files.is_empty() {
            out.push(c);
        }
    }
    out
}

/// Shrinks a failing case while it still fails alone.
fn shrink(index: usize, mut case: Case) -> Case {
    loop {
        let next = smaller(&case)
            .into_iter()
            .find(|c| !check_alone(index, c).2.is_empty());
        match next {
            Some(c) => case = c,
            None => return case,
        }
    }
}

/// A short description of what went wrong, to print one repro per kind of mismatch.
fn signature(case: &Case, diff: &Diff) -> String {
    let mut kinds: Vec<&str> = case
        .files
        .iter()
        .flat_map(|f| f.blocks.iter().map(|b| b.kind.label()))
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    let mut outcomes: Vec<String> =
        diff.missing
            .iter()
            .map(|e| format!("-{}", e.outcome))
            .chain(diff.unexpected.iter().map(|a| format!("+{}", a.outcome)))
            .chain(diff.flags.iter().map(|(_, want, _)| {
                format!("{}collection_errors-flag", if *want { "-" } else { "+" })
            }))
            .collect();
    outcomes.sort();
    format!("{} {}", kinds.join(","), outcomes.join(","))
}

fn show(seed: u64, index: usize, case: &Case) -> String {
    let (expected, actual, diff) = check_alone(index, case);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "--- seed {seed} case {index} (shrunk; MDC_DIFF_SEED={seed}) ---"
    );
    for file in &case.files {
        let rendered = render::render(case, file);
        let _ = writeln!(
            out,
            "file {}/{} [{:?}{}]:\n  {:?}",
            case_dir(index),
            file.rel_path(&case.subs),
            file.encoding,
            if file.crlf { ", CRLF" } else { "" },
            rendered.text
        );
    }
    let row = |sub: &Option<String>| sub.clone().unwrap_or_else(|| "-".to_owned());
    for e in &expected {
        let _ = writeln!(
            out,
            "  expected: {} {} {} {}{}",
            e.path,
            row(&e.sub),
            e.outcome,
            e.loc,
            e.note
                .map_or_else(String::new, |n| format!(" (detail mentions {n:?})"))
        );
    }
    for a in &actual {
        let _ = writeln!(
            out,
            "  actual:   {} {} {} {} ({:?})",
            a.path,
            row(&a.sub),
            a.outcome,
            a.loc.as_deref().unwrap_or("-"),
            a.detail
        );
    }
    for (sub, want, got) in &diff.verdicts {
        let _ = writeln!(out, "  verdict of {sub}: expected {want:?}, actual {got:?}");
    }
    for (sub, want, got) in &diff.flags {
        let _ = writeln!(
            out,
            "  collection_errors flag of {sub}: expected {want}, actual {got}"
        );
    }
    out
}

#[test]
fn reports_match_the_oracle() {
    let seed: u64 = env_or("MDC_DIFF_SEED", DEFAULT_SEED);
    let count: usize = env_or("MDC_DIFF_CASES", DEFAULT_CASES);
    let cases: Vec<Case> = (0..count).map(|i| model::case(seed, i)).collect();
    let temp = tempfile::TempDir::new().unwrap();
    // `MDC_DIFF_KEEP=<new folder>` writes the cases there and keeps them, to look at.
    let root = std::env::var_os("MDC_DIFF_KEEP")
        .map_or_else(|| temp.path().to_path_buf(), std::path::PathBuf::from);
    let dir = root.as_path();
    let mut expected: Vec<Vec<Expected>> = Vec::with_capacity(count);
    let mut files = 0;
    for (i, case) in cases.iter().enumerate() {
        expected.push(write_case(dir, i, case));
        files += case.files.len();
    }
    let (actual, verdicts) = scan(dir);
    let mut by_case: BTreeMap<usize, Vec<Actual>> = BTreeMap::new();
    for a in actual {
        let index: usize = a.path[4..9].parse().unwrap();
        by_case.entry(index).or_default().push(a);
    }
    let mut compared = 0;
    let mut failing = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let actual = by_case.remove(&i).unwrap_or_default();
        compared += expected[i].len().max(actual.len());
        let diff = compare(case, &expected[i], &actual, &verdicts);
        if !diff.is_empty() {
            failing.push((i, diff));
        }
    }
    let mut report = String::new();
    let mut signatures = BTreeSet::new();
    for (i, diff) in &failing {
        if signatures.len() >= env_or("MDC_DIFF_SHRINK", SHRINK_LIMIT) {
            break;
        }
        if !signatures.insert(signature(&cases[*i], diff)) {
            continue;
        }
        let small = shrink(*i, cases[*i].clone());
        let signature = signature(&small, &check_alone(*i, &small).2);
        let _ = writeln!(report, "[{signature}]\n{}", show(seed, *i, &small));
    }
    let kinds: Vec<&str> = mix::enabled().into_iter().map(Mix::name).collect();
    let summary = format!(
        "{count} cases, {files} files, {compared} observations compared, {} mismatches (seed {seed}, MDC_DIFF_MIX={})",
        failing.len(),
        if kinds.is_empty() {
            "none".to_owned()
        } else {
            kinds.join(",")
        }
    );
    println!("{summary}");
    assert!(
        failing.is_empty(),
        "{summary}\nfailing cases: {:?}\n{report}",
        failing.iter().map(|(i, _)| i).collect::<Vec<_>>()
    );
}
