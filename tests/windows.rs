//! Windows behaviour, run on Windows (and by `scripts/windows-test` under Wine): roots in
//! every form an auditor types (`C:\evidence`, `C:/evidence`, relative with `\`, `\\?\`),
//! a path beyond 260 characters, a name that is not valid UTF-16, a file another process
//! holds locked, read-only and hidden files, names differing only in case, a formula-like
//! name Windows allows, and `-o` to an absolute Windows path. The Unix counterparts
//! (FIFOs, modes, non-UTF-8 bytes) are in tests/hostile.rs and tests/safety.rs.

#![cfg(windows)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure is a panic with its message"
)]

mod common;

use std::ffi::OsString;
use std::os::windows::ffi::{OsStrExt, OsStringExt};
use std::os::windows::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use common::{mdc, settings_list, write};
use serde_json::Value;
use tempfile::TempDir;

const A: &str = "3f6c2a1e-8b4d-4c7a-9e2f-5d1b7a9c0e41";
const B: &str = "9b3f6d21-5c84-4a7e-b0d2-e61f48a93c57";
const FILE_ATTRIBUTE_READONLY: u32 = 0x1;
const FILE_ATTRIBUTE_HIDDEN: u32 = 0x2;

/// The JSON report of `scan` over `roots`, run in `dir`, with its exit code.
fn scan_json(dir: &Path, roots: &[&std::ffi::OsStr]) -> (Option<i32>, Value) {
    let output = mdc()
        .current_dir(dir)
        .args(["scan", "-q", "--format", "json"])
        .args(roots)
        .output()
        .unwrap();
    assert!(
        output.status.code().is_some_and(|c| c != 2),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    (
        output.status.code(),
        serde_json::from_slice(&output.stdout).unwrap(),
    )
}

fn verdict(report: &Value, sub: &str) -> String {
    report["subscriptions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["subscription_id"] == sub)
        .map_or_else(
            || panic!("no {sub} in {report:#}"),
            |s| s["verdict"].to_string(),
        )
}

fn files(report: &Value) -> &Vec<Value> {
    report["files"].as_array().unwrap()
}

/// One evidence folder `ev` holding a passing list for A and a failing one for B.
fn evidence() -> TempDir {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        &format!("ev/{A}.json"),
        &settings_list(A, "true"),
    );
    write(
        dir.path(),
        &format!("ev\\sub\\{B}.json"),
        &settings_list(B, "false"),
    );
    dir
}

#[test]
fn roots_in_every_windows_form_give_the_same_verdicts() {
    let dir = evidence();
    let absolute = dir.path().join("ev");
    let text = absolute.to_str().unwrap().to_owned();
    assert!(
        text.as_bytes().get(1) == Some(&b':') && text.contains('\\'),
        "a drive path: {text}"
    );
    let forms: Vec<OsString> = vec![
        text.clone().into(),             // C:\...\ev
        text.replace('\\', "/").into(),  // C:/.../ev
        format!("{text}\\").into(),      // C:\...\ev\
        format!("\\\\?\\{text}").into(), // \\?\C:\...\ev
        "ev".into(),                     // relative
        ".\\ev".into(),                  // relative with a backslash
        "ev\\sub\\..".into(),            // relative, up and back
    ];
    let mut first = None;
    for form in &forms {
        let (code, report) = scan_json(dir.path(), &[form.as_os_str()]);
        let summary = (
            code,
            report["summary"]["files_read"].clone(),
            verdict(&report, A),
            verdict(&report, B),
        );
        assert_eq!(summary.1, 2, "{form:?}: {report:#}");
        for file in files(&report) {
            let path = file["path"].as_str().unwrap();
            assert!(!path.contains('\\'), "{form:?}: {path} is shown with `/`");
        }
        match &first {
            None => first = Some(summary),
            Some(expected) => assert_eq!(&summary, expected, "{form:?}"),
        }
    }
    let first = first.unwrap();
    assert_eq!(
        (first.2.as_str(), first.3.as_str()),
        ("\"pass\"", "\"fail\"")
    );
}

#[test]
fn a_file_beyond_260_characters_of_path_is_read() {
    let dir = TempDir::new().unwrap();
    let mut deep: PathBuf = dir.path().join("ev");
    while deep.as_os_str().len() < 300 {
        deep.push("a-folder-name-of-forty-characters-long-x");
    }
    // The standard library adds `\\?\` itself where a path is too long.
    std::fs::create_dir_all(&deep).unwrap();
    let file = deep.join(format!("{A}.json"));
    std::fs::write(&file, settings_list(A, "true")).unwrap();
    assert!(file.as_os_str().len() > 260);
    let (_, report) = scan_json(dir.path(), &[dir.path().join("ev").as_os_str()]);
    assert_eq!(report["summary"]["files_read"], 1, "{report:#}");
    assert_eq!(verdict(&report, A), "\"pass\"");
    let shown = files(&report)[0]["path"].as_str().unwrap();
    assert!(
        shown.len() > 260 && shown.ends_with(&format!("/{A}.json")),
        "{shown}"
    );
}

#[test]
fn a_name_that_is_not_valid_utf16_is_shown_with_an_escape() {
    let dir = TempDir::new().unwrap();
    std::fs::create_dir(dir.path().join("ev")).unwrap();
    // "bad", a lone high surrogate, "_A.json"; beside it the same name with U+FFFD, which
    // a lossy conversion would have made of the first: they must show as two names.
    let mut units: Vec<u16> = "bad".encode_utf16().collect();
    units.push(0xD800);
    units.extend(format!("_{A}.json").encode_utf16());
    let lone = dir.path().join("ev").join(OsString::from_wide(&units));
    if let Err(e) = std::fs::write(&lone, settings_list(A, "true")) {
        // Wine keeps names as UTF-8 on the Linux side, which cannot hold a lone surrogate;
        // NTFS keeps any UTF-16. The escape itself is tested in src/escape.rs.
        assert!(
            std::env::var_os("MDC_UNDER_WINE").is_some(),
            "cannot create the name: {e}"
        );
        eprintln!("note: under Wine a name with a lone surrogate cannot be made ({e}): skipped");
        return;
    }
    write(
        dir.path(),
        &format!("ev/bad\u{FFFD}_{A}.json"),
        &settings_list(A, "true"),
    );
    let names: Vec<Vec<u16>> = std::fs::read_dir(dir.path().join("ev"))
        .unwrap()
        .map(|e| e.unwrap().file_name().encode_wide().collect())
        .collect();
    assert!(names.contains(&units), "the name was kept: {names:?}");
    let (_, report) = scan_json(dir.path(), &["ev".as_ref()]);
    let mut shown: Vec<&str> = files(&report)
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    shown.sort_unstable();
    assert_eq!(
        shown,
        [
            format!("ev/bad\\u{{D800}}_{A}.json"),
            format!("ev/bad\u{FFFD}_{A}.json")
        ],
        "{report:#}"
    );
    assert_eq!(report["summary"]["files_read"], 2);
}

#[test]
fn a_file_locked_by_another_process_is_skipped_with_its_reason() {
    let dir = evidence();
    let locked = dir.path().join(format!("ev\\{A}.json"));
    // Share mode 0: no other open may read, write or delete it while this handle lives,
    // as Excel or an antivirus scanner holds a file.
    let _holder = std::fs::OpenOptions::new()
        .read(true)
        .share_mode(0)
        .open(&locked)
        .unwrap();
    assert!(std::fs::File::open(&locked).is_err(), "the file is locked");
    let (code, report) = scan_json(dir.path(), &["ev".as_ref()]);
    let entry = files(&report)
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with(&format!("{A}.json")))
        .unwrap();
    assert_eq!(entry["status"], "skipped", "{entry}");
    let reason = entry["reason"].as_str().unwrap();
    assert!(reason.contains("cannot open"), "{reason}");
    assert_eq!(report["summary"]["files_read"], 1, "{report:#}");
    assert_eq!(verdict(&report, B), "\"fail\"");
    assert!(code.is_some_and(|c| c != 2));
}

#[test]
fn read_only_and_hidden_files_are_read() {
    let dir = TempDir::new().unwrap();
    std::fs::create_dir(dir.path().join("ev")).unwrap();
    for (sub, attributes) in [
        (A, FILE_ATTRIBUTE_READONLY),
        (B, FILE_ATTRIBUTE_HIDDEN | FILE_ATTRIBUTE_READONLY),
    ] {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .attributes(attributes)
            .open(dir.path().join(format!("ev\\{sub}.json")))
            .unwrap();
        std::io::Write::write_all(&mut file, settings_list(sub, "true").as_bytes()).unwrap();
    }
    let metadata = std::fs::metadata(dir.path().join(format!("ev\\{A}.json"))).unwrap();
    assert!(metadata.permissions().readonly());
    let (_, report) = scan_json(dir.path(), &["ev".as_ref()]);
    assert_eq!(report["summary"]["files_read"], 2, "{report:#}");
    assert_eq!(verdict(&report, A), "\"pass\"");
    assert_eq!(verdict(&report, B), "\"pass\"");
}

#[test]
fn a_report_is_written_to_an_absolute_windows_path() {
    let dir = evidence();
    let out = TempDir::new().unwrap();
    let target = out.path().join("reports\\report.json");
    std::fs::create_dir(out.path().join("reports")).unwrap();
    let text = target.to_str().unwrap();
    assert!(text.as_bytes().get(1) == Some(&b':'), "{text}");
    let output = mdc()
        .current_dir(dir.path())
        .args(["scan", "ev", "-q", "--exit-zero", "-o", text])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let report: Value = serde_json::from_slice(&std::fs::read(&target).unwrap()).unwrap();
    assert_eq!(verdict(&report, A), "\"pass\"");
    // And to standard output with `-`.
    let output = mdc()
        .current_dir(dir.path())
        .args([
            "scan",
            "ev",
            "-q",
            "--exit-zero",
            "--format",
            "json",
            "-o",
            "-",
        ])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(verdict(&report, B), "\"fail\"");
}

#[test]
fn a_name_like_a_formula_that_windows_allows_stays_text_in_csv() {
    let dir = TempDir::new().unwrap();
    for name in ["=1+2", "+SUM(1;2)", "-2+3", "@SUM(1)"] {
        write(
            dir.path(),
            &format!("ev/{name}_{A}.json"),
            &settings_list(A, "true"),
        );
    }
    let output = mdc()
        .current_dir(dir.path())
        .args(["scan", "ev", "-q", "--exit-zero", "--format", "csv"])
        .args(["--rows", "observations"])
        .output()
        .unwrap();
    let csv = String::from_utf8(output.stdout).unwrap();
    let mut rows = 0;
    for line in csv.lines().filter(|l| l.contains(A) && l.contains("ev/")) {
        rows += 1;
        let cell = line.split(',').next().unwrap().trim_start_matches('"');
        assert!(
            !cell.starts_with(['=', '+', '-', '@']),
            "a cell a spreadsheet would run: {line}"
        );
    }
    assert_eq!(rows, 4, "{csv}");
}

#[test]
#[ignore = "needs a folder with case sensitivity on (fsutil.exe file setCaseSensitiveInfo \
            DIR enable), as a copy off a Linux share or a zip can make; a default folder, \
            and Wine, open the second name as the first"]
fn names_differing_only_in_case_are_both_read_and_reported() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        &format!("ev/{A}.json"),
        &settings_list(A, "true"),
    );
    let upper = dir.path().join(format!("ev\\{}.json", A.to_uppercase()));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&upper)
        .unwrap();
    std::fs::write(&upper, settings_list(A, "false")).unwrap();
    let (_, report) = scan_json(dir.path(), &["ev".as_ref()]);
    assert_eq!(report["summary"]["files_read"], 2, "{report:#}");
    assert_ne!(verdict(&report, A), "\"pass\"", "the two files disagree");
}
