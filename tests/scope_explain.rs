//! The binary, end to end, on what frames a file's part in the audit: `explain --check ID`
//! with the evidence date and how a file that decides nothing would count; files that are
//! not evidence counted apart from the unattributed observations in every report; an
//! inventory saved as `Get-AzSubscription`'s console table, in UTF-16.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure is a panic with its message"
)]

mod common;

use std::path::Path;
use std::time::{Duration, SystemTime};

use common::{mdc, root, settings_list, write};
use tempfile::TempDir;

const SUB: &str = "6a1f0c3e-2b7d-4e59-8c40-1d2e3f4a5b6c";
const GAP: &str = "7b2e1d4f-3c8e-4f6a-9d51-2e3f4a5b6c7d";
const TENANT: &str = "cfe7d051-2224-4983-a9f3-2b88ec615d56";

/// A console table of `Get-AzSecuritySetting | Format-Table Name, Enabled`: settings
/// without a resource id, so nothing in it names a subscription.
const TABLE: &str = "\nName                              Enabled\n----                              -------\nMCAS                                 True\nWDATP                                True\nSentinel                            False\n\n";

fn stdout(cmd: &mut assert_cmd::Command) -> (Option<i32>, String, String) {
    let output = cmd.output().unwrap();
    (
        output.status.code(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

fn set_modified(path: &Path, secs: u64) {
    let file = std::fs::File::options().write(true).open(path).unwrap();
    file.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
        .unwrap();
}

#[test]
fn explain_check_prints_one_check_the_evidence_date_and_how_the_file_would_count() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "loose/settings.txt", TABLE);
    let file = dir.path().join("loose/settings.txt");
    // 2026-09-30T12:00:00Z
    set_modified(&file, 1_790_769_600);
    let (code, out, err) = stdout(mdc().args(["explain", "--check", "wdatp"]).arg(&file));
    assert_eq!(code, Some(0), "{err}");
    let checks: Vec<&str> = out.lines().filter(|l| l.contains("check:")).collect();
    assert_eq!(checks, ["  check:        wdatp"], "{out}");
    assert!(
        out.contains(
            "collected: 2026-09-30T12:00:00Z\n           from the file's modification time"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "  would count:  it names no subscription; placed in a folder named by the \
             subscription's GUID, it would count, from the path\n"
        ),
        "{out}"
    );
    // Only the check asked for marks its setting.
    assert!(out.contains(" * WDATP "), "{out}");
    assert!(out.contains("   MCAS "), "{out}");

    // Without --check, every built-in check; placed in its subscription's folder, the same
    // bytes decide and no hint is given for WDATP.
    let (_, all, _) = stdout(mdc().arg("explain").arg(&file));
    assert_eq!(all.matches("  check:").count(), 5, "{all}");
    write(dir.path(), &format!("{SUB}/settings.txt"), TABLE);
    let (_, placed, _) = stdout(
        mdc()
            .args(["explain", "--check", "wdatp"])
            .arg(dir.path().join(SUB).join("settings.txt")),
    );
    assert!(
        placed.contains(&format!("subscription: {SUB} (from the path)")),
        "{placed}"
    );
    assert!(!placed.contains("would count"), "{placed}");

    // After a switch to a subscription by name the path is never read: another hint.
    write(
        dir.path(),
        &format!("{SUB}/by-name.txt"),
        &format!("PS C:\\> Set-AzContext -Subscription Prod\n{TABLE}"),
    );
    let (_, by_name, _) = stdout(
        mdc()
            .args(["explain", "--check", "wdatp"])
            .arg(dir.path().join(SUB).join("by-name.txt")),
    );
    assert!(
        by_name.contains("would count:  it names several subscriptions, or one by name only"),
        "{by_name}"
    );
}

#[test]
fn explain_names_a_date_the_evidence_states_and_refuses_an_unknown_check() {
    let transcript = root().join(
        "fixtures/powershell-transcript/b27edbde-877f-441a-ad59-d391f97d42c0/PowerShell_transcript.AUDIT-WS01.Hc6Ty1Vb.20241108084406_set-azcontext-then-cis-table_utf8-bom-crlf.txt",
    );
    let (code, out, _) = stdout(mdc().args(["explain", "--check", "wdatp"]).arg(&transcript));
    assert_eq!(code, Some(0));
    assert!(
        out.contains(
            "collected: 2024-11-08T08:44:06Z by CONTOSO\\auditor on AUDIT-WS01\n           \
             from the transcript's Start time"
        ),
        "{out}"
    );
    let (code, out, err) = stdout(
        mdc()
            .args(["explain", "--check", "wdatpp"])
            .arg(&transcript),
    );
    assert_eq!(code, Some(2));
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("\"wdatpp\" is not a built-in check")
            && err.contains("wdatp, mcas, wdatp-unified-solution, wdatp-linux, sentinel"),
        "{err}"
    );
}

#[test]
fn explain_says_how_a_filtered_view_and_an_error_would_count() {
    let dir = TempDir::new().unwrap();
    // `Where-Object Name -eq MCAS`: a filtered view without WDATP.
    let filtered = format!(
        "\nName Enabled Id\n---- ------- --\nMCAS    True /subscriptions/{SUB}/providers/Microsoft.Security/settings/MCAS\n"
    );
    write(dir.path(), "mcas.txt", &filtered);
    let (_, out, _) = stdout(
        mdc()
            .args(["explain", "--check", "wdatp"])
            .arg(dir.path().join("mcas.txt")),
    );
    assert!(out.contains("outcome:      unrecognized"), "{out}");
    assert!(
        out.contains("would count:  it shows part of the settings list"),
        "{out}"
    );
    let error = format!(
        r#"{{"error":{{"code":"AuthorizationFailed","message":"The client 'auditor@contoso.example' with object id '0f0e0d0c-0b0a-4999-8888-777766665555' does not have authorization to perform action 'Microsoft.Security/settings/read' over scope '/subscriptions/{SUB}' or the scope is invalid."}}}}"#
    );
    write(dir.path(), "error.json", &error);
    let (_, out, _) = stdout(
        mdc()
            .args(["explain", "--check", "wdatp"])
            .arg(dir.path().join("error.json")),
    );
    assert!(out.contains("outcome:      collection_error"), "{out}");
    assert!(
        out.contains("would count:  it records an error instead of data"),
        "{out}"
    );
}

/// A collection with a README and an image at its root, notes in a subscription's folder,
/// and a table naming no subscription.
fn collection() -> TempDir {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    write(
        d,
        &format!("{SUB}/settings.json"),
        &settings_list(SUB, "true"),
    );
    write(
        d,
        &format!("{SUB}/notes.md"),
        "# Production\n\nExported by the platform team.\n",
    );
    write(
        d,
        "README.md",
        "# Evidence, Q3 2026\n\nOne folder per subscription. Questions: cloud@contoso.example\n",
    );
    std::fs::write(
        d.join("screenshot.png"),
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01",
    )
    .unwrap();
    write(d, "loose/settings.txt", TABLE);
    dir
}

#[test]
fn files_that_are_not_evidence_are_counted_apart_in_every_report() {
    let dir = collection();
    let reports = TempDir::new().unwrap();
    let out = reports.path();
    let (code, _, err) = stdout(
        mdc()
            .args(["scan", "--exit-zero"])
            .arg(dir.path())
            .args([
                "-o", "r.json", "-o", "r.csv", "-o", "r.html", "-o", "r.jsonl",
            ])
            .args(["-o", "r.ocsf.json", "-o", "r.oscal.json"])
            .current_dir(out),
    );
    assert_eq!(code, Some(0), "{err}");
    let summary = err.lines().last().unwrap();
    assert!(
        summary.contains("; 2 files not evidence; 1 unattributed observation (1 with a value)"),
        "{summary}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("r.json")).unwrap()).unwrap();
    assert_eq!(report["summary"]["not_evidence"], 2);
    assert_eq!(report["summary"]["files_read"], 5);
    assert_eq!(report["summary"]["unattributed"], 1);
    for name in ["README.md", "screenshot.png"] {
        let file = report["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"].as_str().unwrap().ends_with(name))
            .unwrap_or_else(|| panic!("{name} not in the manifest"));
        assert_eq!(file["status"], "evaluated");
        assert_eq!(file["observations"], 0);
        assert!(
            file["reason"]
                .as_str()
                .unwrap()
                .starts_with("not evidence: "),
            "{file}"
        );
    }
    // Notes in a subscription's folder are that subscription's observation.
    let observations = report["observations"].as_array().unwrap();
    assert!(observations.iter().any(|o| {
        o["path"]
            .as_str()
            .unwrap()
            .ends_with(&format!("{SUB}/notes.md"))
            && o["subscription_id"] == SUB
            && o["outcome"] == "unrecognized"
    }));
    let at_root = |text: &str| {
        text.lines()
            .filter(|l| l.contains("README.md") || l.contains("screenshot.png"))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert!(
        observations
            .iter()
            .all(|o| at_root(o["path"].as_str().unwrap()).is_empty()),
        "{observations:?}"
    );
    // In no other report is a file at the root listed. The per-subscription CSV ends with
    // the unattributed rows, the page, JSON Lines and OSCAL list them; OCSF has findings
    // per subscription only; the per-observation CSV and the table follow.
    for name in ["r.csv", "r.html", "r.jsonl", "r.ocsf.json", "r.oscal.json"] {
        // The page lets a long path break after each `/`.
        let text = std::fs::read_to_string(out.join(name))
            .unwrap()
            .replace("<wbr>", "");
        assert_eq!(at_root(&text), Vec::<String>::new(), "{name}");
        assert!(
            name == "r.ocsf.json" || text.contains("loose/settings.txt"),
            "{name} lists the unattributed table"
        );
    }
    let (_, rows, _) = stdout(
        mdc()
            .args(["scan", "--exit-zero", "--rows", "observations"])
            .arg(dir.path()),
    );
    assert_eq!(at_root(&rows), Vec::<String>::new(), "{rows}");
    assert!(rows.contains("loose/settings.txt"), "{rows}");
    let (_, table, _) = stdout(
        mdc()
            .args(["scan", "--exit-zero", "--format", "table"])
            .arg(dir.path()),
    );
    assert!(table.contains("unattributed observations"), "{table}");
    assert_eq!(at_root(&table), Vec::<String>::new(), "{table}");
    assert!(table.contains("loose/settings.txt"), "{table}");
}

/// UTF-16LE with a byte order mark and CRLF, as Windows PowerShell 5.1 writes
/// `Get-AzSubscription > subscriptions.txt`.
fn utf16(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text.replace('\n', "\r\n").encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    bytes
}

#[test]
fn an_inventory_saved_as_a_get_azsubscription_table_in_utf16_is_read() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        &format!("ev/{SUB}/settings.json"),
        &settings_list(SUB, "true"),
    );
    let table = format!(
        "\n\
         Name                        Id                                   TenantId                             State\n\
         ----                        --                                   --------                             -----\n\
         Contoso Production          {SUB} {TENANT} Enabled\n\
         Contoso Dev/Test            {GAP} {TENANT} Enabled\n\
         \n"
    );
    std::fs::write(dir.path().join("subscriptions.txt"), utf16(&table)).unwrap();
    let (code, out, err) = stdout(
        mdc()
            .args(["scan", "--format", "json", "--subscriptions"])
            .arg(dir.path().join("subscriptions.txt"))
            .arg(dir.path().join("ev")),
    );
    assert_eq!(code, Some(3), "the gap has no evidence: {err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = report["subscriptions"].as_array().unwrap();
    let row = |sub: &str| rows.iter().find(|r| r["subscription_id"] == sub).unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(row(SUB)["subscription_name"], "Contoso Production");
    assert_eq!(row(SUB)["verdict"], "pass");
    assert_eq!(row(SUB)["in_inventory"], true);
    assert_eq!(row(GAP)["subscription_name"], "Contoso Dev/Test");
    assert_eq!(row(GAP)["verdict"], "no_evidence");
    // The tenant is never taken for a subscription.
    assert!(rows.iter().all(|r| r["subscription_id"] != TENANT));
}

/// Whitespace collapsed, in lower case, Markdown's escaped `|` as written.
fn words(text: &str) -> String {
    text.to_lowercase()
        .replace("\\|", "|")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn scan_help_describes_the_inventory_as_the_command_line_page_does() {
    let (_, help, _) = stdout(mdc().args(["scan", "--help"]));
    let help = words(&help);
    let said = help
        .split("--subscriptions <file> ")
        .nth(1)
        .and_then(|rest| rest.split(" --").next())
        .unwrap();
    assert!(
        said.contains("get-azsubscription` console output"),
        "{said}"
    );
    let page = std::fs::read_to_string(root().join("docs/command-line.md")).unwrap();
    let row = page
        .lines()
        .find(|l| l.starts_with("| `--subscriptions <FILE>` |"))
        .unwrap();
    assert!(
        words(row).contains(said),
        "scan --help says {said:?}\nthe page: {row}"
    );
}
