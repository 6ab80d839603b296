//! Helpers shared by the integration tests: the expected-results tables and a scan of a
//! folder through the library.

#![allow(dead_code, reason = "each test binary uses a different part")]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use mdc_evidence::{Config, FileStatus, Report};

/// `SOURCE_DATE_EPOCH` for every run of the binary, and the `generated_at` it gives.
pub const EPOCH: (&str, &str) = ("1764288000", "2025-11-28T00:00:00Z");

/// The binary, with a fixed `SOURCE_DATE_EPOCH` and a time limit.
pub fn mdc() -> Command {
    let mut cmd = Command::cargo_bin("mdc-evidence").unwrap();
    cmd.env("SOURCE_DATE_EPOCH", EPOCH.0)
        .timeout(Duration::from_secs(120));
    cmd
}

/// A compact REST settings list of one subscription: MCAS, WDATP (`wdatp` is its JSON
/// value), Sentinel.
pub fn settings_list(sub: &str, wdatp: &str) -> String {
    let setting = |name: &str, kind: &str, enabled: &str| {
        format!(
            r#"{{"id":"/subscriptions/{sub}/providers/Microsoft.Security/settings/{name}","name":"{name}","type":"Microsoft.Security/settings","kind":"{kind}","properties":{{"enabled":{enabled}}}}}"#
        )
    };
    format!(
        r#"{{"value":[{},{},{}]}}"#,
        setting("MCAS", "DataExportSettings", "true"),
        setting("WDATP", "DataExportSettings", wdatp),
        setting("Sentinel", "AlertSyncSettings", "false")
    )
}

/// Writes `contents` to `dir/name`, creating folders.
pub fn write(dir: &Path, name: &str, contents: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
}

/// One expected or actual observation, as the fixture tables write it.
pub type Row = (String, String, String, String, String, String);

/// The crate's root folder.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The modification time [`fixtures_copy`] gives every file: 2025-01-02T03:04:05Z.
pub const FIXTURES_MODIFIED: u64 = 1_735_787_045;

/// A copy of `fixtures/` in a temporary folder (as `<tmp>/fixtures`), every file's
/// modification time set to [`FIXTURES_MODIFIED`], so that reports dating evidence by it
/// are the same in every checkout.
pub fn fixtures_copy() -> tempfile::TempDir {
    let dir = tempfile::TempDir::new().unwrap();
    let source = root().join("fixtures");
    let modified = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(FIXTURES_MODIFIED);
    for entry in walkdir::WalkDir::new(&source) {
        let entry = entry.unwrap();
        let target = dir
            .path()
            .join("fixtures")
            .join(entry.path().strip_prefix(&source).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
            let file = std::fs::File::options().write(true).open(&target).unwrap();
            file.set_modified(modified).unwrap();
        }
    }
    dir
}

/// Reads every `tests/expected/<prefix>-*.tsv` table; returns its rows without the header,
/// each cut to its first `columns` cells.
pub fn expected(prefix: &str, columns: usize) -> BTreeSet<Vec<String>> {
    let folder = root().join("tests/expected");
    let mut rows = BTreeSet::new();
    let mut tables: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "tsv")
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&format!("{prefix}-")))
        })
        .collect();
    tables.sort();
    assert!(
        !tables.is_empty(),
        "no tests/expected/{prefix}-*.tsv tables"
    );
    for table in tables {
        let text = std::fs::read_to_string(&table).unwrap();
        for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
            let cells: Vec<String> = line.split('\t').take(columns).map(str::to_owned).collect();
            assert_eq!(
                cells.len(),
                columns,
                "{}: short line {line:?}",
                table.display()
            );
            rows.insert(cells);
        }
    }
    rows
}

/// Scans `folder` with every default and `threads` workers.
pub fn scan(folder: &Path, threads: usize) -> Report {
    let mut config = Config::new(vec![folder.to_path_buf()]);
    config.threads = threads;
    mdc_evidence::run(&config).unwrap()
}

/// The observations of a report as table rows: path (below `folder`), format,
/// subscription, source, outcome, location; `-` for an empty cell.
pub fn observation_rows(report: &Report, folder: &Path) -> BTreeSet<Vec<String>> {
    // The folder as reports show paths (with `/` on Windows too).
    let prefix = format!(
        "{}/",
        mdc_evidence::escape::display(folder).trim_end_matches('/')
    );
    report
        .observations()
        .map(|(file, evaluated, o)| {
            vec![
                file.path
                    .strip_prefix(&prefix)
                    .unwrap_or(&file.path)
                    .to_owned(),
                evaluated.format.as_str().to_owned(),
                o.subscription
                    .as_ref()
                    .map_or("-", |s| s.as_str())
                    .to_owned(),
                o.source.map_or("-", |s| s.as_str()).to_owned(),
                o.outcome.as_str().to_owned(),
                o.location
                    .as_ref()
                    .map_or("-".to_owned(), ToString::to_string),
            ]
        })
        .collect()
}

/// The verdicts of a report as table rows: subscription, verdict.
pub fn verdict_rows(report: &Report) -> BTreeSet<Vec<String>> {
    report
        .subscriptions
        .iter()
        .map(|s| {
            vec![
                s.subscription.as_str().to_owned(),
                s.verdict.as_str().to_owned(),
            ]
        })
        .collect()
}

/// Paths of files that were skipped instead of read, with the reason.
pub fn skipped(report: &Report) -> Vec<(String, String)> {
    report
        .files
        .iter()
        .filter_map(|f| match &f.status {
            FileStatus::Skipped(why) => Some((f.path.clone(), why.to_string())),
            FileStatus::Evaluated(_) => None,
        })
        .collect()
}

/// Describes the difference between two sets of rows, or `None` when they are equal.
pub fn difference(
    expected: &BTreeSet<Vec<String>>,
    actual: &BTreeSet<Vec<String>>,
) -> Option<String> {
    let missing: Vec<_> = expected.difference(actual).map(|r| r.join("\t")).collect();
    let unexpected: Vec<_> = actual.difference(expected).map(|r| r.join("\t")).collect();
    if missing.is_empty() && unexpected.is_empty() {
        return None;
    }
    Some(format!(
        "expected but not found:\n  {}\nfound but not expected:\n  {}",
        missing.join("\n  "),
        unexpected.join("\n  ")
    ))
}
