//! Output safety: nothing from a file, a checks file, a register or a parse error reaches a
//! terminal raw (control characters, bidirectional controls); no CSV cell can become a
//! formula however a spreadsheet splits it; `--csv-metadata` lines are comments a reader can
//! skip; standard output on `/dev/null` is written like any file, and one that cannot be
//! written is an error.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure is a panic with its message"
)]

mod common;

use std::path::Path;
use std::process::Output;
#[cfg(unix)]
use std::process::Stdio;

use common::{mdc, settings_list, write};
use tempfile::TempDir;

const A: &str = "3f6c2a1e-8b4d-4c7a-9e2f-5d1b7a9c0e41";

const BIDI: [char; 12] = [
    '\u{061C}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}',
    '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
];

/// Standard error holds no control character but line breaks, no bidirectional control,
/// and every line is the tool's own (`mdc-evidence: `) or a continuation (indented).
fn assert_safe_messages(stderr: &[u8]) {
    let text = String::from_utf8_lossy(stderr);
    assert!(
        !text.contains(|c: char| (c.is_control() && c != '\n') || BIDI.contains(&c)),
        "{text:?}"
    );
    for line in text.lines() {
        assert!(
            line.starts_with("mdc-evidence: ") || line.starts_with("  "),
            "a line of its own: {line:?} in {text:?}"
        );
    }
}

fn run(dir: &Path, args: &[&str]) -> Output {
    mdc().current_dir(dir).args(args).output().unwrap()
}

#[test]
fn a_checks_file_query_cannot_drive_the_terminal() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "ev/a.json", &settings_list(A, "true"));
    write(
        dir.path(),
        "checks.toml",
        "[[check]]\nid = \"x\"\nquery = \"$.a\\u001b[2K\\rFAKE: all good\\u202e[\"\nexpect = true\n",
    );
    let output = run(dir.path(), &["scan", "ev", "--checks-file", "checks.toml"]);
    assert_eq!(output.status.code(), Some(2));
    assert_safe_messages(&output.stderr);
}

#[test]
fn a_checks_file_cannot_forge_a_check_in_the_listing() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "checks.toml",
        "[[check]]\nid = \"mine\"\ntitle = \"Mine\\nforged\\n  title:        \\u001b[2Kall good\\u202e\"\n\
         setting = \"MCAS\"\n",
    );
    let output = run(dir.path(), &["checks", "--checks-file", "checks.toml"]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("Mine"), "{text}");
    assert!(!text.lines().any(|l| l == "forged"), "{text}");
    assert!(
        !text.contains(|c: char| (c.is_control() && c != '\n') || BIDI.contains(&c)),
        "{text:?}"
    );
}

#[test]
fn a_toml_error_line_cannot_overwrite_the_error() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "ev/a.json", &settings_list(A, "true"));
    let line = "id = \"\u{1b}[2K\r FAKE: all good\u{7}\n";
    write(dir.path(), "checks.toml", line);
    write(dir.path(), "register.toml", line);
    for args in [
        ["scan", "ev", "--checks-file", "checks.toml"],
        ["scan", "ev", "--exceptions", "register.toml"],
    ] {
        let output = run(dir.path(), &args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("FAKE: all good"), "{stderr}");
        assert_safe_messages(&output.stderr);
    }
}

#[test]
fn warnings_from_a_register_cannot_drive_the_terminal() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "ev/a.json", &settings_list(A, "false"));
    write(
        dir.path(),
        "register.csv",
        &format!(
            "subscription_id,check,justification,approved_by,expires\n\
             \"{A}\",\"wdatp\u{1b}[2K\r\u{202e}\",ok,me,2999-01-01\n"
        ),
    );
    let output = run(dir.path(), &["scan", "ev", "--exceptions", "register.csv"]);
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("warning"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_safe_messages(&output.stderr);
}

/// Every piece a spreadsheet could make of the text, splitting it at any separator, quote
/// or line break (an import without a text qualifier), spaces aside.
#[cfg(unix)]
fn pieces(text: &str) -> impl Iterator<Item = &str> {
    text.split([',', ';', '\t', '|', '"', '\n', '\r'])
        .map(|piece| piece.trim_start_matches(' '))
}

#[cfg(unix)]
fn is_formula(piece: &str) -> bool {
    piece.starts_with([
        '=', '+', '-', '@', '\u{FF1D}', '\u{FF0B}', '\u{FF0D}', '\u{FF20}',
    ])
}

#[cfg(unix)]
#[test]
fn a_line_break_in_a_cell_never_lets_a_formula_through() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "ev/x\n=1+1.json", &settings_list(A, "true"));
    write(
        dir.path(),
        "ev/y\r\n @SUM(A1).json",
        &settings_list(A, "true"),
    );
    write(
        dir.path(),
        "register.toml",
        &format!(
            "[[exception]]\nsubscription_id = \"{A}\"\ncheck = \"wdatp\"\n\
             justification = \"accepted\\n=1+1\"\napproved_by = \"me\\r\\n-2\"\n\
             expires = 2999-01-01\n"
        ),
    );
    for rows in ["subscriptions", "observations"] {
        for delimiter in [",", ";", "\t", "|"] {
            let output = run(
                dir.path(),
                &[
                    "scan",
                    "ev",
                    "-q",
                    "--csv-metadata",
                    "--rows",
                    rows,
                    "--csv-delimiter",
                    delimiter,
                    "--exceptions",
                    "register.toml",
                ],
            );
            let csv = String::from_utf8(output.stdout).unwrap();
            assert!(csv.contains("=1+1"), "{csv}");
            for piece in pieces(&csv) {
                assert!(!is_formula(piece), "{piece:?} in {csv}");
            }
        }
    }
}

#[test]
fn a_csv_delimiter_that_could_start_a_formula_is_refused() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "ev/a.json", &settings_list(A, "true"));
    for delimiter in ["=", "+", "-", "@", "a", " ", "'"] {
        let output = run(dir.path(), &["scan", "ev", "--csv-delimiter", delimiter]);
        assert_eq!(output.status.code(), Some(2), "{delimiter:?}");
        assert!(output.stdout.is_empty());
    }
    for delimiter in [",", ";", "\t", "|"] {
        let output = run(dir.path(), &["scan", "ev", "--csv-delimiter", delimiter]);
        assert_eq!(output.status.code(), Some(0), "{delimiter:?}");
        let csv = String::from_utf8(output.stdout).unwrap();
        assert!(
            csv.starts_with(&format!("subscription_id{delimiter}")),
            "{csv}"
        );
    }
}

/// The CSV as a reader skipping comments reads it (pandas `comment="#"`: outside quotes, a
/// `#` ends the line's text; a line starting with one is skipped whole).
#[cfg(unix)]
fn read_as_pandas_would(csv: &str) -> Vec<Vec<String>> {
    let mut kept = String::new();
    let (mut quoted, mut skipping, mut line_start) = (false, false, true);
    for c in csv.chars() {
        if skipping {
            if c == '\n' {
                skipping = false;
                if !line_start {
                    kept.push('\n');
                }
                line_start = true;
            }
            continue;
        }
        if c == '#' && !quoted {
            skipping = true;
            continue;
        }
        if c == '"' {
            quoted = !quoted;
        }
        kept.push(c);
        line_start = c == '\n' && !quoted;
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(kept.as_bytes());
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

#[cfg(unix)]
fn metadata_report(dir: &Path) -> String {
    write(dir, "ev,\"x/a#1.json", &settings_list(A, "true"));
    write(dir, "ev,\"x/b.json", &settings_list(A, "true"));
    let output = run(
        dir,
        &[
            "scan",
            "ev,\"x",
            "-q",
            "--csv-metadata",
            "--rows",
            "observations",
        ],
    );
    assert_eq!(output.status.code(), Some(0));
    String::from_utf8(output.stdout).unwrap()
}

#[cfg(unix)]
#[test]
fn csv_metadata_lines_are_comments_a_reader_can_skip() {
    let dir = TempDir::new().unwrap();
    let csv = metadata_report(dir.path());
    let lines: Vec<&str> = csv.split("\r\n").collect();
    let header = lines.iter().position(|l| l.starts_with("path,")).unwrap();
    assert!(header >= 6, "{csv}");
    for line in &lines[..header] {
        assert!(line.starts_with("# "), "{line:?}");
        assert!(!line.contains('\n'), "{line:?}");
    }
    assert!(csv.contains("\r\n# summary: 2 files read"), "{csv}");
    let rows = read_as_pandas_would(&csv);
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert_eq!(rows[0][0], "path");
    assert_eq!(rows[1][0], "ev,\"x/a#1.json");
    for row in &rows {
        assert_eq!(row.len(), rows[0].len(), "{row:?}");
    }
    assert_eq!(rows[2][15], "ev,\"x/a#1.json");
}

/// The same file read by pandas itself, as the README advises; skipped unless pandas can be
/// imported.
#[cfg(unix)]
#[test]
fn pandas_reads_a_csv_with_metadata_as_the_readme_says() {
    let python = std::env::var("MDC_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let has_pandas = std::process::Command::new(&python)
        .args(["-c", "import pandas"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !has_pandas {
        eprintln!("pandas cannot be imported: skipped");
        return;
    }
    let dir = TempDir::new().unwrap();
    let csv = metadata_report(dir.path());
    write(dir.path(), "report.csv", &csv);
    let output = std::process::Command::new(&python)
        .current_dir(dir.path())
        .args([
            "-c",
            "import pandas as pd\n\
             d = pd.read_csv('report.csv', comment='#')\n\
             print(len(d), list(d['path']), list(d['duplicate_of'].fillna('')), \
             list(d['outcome']))",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        String::from_utf8(output.stdout).unwrap().trim(),
        "2 ['ev,\"x/a#1.json', 'ev,\"x/b.json'] ['', 'ev,\"x/a#1.json'] ['enabled', 'enabled']"
    );
}

#[cfg(unix)]
#[test]
fn bidirectional_controls_are_shown_escaped_to_a_person() {
    let dir = TempDir::new().unwrap();
    let name = "good-\u{202e}nosj.dab";
    write(dir.path(), &format!("ev/{name}"), &settings_list(A, "true"));
    // An unattributed file too, so that its path shows in the table.
    write(
        dir.path(),
        "ev/un-\u{2067}known.json",
        r#"{"properties":{"enabled":true},"name":"WDATP"}"#,
    );
    let shown = "good-\\u{202e}nosj.dab";
    let html = run(dir.path(), &["scan", "ev", "-q", "--format", "html"]);
    let csv = run(dir.path(), &["scan", "ev", "-q", "--rows", "observations"]);
    let table = run(dir.path(), &["scan", "ev", "-q", "--format", "table"]);
    let explain = run(dir.path(), &["explain", &format!("ev/{name}")]);
    for (what, output, shown) in [
        ("html", &html, shown),
        ("csv", &csv, shown),
        ("table", &table, "un-\\u{2067}known.json"),
        ("explain", &explain, shown),
    ] {
        let text = String::from_utf8(output.stdout.clone()).unwrap();
        assert!(!text.contains(BIDI), "{what}: {text}");
        assert!(text.contains(shown), "{what}: {text}");
    }
    // The workbook too.
    let output = run(dir.path(), &["scan", "ev", "-q", "-o", "r.xlsx"]);
    assert_eq!(output.status.code(), Some(0));
    let mut workbook: calamine::Xlsx<_> =
        calamine::open_workbook(dir.path().join("r.xlsx")).unwrap();
    let sheet = calamine::Reader::worksheet_range(&mut workbook, "Observations").unwrap();
    let cells: Vec<String> = sheet.cells().map(|(_, _, c)| c.to_string()).collect();
    assert!(!cells.iter().any(|c| c.contains(BIDI)), "{cells:?}");
    assert!(cells.iter().any(|c| c.ends_with(shown)), "{cells:?}");
    // The JSON report keeps every text exactly.
    let json = run(dir.path(), &["scan", "ev", "-q", "--format", "json"]);
    assert!(String::from_utf8(json.stdout).unwrap().contains(name));
    // And a message naming it.
    write(dir.path(), &format!("{name}.toml"), "id = [");
    let output = run(
        dir.path(),
        &["scan", "ev", "--checks-file", &format!("{name}.toml")],
    );
    assert_eq!(output.status.code(), Some(2));
    assert_safe_messages(&output.stderr);
    assert!(
        String::from_utf8_lossy(&output.stderr).contains(shown),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `/dev/null` opened for reading and writing, as `subprocess.DEVNULL`, Node's
/// `stdio: 'ignore'` and `daemon()` give it.
#[cfg(unix)]
fn dev_null() -> Stdio {
    Stdio::from(
        std::fs::File::options()
            .read(true)
            .write(true)
            .open("/dev/null")
            .unwrap(),
    )
}

#[cfg(unix)]
#[test]
fn standard_output_on_dev_null_exits_as_the_verdicts_say() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "pass/a.json", &settings_list(A, "true"));
    write(dir.path(), "fail/a.json", &settings_list(A, "false"));
    for (root, code) in [("pass", 0), ("fail", 1)] {
        for args in [
            &["--format", "none"][..],
            &[],
            &["--format", "html"],
            &["-o", "r.json"],
        ] {
            let output = std::process::Command::new(assert_cmd::cargo::cargo_bin("mdc-evidence"))
                .current_dir(dir.path())
                .args(["scan", root])
                .args(args)
                .stdout(dev_null())
                .output()
                .unwrap();
            assert_eq!(
                output.status.code(),
                Some(code),
                "{root} {args:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
    for args in [&["checks"][..], &["explain", "pass/a.json"]] {
        let output = std::process::Command::new(assert_cmd::cargo::cargo_bin("mdc-evidence"))
            .current_dir(dir.path())
            .args(args)
            .stdout(dev_null())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{args:?}");
    }
}

#[cfg(unix)]
#[test]
fn a_standard_output_that_cannot_be_written_is_an_error_for_every_command() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "ev/a.json", &settings_list(A, "true"));
    let binary = assert_cmd::cargo::cargo_bin("mdc-evidence");
    for command in ["scan ev", "checks", "explain ev/a.json"] {
        // Open for reading only (`EBADF` on every write), and full.
        for redirect in ["1</dev/null", ">/dev/full"] {
            let output = std::process::Command::new("sh")
                .current_dir(dir.path())
                .arg("-c")
                .arg(format!("'{}' {command} {redirect}", binary.display()))
                .output()
                .unwrap();
            assert_eq!(output.status.code(), Some(2), "{command} {redirect}");
            assert!(
                String::from_utf8_lossy(&output.stderr).contains("cannot write to standard output"),
                "{command} {redirect}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
    // A standard output closed at start (`>&-`) cannot be told from `/dev/null`: the Rust
    // runtime reopens it there. It exits as the verdicts say, as on `/dev/null`.
    let output = std::process::Command::new("sh")
        .current_dir(dir.path())
        .arg("-c")
        .arg(format!("'{}' scan ev >&-", binary.display()))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
}
