//! Regression tests: inputs that once gave a wrong outcome, each with the outcome it must
//! give. Run through the library's decode -> parse -> evaluate steps, or the binary.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure is a panic with its message"
)]

mod common;

#[cfg(unix)]
use std::time::Duration;

use common::{mdc, settings_list, write};
use mdc_evidence::evaluate::evaluate;
use mdc_evidence::parse_bytes;
use mdc_evidence::vocabulary::outcome::Outcome;
use tempfile::TempDir;

const A: &str = "56565656-7878-4989-8a0a-131313131313";
const C: &str = "2a2a2a2a-2b2b-4c3c-8d4d-5e5e5e5e5e5e";
const PATH_SUB: &str = "89898989-1212-4343-8565-787878787878";

/// (subscription or "-", outcome) of every observation of `text` found at `path`.
fn outcomes(text: &str, path: &str) -> Vec<(String, Outcome)> {
    let (parsed, _) = parse_bytes(text.as_bytes());
    evaluate(&parsed, path, &mdc_evidence::checks::Checks::default())
        .into_iter()
        .map(|o| {
            (
                o.subscription.map_or("-".to_owned(), |s| s.to_string()),
                o.outcome,
            )
        })
        .collect()
}

fn id(sub: &str, name: &str) -> String {
    format!("/subscriptions/{sub}/providers/Microsoft.Security/settings/{name}")
}

#[test]
fn rows_with_cut_ids_belong_to_the_subscription_the_table_names_not_to_the_path() {
    let text = format!(
        "Enabled Id{pad} Name  Type\n------- --{pad} ----  ----\n  False {} MCAS  x\n   True {}... WDATP x\n",
        id(A, "MCAS"),
        &id(A, "WDATP")[..40],
        pad = " ".repeat(80),
    );
    assert_eq!(
        outcomes(&text, &format!("{PATH_SUB}/table.txt")),
        [(A.to_owned(), Outcome::Enabled)]
    );
}

#[test]
fn completeness_is_judged_per_subscription_not_per_file() {
    let row = |sub: &str, name: &str| {
        format!(
            "True\t{}\tDataExportSettings\t{name}\tMicrosoft.Security/settings\n",
            id(sub, name)
        )
    };
    let text = [row(A, "MCAS"), row(A, "WDATP"), row(C, "MCAS")].concat();
    assert_eq!(
        outcomes(&text, "list.tsv"),
        [
            (C.to_owned(), Outcome::Unrecognized),
            (A.to_owned(), Outcome::Enabled)
        ]
    );
}

#[test]
fn notes_that_look_like_a_cmdlet_do_not_make_a_table_an_error() {
    let text = "Follow-Up: collected by J. Doe\n\nName  Enabled\n----  -------\nWDATP   False\n";
    assert_eq!(
        outcomes(text, &format!("{PATH_SUB}.txt")),
        [(PATH_SUB.to_owned(), Outcome::Disabled)]
    );
}

#[test]
fn a_file_named_on_the_command_line_is_read_even_when_a_walk_excludes_it() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "d/a.json", &settings_list(A, "true"));
    mdc()
        .current_dir(dir.path())
        .args(["scan", "d", "d/a.json", "--exclude", "*.json", "-q"])
        .assert()
        .code(0);
}

#[cfg(unix)]
#[test]
fn explain_refuses_a_fifo_instead_of_hanging() {
    let dir = TempDir::new().unwrap();
    let fifo = dir.path().join("pipe");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    mdc()
        .arg("explain")
        .arg(&fifo)
        .timeout(Duration::from_secs(30))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("not a regular file"));
}

#[test]
fn console_colour_codes_do_not_eat_tabs_or_line_ends() {
    let text = format!(
        "\u{1b}[32mTrue\u{1b}[0m\t{}\tDataExportSettings\tWDATP\tMicrosoft.Security/settings\r\n",
        id(A, "WDATP")
    );
    assert_eq!(outcomes(&text, "x.tsv"), [(A.to_owned(), Outcome::Enabled)]);
}

#[test]
fn a_closed_pipe_ends_the_run_with_the_verdict_code_not_an_error() {
    use std::io::Read as _;
    use std::process::Stdio;
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("mdc-evidence"))
        .args(["scan", "-q", "--format", "json"])
        .arg(&fixtures)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[cfg(unix)]
#[test]
fn names_that_differ_only_in_non_utf8_bytes_stay_two_files() {
    use std::os::unix::ffi::OsStrExt;
    let dir = TempDir::new().unwrap();
    for (byte, value) in [(0xFC_u8, "false"), (0xE4, "true")] {
        let mut name = b"Pr".to_vec();
        name.push(byte);
        name.extend_from_slice(format!("fung_{A}.txt").as_bytes());
        let path = dir.path().join(std::ffi::OsStr::from_bytes(&name));
        std::fs::write(path, format!("{value}\n")).unwrap();
    }
    mdc()
        .args(["scan", "--rows", "observations"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(predicates::str::contains("Pr\\xFCfung_"))
        .stdout(predicates::str::contains("Pr\\xE4fung_"))
        .stderr(predicates::str::contains("2 files read"))
        .stderr(predicates::str::contains("1 conflict"));
}

#[test]
fn the_same_single_setting_shown_twice_is_not_a_whole_list() {
    let table = "Name Enabled\n---- -------\nMCAS    True\n";
    let text = format!(
        "**********************\nWindows PowerShell transcript start\n**********************\n\
         PS C:\\> Get-AzSecuritySetting | Select name,enabled | ? name -eq MCAS\n\n{table}\n\n\
         PS C:\\> Get-AzSecuritySetting | Select name,enabled | ? name -eq MCAS\n\n{table}\n"
    );
    assert_eq!(
        outcomes(&text, &format!("{A}/transcript.txt")),
        [(A.to_owned(), Outcome::Unrecognized)]
    );
}

#[test]
fn rows_without_ids_after_a_context_switch_belong_to_the_subscription_switched_to() {
    let text = format!(
        "**********************\nWindows PowerShell transcript start\n**********************\n\
         PS C:\\> Get-AzSecuritySetting -SettingName WDATP | fl\n\n\
         Enabled : True\nId      : {}\nName    : WDATP\n\n\
         PS C:\\> Set-AzContext -Subscription {C}\n\
         PS C:\\> Get-AzSecuritySetting | Select name,enabled | ? name -eq WDATP\n\n\
         Name  Enabled\n----  -------\nWDATP   False\n\n",
        id(A, "WDATP")
    );
    assert_eq!(
        outcomes(&text, "transcript.txt"),
        [
            (C.to_owned(), Outcome::Disabled),
            (A.to_owned(), Outcome::Enabled)
        ]
    );
}

#[test]
fn other_output_appended_before_the_evidence_does_not_hide_it() {
    let text = format!(
        "{{\"environmentName\": \"AzureCloud\", \"id\": \"{C}\", \"isDefault\": true}}\n\
         [{{\"enabled\": false, \"id\": \"{}\", \"name\": \"WDATP\"}}, {{\"enabled\": true, \"id\": \"{}\", \"name\": \"MCAS\"}}]\n",
        id(A, "WDATP"),
        id(A, "MCAS")
    );
    assert_eq!(
        outcomes(&text, "az.json"),
        [(A.to_owned(), Outcome::Disabled)]
    );
}

#[test]
fn a_report_file_that_cannot_be_written_leaves_no_other_report_behind() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "a.json", &settings_list(A, "true"));
    let ok = dir.path().join("ok.json");
    mdc()
        .arg("scan")
        .arg(dir.path().join("a.json"))
        .arg("-o")
        .arg(&ok)
        .arg("-o")
        .arg(dir.path().join("no/such/folder/x.csv"))
        .assert()
        .code(2);
    assert!(!ok.exists());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary file left"
    );
}

/// The reproductions of the randomized differential test's findings, exactly as filed.
mod differential_findings {
    use super::*;

    const BQ: &str = "c1a2b3c4-1111-4111-8111-111111111111";
    const B: &str = "7d7d7d7d-1212-4343-8565-989898989898";

    #[test]
    fn a_csv_row_with_a_stray_quote_is_malformed_never_a_list_without_wdatp() {
        let dir = TempDir::new().unwrap();
        write(
            dir.path(),
            &format!("bq/{BQ}/settings.csv"),
            "\"Name\",\"Enabled\"\n\"MCAS\",\"True\"\n\"WDATP,\"True\"\n\"Sentinel\",\"False\"\n",
        );
        mdc()
            .args(["scan", "--rows", "observations"])
            .arg(dir.path().join("bq"))
            .assert()
            .code(3)
            .stdout(predicates::str::contains(",malformed,"))
            .stdout(predicates::str::contains("line 3"));
    }

    #[test]
    fn an_appended_az_object_does_not_make_another_subscriptions_jq_stream_a_single_setting() {
        let rest = |sub: &str, name: &str, enabled: bool| {
            format!(
                "{{\n  \"id\": \"{}\",\n  \"name\": \"{name}\",\n  \"type\": \"Microsoft.Security/settings\",\n  \"properties\": {{\n    \"enabled\": {enabled}\n  }}\n}}\n",
                id(sub, name)
            )
        };
        let az = format!(
            "{{\n  \"enabled\": true,\n  \"id\": \"{}\",\n  \"kind\": \"DataExportSettings\",\n  \"name\": \"WDATP\",\n  \"type\": \"Microsoft.Security/settings\"\n}}\n",
            id(B, "WDATP")
        );
        let text = rest(A, "MCAS", true) + &rest(A, "Sentinel", false) + &az;
        assert_eq!(
            outcomes(&text, "settings.json"),
            [
                (A.to_owned(), Outcome::Absent),
                (B.to_owned(), Outcome::Enabled)
            ]
        );
    }

    #[test]
    fn a_redacted_row_in_a_file_naming_two_subscriptions_is_unattributed_in_any_folder() {
        let row = |id: &str, name: &str, enabled: bool| {
            format!("{{\"enabled\": {enabled}, \"id\": \"{id}\", \"name\": \"{name}\"}}")
        };
        let text = format!(
            "[{}, {}, {}]",
            row(&id(A, "WDATP"), "WDATP", true),
            row(&id(B, "MCAS"), "MCAS", true),
            row(
                "/subscriptions/<subscription>/providers/Microsoft.Security/settings/WDATP",
                "WDATP",
                false
            )
        );
        let expected = [
            ("-".to_owned(), Outcome::Disabled),
            (A.to_owned(), Outcome::Enabled),
            (B.to_owned(), Outcome::Unrecognized),
        ];
        assert_eq!(outcomes(&text, &format!("{A}/az.json")), expected);
        assert_eq!(outcomes(&text, "other/az.json"), expected);
    }

    #[test]
    fn a_table_after_a_failed_call_for_one_scope_belongs_to_it_in_any_folder() {
        let text = format!(
            "**********************\nWindows PowerShell transcript start\n**********************\n\
             PS C:\\> Get-AzSecuritySetting\n\
             Get-AzSecuritySetting : The client 'x' with object id 'y' does not have authorization \
             to perform action 'Microsoft.Security/settings/read' over scope '/subscriptions/{A}' \
             or the scope is invalid.\n\n\
             PS C:\\> Get-AzSecuritySetting | Select-Object Name,Enabled\n\n\
             Name      Enabled\n----      -------\nMCAS         True\nWDATP       False\n\n"
        );
        let expected = [(A.to_owned(), Outcome::Disabled)];
        assert_eq!(outcomes(&text, &format!("{A}/transcript.txt")), expected);
        assert_eq!(outcomes(&text, "elsewhere/transcript.txt"), expected);
    }

    #[test]
    fn a_setting_without_enabled_is_located_at_the_object_that_lacks_it() {
        let text = format!(
            "{{\"id\":\"{}\",\"name\":\"WDATP\",\"type\":\"Microsoft.Security/settings\",\"properties\":{{}}}}",
            id(A, "WDATP")
        );
        let (parsed, _) = parse_bytes(text.as_bytes());
        let observations = evaluate(&parsed, "x.json", &mdc_evidence::checks::Checks::default());
        assert_eq!(observations.len(), 1);
        assert_eq!(observations[0].outcome, Outcome::Malformed);
        assert_eq!(
            observations[0].location.as_ref().map(ToString::to_string),
            Some("/properties".to_owned())
        );
    }

    #[test]
    fn every_error_record_of_a_loop_is_read_with_its_own_scope() {
        let record = |sub: &str| {
            format!(
                "Get-AzSecuritySetting : The client 'x' with object id 'y' does not have \
                 authorization over scope '/subscriptions/{sub}/providers/Microsoft.Security/settings' \
                 or the scope is invalid.\nAt line:1 char:1\n+ Get-AzSecuritySetting\n \n"
            )
        };
        let text = record(A) + &record(B);
        assert_eq!(
            outcomes(&text, "two-errors.txt"),
            [
                (A.to_owned(), Outcome::CollectionError),
                (B.to_owned(), Outcome::CollectionError)
            ]
        );
    }
}

#[test]
fn archives_and_images_say_what_they_are_not_that_their_nuls_are_not_utf16() {
    for (bytes, says) in [
        (
            &b"PK\x03\x04\x14\x00\x00\x00\x08\x00"[..],
            "a ZIP archive: extract it first",
        ),
        (
            &b"\x1f\x8b\x08\x00\x00\x00\x00\x00"[..],
            "a gzip archive: extract it first",
        ),
        (&b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"[..], "a PNG image"),
    ] {
        let (parsed, _) = parse_bytes(bytes);
        let observations = evaluate(
            &parsed,
            &format!("{A}/evidence.bin"),
            &mdc_evidence::checks::Checks::default(),
        );
        assert_eq!(observations[0].outcome, Outcome::Unrecognized);
        assert!(
            observations[0].detail.contains(says),
            "{}",
            observations[0].detail
        );
    }
}

#[test]
fn a_filtered_view_in_a_transcript_never_reads_as_a_whole_list() {
    let text = "**********************\nWindows PowerShell transcript start\n**********************\n\
        PS C:\\audit> Get-AzSecuritySetting | Where-Object { -not $_.Enabled } | Select-Object Name,Enabled\n\n\
        Name     Enabled\n----     -------\nMCAS       False\nSentinel   False\n\n";
    assert_eq!(
        outcomes(text, &format!("{A}/transcript.txt")),
        [(A.to_owned(), Outcome::Unrecognized)]
    );
    // The same table without a filtering command is the whole list: WDATP is absent.
    let whole = text.replace(" | Where-Object { -not $_.Enabled }", "");
    assert_eq!(
        outcomes(&whole, &format!("{A}/transcript.txt")),
        [(A.to_owned(), Outcome::Absent)]
    );
    for filtered in [
        "az security setting list --query \"[?enabled]\" -o table",
        "Get-AzSecuritySetting | Select-Object -First 2 | ft Name,Enabled",
        "Get-AzSecuritySetting | ? { $_.Name -ne 'WDATP' } | ft Name,Enabled",
    ] {
        assert!(
            mdc_evidence::formats::console::filters(filtered),
            "{filtered}"
        );
    }
    assert!(!mdc_evidence::formats::console::filters(
        "Get-AzSecuritySetting | Select-Object Name,Enabled"
    ));
}

#[test]
fn a_subscription_id_column_names_its_rows_and_a_tenant_folder_names_nothing() {
    let tenant = "cfe7d051-2224-4983-a9f3-2b88ec615d56";
    let (x, y, z) = (
        "1a1a1a1a-1111-4111-8111-111111111111",
        "2b2b2b2b-2222-4222-8222-222222222222",
        "3c3c3c3c-3333-4333-8333-333333333333",
    );
    let text = format!(
        "\"SubscriptionId\",\"Name\",\"Enabled\"\r\n\
         \"{x}\",\"MCAS\",\"True\"\r\n\"{x}\",\"WDATP\",\"True\"\r\n\
         \"{y}\",\"MCAS\",\"True\"\r\n\"{y}\",\"WDATP\",\"False\"\r\n\
         \"{z}\",\"MCAS\",\"False\"\r\n\"{z}\",\"Sentinel\",\"False\"\r\n"
    );
    assert_eq!(
        outcomes(&text, &format!("{tenant}/settings.csv")),
        [
            (x.to_owned(), Outcome::Enabled),
            (y.to_owned(), Outcome::Disabled),
            (z.to_owned(), Outcome::Absent)
        ]
    );
    let json = format!(
        "[{{\"subscriptionId\": \"{x}\", \"name\": \"WDATP\", \"enabled\": true}}, \
          {{\"subscriptionId\": \"{y}\", \"name\": \"WDATP\", \"enabled\": false}}]"
    );
    assert_eq!(
        outcomes(&json, &format!("{tenant}/settings.json")),
        [
            (x.to_owned(), Outcome::Enabled),
            (y.to_owned(), Outcome::Disabled)
        ]
    );
}

/// An az loop's output with `2>&1`: a listing for one subscription and the error for another.
mod loops {
    use super::*;

    const B: &str = "4b4b4b4b-5c5c-4d6d-8e7e-9f9f9f9f9f9f";

    fn listing() -> String {
        format!(
            "[\n  {{\n    \"enabled\": true,\n    \"id\": \"{}\",\n    \"name\": \"WDATP\"\n  }},\n  {{\n    \"enabled\": true,\n    \"id\": \"{}\",\n    \"name\": \"MCAS\"\n  }}\n]\n",
            id(A, "WDATP"),
            id(A, "MCAS")
        )
    }

    fn error() -> String {
        format!(
            "ERROR: (AuthorizationFailed) The client 'x' with object id 'y' does not have \
             authorization to perform action 'Microsoft.Security/settings/read' over scope \
             '/subscriptions/{B}' or the scope is invalid.\nCode: AuthorizationFailed\n"
        )
    }

    #[test]
    fn a_listing_then_an_error_gives_both_subscriptions() {
        let text = listing() + &error();
        assert_eq!(
            outcomes(&text, "all.txt"),
            [
                (B.to_owned(), Outcome::CollectionError),
                (A.to_owned(), Outcome::Enabled)
            ]
        );
    }

    #[test]
    fn an_error_then_a_listing_gives_both_subscriptions() {
        let text = error() + &listing();
        assert_eq!(
            outcomes(&text, "all.txt"),
            [
                (B.to_owned(), Outcome::CollectionError),
                (A.to_owned(), Outcome::Enabled)
            ]
        );
    }

    #[test]
    fn a_failed_attempt_then_a_retry_is_decided_by_the_retry() {
        let text = error().replace(B, A) + &listing();
        assert_eq!(
            outcomes(&text, "all.txt"),
            [(A.to_owned(), Outcome::Enabled)]
        );
    }
}

#[test]
fn an_unreadable_file_that_names_subscriptions_says_which_not_that_none_does() {
    let url = format!(
        "https://management.azure.com/subscriptions/{A}/providers/Microsoft.Security/settings?api-version=2022-05-01"
    );
    let har = format!(
        r#"{{"log":{{"entries":[{{"request":{{"url":"{url}"}},"response":{{"status":200,"content":{{"text":"eyJ2YWx1ZSI6[REDACTED]","encoding":"base64"}}}}}}]}}}}"#
    );
    let cut = settings_list(A, "true");
    for (text, why) in [
        (har.as_str(), "is base64-encoded but not valid base64"),
        (&cut[..cut.len() / 2], "truncated JSON"),
    ] {
        let (parsed, _) = parse_bytes(text.as_bytes());
        let observations = evaluate(
            &parsed,
            "evidence/portal.har",
            &mdc_evidence::checks::Checks::default(),
        );
        assert!(!observations.is_empty());
        for o in observations {
            assert_eq!(o.outcome, Outcome::Malformed, "{}", o.detail);
            assert!(o.subscription.is_none(), "{}", o.detail);
            assert!(o.detail.contains(why), "{}", o.detail);
            assert!(o.detail.contains(A), "{}", o.detail);
            assert!(!o.detail.contains("neither the content"), "{}", o.detail);
        }
    }
}
