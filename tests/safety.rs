//! Regression tests for the findings of an adversarial run: a skipped file must never let
//! a run pass, a report must never replace evidence or be left half written, hostile
//! inputs must never blow memory or hang, and nothing file-derived may be ambiguous or
//! reach a terminal or spreadsheet raw. One test per finding, named after the behaviour.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure is a panic with its message"
)]

mod common;

use std::path::Path;
#[cfg(unix)]
use std::process::Stdio;
#[cfg(unix)]
use std::time::Duration;

use common::{mdc, root, settings_list, write};
use serde_json::Value;
use tempfile::TempDir;

const A: &str = "3f6c2a1e-8b4d-4c7a-9e2f-5d1b7a9c0e41";
const B: &str = "9b3f6d21-5c84-4a7e-b0d2-e61f48a93c57";

fn json_report(dir: &Path, args: &[&str]) -> (Option<i32>, Value) {
    let output = mdc()
        .args(["scan", "-q", "--format", "json"])
        .args(args)
        .arg(dir)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    (output.status.code(), report)
}

fn verdict<'a>(report: &'a Value, sub: &str) -> Option<&'a Value> {
    report["subscriptions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["subscription_id"] == sub)
}

fn file_entry<'a>(report: &'a Value, suffix: &str) -> &'a Value {
    report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with(suffix))
        .unwrap_or_else(|| panic!("no entry ending {suffix:?} in {report:#}"))
}

#[test]
fn a_subscription_whose_only_file_is_too_large_is_no_evidence_not_missing() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), &format!("h/{A}.txt"), "true");
    let big = dir.path().join(format!("h/{B}.txt"));
    std::fs::write(&big, "false").unwrap();
    std::fs::File::options()
        .write(true)
        .open(&big)
        .unwrap()
        .set_len(70 << 20)
        .unwrap();
    let (code, report) = json_report(&dir.path().join("h"), &[]);
    assert_eq!(code, Some(3), "a skipped file must never let the run pass");
    let b = verdict(&report, B).expect("the skipped file's subscription is listed");
    assert_eq!(b["verdict"], "no_evidence");
    assert!(
        b["reason"]
            .as_str()
            .unwrap()
            .contains("larger than --max-file-size"),
        "{b}"
    );
}

#[test]
fn excluded_files_do_not_name_subscriptions() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), &format!("{A}.txt"), "true");
    write(dir.path(), &format!("{B}.log"), "false");
    let (code, report) = json_report(dir.path(), &["--exclude", "*.log"]);
    assert_eq!(code, Some(0));
    assert!(verdict(&report, B).is_none());
}

#[test]
fn a_report_path_naming_evidence_under_a_root_is_refused_before_scanning() {
    let dir = TempDir::new().unwrap();
    let evidence = dir.path().join("fx/settings.json");
    write(dir.path(), "fx/settings.json", &settings_list(A, "true"));
    let before = std::fs::read(&evidence).unwrap();
    mdc()
        .arg("scan")
        .arg(dir.path().join("fx"))
        .arg("-o")
        .arg(&evidence)
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicates::str::contains("may be evidence"));
    assert_eq!(std::fs::read(&evidence).unwrap(), before);
    // An earlier report of this tool under the root may be replaced.
    let report = dir.path().join("fx/report.json");
    for _ in 0..2 {
        mdc()
            .arg("scan")
            .arg(dir.path().join("fx"))
            .arg("-o")
            .arg(&report)
            .assert()
            .code(0);
    }
}

#[test]
fn no_report_file_is_replaced_unless_every_output_can_be_written() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), &format!("e/{A}.txt"), "true");
    let out = dir.path().join("o");
    std::fs::create_dir_all(out.join("r.csv")).unwrap();
    std::fs::write(out.join("r.json"), "PREVIOUS\n").unwrap();
    mdc()
        .arg("scan")
        .arg(dir.path().join("e"))
        .arg("-o")
        .arg(out.join("r.json"))
        .arg("-o")
        .arg(out.join("r.csv"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("r.csv: it is a folder"));
    assert_eq!(
        std::fs::read_to_string(out.join("r.json")).unwrap(),
        "PREVIOUS\n"
    );
}

#[cfg(unix)]
#[test]
fn a_full_standard_output_is_an_error_and_leaves_report_files_untouched() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), &format!("e/{A}.txt"), "true");
    std::fs::write(dir.path().join("r.json"), "PREVIOUS\n").unwrap();
    let full = std::fs::File::options()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let status = std::process::Command::new(assert_cmd::cargo::cargo_bin("mdc-evidence"))
        .arg("scan")
        .arg(dir.path().join("e"))
        .args(["-q", "-o"])
        .arg(dir.path().join("r.json"))
        .args(["-o", "-"])
        .stdout(full)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("r.json")).unwrap(),
        "PREVIOUS\n"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
}

#[cfg(unix)]
#[test]
fn a_standard_output_that_cannot_be_written_is_an_error_not_a_silent_loss() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), &format!("{A}.txt"), "true");
    // `1<` opens standard output for reading only: every write fails (`EBADF`, which the
    // runtime's own handle would ignore). A closed one (`>&-`) cannot be told from
    // `/dev/null`: the runtime reopens it there (see tests/output_safety.rs).
    let binary = assert_cmd::cargo::cargo_bin("mdc-evidence");
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "'{}' scan -q '{}' 1</dev/null",
            binary.display(),
            dir.path().display()
        ))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("cannot write to standard output"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn a_huge_array_of_numbers_is_read_in_memory_of_its_own_size() {
    let dir = TempDir::new().unwrap();
    let ones = format!("[{}]", vec!["1"; 2_000_000].join(","));
    write(dir.path(), "ones.json", &ones);
    write(dir.path(), "objects.json", &"{}".repeat(1_000_000));
    // 4 MB and 2 MB files: before the fix they took about 1 GB and 350 MB.
    let output = std::process::Command::new("prlimit")
        .arg("--as=1073741824")
        .arg(assert_cmd::cargo::cargo_bin("mdc-evidence"))
        .args(["scan", "-q", "-j1", "--format", "json"])
        .arg(dir.path())
        .env("SOURCE_DATE_EPOCH", common::EPOCH.0)
        .output();
    let Ok(output) = output else {
        eprintln!("prlimit is not available: memory cap not checked");
        return;
    };
    assert_eq!(
        output.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    // The array of numbers is a list that is not settings; the stream of empty objects is
    // in no evidence shape at all: not evidence.
    assert_eq!(report["summary"]["outcomes"]["unrecognized"], 1);
    assert_eq!(report["summary"]["not_evidence"], 1);
}

#[cfg(unix)]
#[test]
fn an_inventory_that_is_a_fifo_or_device_is_refused_without_hanging() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), &format!("e/{A}.txt"), "true");
    let fifo = dir.path().join("inventory");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    for inventory in [fifo.as_path(), Path::new("/dev/zero")] {
        mdc()
            .arg("scan")
            .arg(dir.path().join("e"))
            .arg("--subscriptions")
            .arg(inventory)
            .timeout(Duration::from_secs(30))
            .assert()
            .code(2)
            .stderr(predicates::str::contains("not a regular file"));
    }
}

#[test]
fn an_inventory_without_any_subscription_is_an_error() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), &format!("e/{A}.txt"), "true");
    write(dir.path(), "inventory.csv", "# scope\nsubscription_id\n");
    mdc()
        .arg("scan")
        .arg(dir.path().join("e"))
        .arg("--subscriptions")
        .arg(dir.path().join("inventory.csv"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no subscription id at all"));
}

#[test]
fn an_out_of_range_source_date_epoch_is_a_usage_error_before_scanning() {
    for epoch in ["253402300800", "18446744073709551615", "-1"] {
        mdc()
            .env("SOURCE_DATE_EPOCH", epoch)
            .arg("scan")
            .arg(root().join("fixtures"))
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicates::str::contains("SOURCE_DATE_EPOCH must be"));
    }
}

#[cfg(unix)]
#[test]
fn an_interrupt_while_reports_are_written_leaves_no_temporary_file() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    // Report files are staged before standard output is written: a reader that never
    // reads holds the run there, with its temporary file on disk.
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("mdc-evidence"))
        .args(["scan", "-q", "--format", "json", "-o", "-", "-o"])
        .arg(out.join("r.json"))
        .arg(root().join("fixtures"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let staged = (0..600).find_map(|_| {
        std::thread::sleep(Duration::from_millis(50));
        std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.to_string_lossy().ends_with(".tmp"))
    });
    assert!(staged.is_some(), "the report was never staged");
    let pid = child.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert_eq!(
        std::fs::read_dir(&out).unwrap().count(),
        0,
        "no temporary or partial report is left"
    );
}

#[test]
fn earlier_reports_and_leftover_temporary_files_are_never_read_as_evidence() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), &format!("e/{A}.txt"), "true");
    let first = mdc()
        .args(["scan", "--format", "json"])
        .arg(dir.path().join("e"))
        .output()
        .unwrap()
        .stdout;
    let text = String::from_utf8(first).unwrap();
    write(dir.path(), "e/old-report.json", &text);
    write(
        dir.path(),
        "e/.mdc-evidence-Ab12Cd.tmp",
        text.get(..text.len() / 2).unwrap(),
    );
    let csv = mdc()
        .arg("scan")
        .arg(dir.path().join("e"))
        .output()
        .unwrap();
    write(
        dir.path(),
        "e/old-report.csv",
        &String::from_utf8(csv.stdout).unwrap(),
    );
    // A CSV report with --csv-metadata lines before its header, `;`-separated.
    let described = mdc()
        .args([
            "scan",
            "--csv-metadata",
            "--csv-delimiter",
            ";",
            "--rows",
            "observations",
        ])
        .arg(dir.path().join("e"))
        .output()
        .unwrap();
    write(
        dir.path(),
        "e/old-report-described.csv",
        &String::from_utf8(described.stdout).unwrap(),
    );
    let (code, report) = json_report(&dir.path().join("e"), &[]);
    // The earlier reports are recognised whole and left alone; a name like a temporary
    // file's is not read either, but it might be evidence: the run cannot pass.
    assert_eq!(code, Some(3));
    assert_eq!(report["summary"]["observations"], 1);
    assert_eq!(report["summary"]["evidence_not_read"], 1);
    for (name, why) in [
        ("old-report.json", "earlier report of mdc-evidence"),
        ("old-report.csv", "earlier report of mdc-evidence"),
        ("old-report-described.csv", "earlier report of mdc-evidence"),
        (".mdc-evidence-Ab12Cd.tmp", "temporary file"),
    ] {
        let entry = file_entry(&report, name);
        assert_eq!(entry["status"], "skipped", "{name}");
        assert!(entry["reason"].as_str().unwrap().contains(why), "{entry}");
    }
}

#[cfg(unix)]
#[test]
fn a_file_rewritten_while_it_is_read_is_refused_rather_than_hashed() {
    use mdc_evidence::error::FileError;
    use std::sync::atomic::{AtomicBool, Ordering};
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("busy.json");
    let states = [vec![b'a'; 8 << 20], vec![b'b'; 8 << 20]];
    std::fs::write(&path, &states[0]).unwrap();
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let writer = {
        let (path, stop, states) = (path.clone(), stop.clone(), states.clone());
        std::thread::spawn(move || {
            // Rewritten in place, as a collector overwriting its output would: the size
            // never changes, so only the bytes tell the states apart.
            use std::os::unix::fs::FileExt as _;
            let file = std::fs::File::options().write(true).open(&path).unwrap();
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                file.write_all_at(&states[i % 2], 0).unwrap();
                i += 1;
            }
        })
    };
    // Read until one read notices the rewrite (before the fix none ever did); a loaded
    // machine may starve the writer for a while, so give it time rather than a count.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let mut reads = 0;
    let noticed = loop {
        reads += 1;
        match mdc_evidence::read::read(&path, u64::MAX) {
            Err(FileError::ChangedDuringRead) => break true,
            Err(other) => panic!("{other}"),
            Ok(_) if std::time::Instant::now() > deadline => break false,
            Ok(_) => {}
        }
    };
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    assert!(
        noticed,
        "none of {reads} reads of a file rewritten all the time noticed it"
    );
}

#[cfg(unix)]
#[test]
fn a_name_with_the_text_backslash_x_ff_and_one_with_the_byte_stay_apart() {
    use std::os::unix::ffi::OsStrExt;
    let dir = TempDir::new().unwrap();
    let literal = format!("bad\\xFF_{A}.txt");
    std::fs::write(dir.path().join(&literal), "true").unwrap();
    let mut byte = b"bad\xFF_".to_vec();
    byte.extend_from_slice(format!("{A}.txt").as_bytes());
    std::fs::write(dir.path().join(std::ffi::OsStr::from_bytes(&byte)), "false").unwrap();
    let (_, report) = json_report(dir.path(), &[]);
    let reason = verdict(&report, A).unwrap()["reason"].as_str().unwrap();
    assert!(
        reason.contains(&format!("bad\\\\xFF_{A}")) && reason.contains(&format!("bad\\xFF_{A}")),
        "{reason}"
    );
}

#[test]
#[cfg_attr(
    windows,
    ignore = "not yet on Windows: a file's identity (volume and index) needs unsafe code or an unstable API, so the same file under two roots is counted twice"
)]
fn roots_that_name_the_same_files_count_them_once() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), &format!("a/{A}.txt"), "true");
    let absolute = dir.path().join("a");
    let output = mdc()
        .current_dir(dir.path())
        .args(["scan", "--format", "json", "a", "./a", "a/../a"])
        .arg(&absolute)
        .arg(format!("a/{A}.txt"))
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["summary"]["files_seen"], 1, "{report:#}");
    let verdict = verdict(&report, A).unwrap();
    assert_eq!(
        verdict["reason"],
        "WDATP is enabled in 1 file; path_only: no deciding file names this subscription in its content, only its path does; \
         no_resource_id: a deciding setting carries no resource id, only a name and a value; \
         date_from_file_time: dated only by the file's modification time, which may be a copy's"
    );
    assert_eq!(
        verdict["flags"],
        serde_json::json!(["path_only", "no_resource_id", "date_from_file_time"])
    );
}

// Unix only: the names hold characters Windows forbids in a file name (control
// characters, `|`, `<`, `>`, `"`); tests/windows.rs has the names Windows allows.
#[cfg(unix)]
#[test]
fn a_file_name_that_is_a_formula_after_any_separator_is_neutralised_in_csv() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), &format!("x;=cmd|' C calc'!A0;{A}.txt"), "true");
    for delimiter in [",", ";"] {
        let output = mdc()
            .args([
                "scan",
                "--rows",
                "observations",
                "--csv-delimiter",
                delimiter,
            ])
            .arg(dir.path())
            .output()
            .unwrap();
        let text = String::from_utf8(output.stdout).unwrap();
        assert!(text.contains("x;'=cmd|"), "{text}");
        assert!(!text.contains(";=cmd"), "{text}");
        let row = text.lines().nth(1).unwrap();
        let path_cell = row.split(delimiter).next().unwrap();
        assert!(path_cell.starts_with('"'), "{row}");
    }
}

#[test]
fn errors_name_the_os_cause_once_and_print_no_escape_sequences() {
    let path = "/nonexistent/\u{1b}[31mred.json";
    let output = mdc().args(["explain", path]).output().unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(2));
    // The system's own words: "No such file or directory" on Linux; on Windows, where an
    // escape character is not allowed in a name, "The filename, directory name, or volume
    // label syntax is incorrect."
    let os = std::fs::File::open(path).unwrap_err().to_string();
    let words = os.split(" (os error").next().unwrap();
    assert_eq!(stderr.matches(words).count(), 1, "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
}

#[cfg(unix)]
#[test]
fn explain_refuses_a_device_without_opening_it() {
    mdc()
        .args(["explain", "/dev/zero"])
        .timeout(Duration::from_secs(30))
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "not a regular file (char_device)",
        ));
}

#[test]
fn standard_output_named_twice_is_a_usage_error() {
    mdc()
        .arg("scan")
        .arg(root().join("fixtures"))
        .args(["-o", "-", "-o", "-"])
        .assert()
        .code(2)
        .stdout("");
}

#[test]
fn a_huge_value_is_cut_short_in_reasons_and_explain_output() {
    let dir = TempDir::new().unwrap();
    let huge = "x".repeat(1_000_000);
    let text = format!("Name  Enabled\n----  -------\nWDATP {huge}\n");
    write(dir.path(), &format!("{A}.txt"), &text);
    let (_, report) = json_report(dir.path(), &[]);
    let detail = report["observations"][0]["detail"].as_str().unwrap();
    assert!(detail.len() < 2_000, "{} bytes", detail.len());
    assert!(detail.contains("more characters not shown"), "{detail}");
    let explained = mdc()
        .arg("explain")
        .arg(dir.path().join(format!("{A}.txt")))
        .output()
        .unwrap();
    assert!(
        explained.stdout.len() < 10_000,
        "{}",
        explained.stdout.len()
    );
}

#[cfg(target_os = "linux")]
#[test]
fn a_folder_path_past_the_system_limit_is_listed_as_an_unreadable_folder() {
    let dir = TempDir::new().unwrap();
    let mut deep = dir.path().to_path_buf();
    let segment = "d".repeat(200);
    // Build it relative to the current folder, one level at a time.
    let mut built = std::path::PathBuf::new();
    for _ in 0..25 {
        built.push(&segment);
    }
    let status = std::process::Command::new("mkdir")
        .arg("-p")
        .arg(&built)
        .current_dir(dir.path())
        .status();
    if status.map_or(true, |s| !s.success()) {
        eprintln!("cannot build a path past 4096 bytes here");
        return;
    }
    deep.push(&built);
    let (_, report) = json_report(dir.path(), &[]);
    let files = report["files"].as_array().unwrap();
    assert!(!files.is_empty(), "{report:#}");
    for entry in files {
        assert_eq!(entry["kind"], "directory", "{entry}");
        assert_eq!(entry["status"], "skipped", "{entry}");
    }
}

/// Runs the binary as the unprivileged user `nobody`, where the machine allows it.
#[cfg(target_os = "linux")]
fn as_nobody() -> Option<std::process::Command> {
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .ok()
        .is_some_and(|o| o.stdout.starts_with(b"0\n"));
    if !root || !Path::new("/usr/bin/setpriv").exists() {
        eprintln!("not root or no setpriv: the unprivileged case is not checked here");
        return None;
    }
    let command = || {
        let mut cmd = std::process::Command::new("/usr/bin/setpriv");
        cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(assert_cmd::cargo::cargo_bin("mdc-evidence"))
            .env("SOURCE_DATE_EPOCH", common::EPOCH.0);
        cmd
    };
    // The build folder may sit where that user cannot reach (a private home folder).
    let runs = command()
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !runs {
        eprintln!(
            "the binary cannot run as nobody from here: the unprivileged case is not checked"
        );
        return None;
    }
    Some(command())
}

/// A folder another user can read: the temporary folder, opened to everyone.
#[cfg(target_os = "linux")]
fn readable_by_all() -> TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

#[cfg(target_os = "linux")]
#[test]
fn access_times_that_could_not_be_kept_are_said_once_in_the_run_metadata() {
    let dir = readable_by_all();
    write(dir.path(), &format!("{A}.txt"), "true");
    let (_, as_owner) = json_report(dir.path(), &[]);
    assert!(
        as_owner["run"].get("access_times").is_none(),
        "{as_owner:#}"
    );
    let Some(mut cmd) = as_nobody() else {
        return;
    };
    let output = cmd
        .args(["scan", "-q", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        report["run"]["access_times"],
        "1 folder and 1 file of another owner: the kernel refused O_NOATIME, so reading \
         them may have changed their access times"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn an_unreadable_root_is_exit_2_and_an_unreadable_folder_keeps_its_subscription() {
    use std::os::unix::fs::PermissionsExt;
    let dir = readable_by_all();
    write(dir.path(), &format!("good/{A}.txt"), "true");
    write(dir.path(), &format!("good/{B}/settings.txt"), "false");
    write(dir.path(), "noread/x.txt", "true");
    for folder in [
        dir.path().join("good"),
        dir.path().join(format!("good/{B}")),
    ] {
        std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    std::fs::set_permissions(
        dir.path().join(format!("good/{B}")),
        std::fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    std::fs::set_permissions(
        dir.path().join("noread"),
        std::fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    let Some(mut cmd) = as_nobody() else {
        return;
    };
    let output = cmd
        .args(["scan", "-q", "--format", "json"])
        .arg(dir.path().join("good"))
        .arg(dir.path().join("noread"))
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(2),
        "an unreadable root is exit 2"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.matches("Permission denied").count(), 1, "{stderr}");
    let mut cmd = as_nobody().unwrap();
    let output = cmd
        .args(["scan", "-q", "--format", "json"])
        .arg(dir.path().join("good"))
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(3),
        "never a pass with an unread folder"
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let b = verdict(&report, B).expect("the unreadable folder's subscription");
    assert_eq!(b["verdict"], "no_evidence");
    let entry = file_entry(&report, B);
    assert_eq!(entry["kind"], "directory");
    assert!(
        entry["reason"].as_str().unwrap().contains("unreadable"),
        "{entry}"
    );
    std::fs::set_permissions(
        dir.path().join(format!("good/{B}")),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    std::fs::set_permissions(
        dir.path().join("noread"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
}

#[test]
#[cfg_attr(
    windows,
    ignore = "not yet on Windows: a file's identity (volume and index) needs unsafe code or an unstable API, so the same file under two roots is counted twice"
)]
fn a_file_named_on_the_command_line_is_read_however_another_root_spells_its_path() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        &format!("ev/{A}.json"),
        &settings_list(A, "true"),
    );
    for roots in [
        ["./ev".to_owned(), format!("ev/{A}.json")],
        ["ev".to_owned(), format!("./ev/{A}.json")],
    ] {
        let output = mdc()
            .current_dir(dir.path())
            .args(["scan", "-q", "--format", "json", "--exclude", "*.json"])
            .args(&roots)
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(report["summary"]["files_read"], 1, "{roots:?}: {report:#}");
        assert_eq!(report["summary"]["files_seen"], 1, "{roots:?}");
    }
}

#[test]
fn checking_an_output_path_reads_only_its_first_bytes() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), &format!("ev/{A}.txt"), "true");
    let big = dir.path().join("ev/huge.csv");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(1 << 31)
        .unwrap();
    let output = std::process::Command::new("prlimit")
        .arg("--as=536870912")
        .arg(assert_cmd::cargo::cargo_bin("mdc-evidence"))
        .arg("scan")
        .arg(dir.path().join("ev"))
        .arg("-o")
        .arg(&big)
        .output();
    let Ok(output) = output else {
        eprintln!("prlimit is not available: not checked");
        return;
    };
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("may be evidence"));
}
