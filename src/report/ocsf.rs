//! The OCSF report (`.ocsf.json`): a JSON array of OCSF Compliance Finding events (class
//! 2003), one per subscription and check, for a SIEM or a data lake. Each finding carries
//! the verdict as `compliance.status_id`, the check's CIS control, the subscription as the
//! cloud account and the resource, and every file behind the verdict as an evidence with
//! its SHA-256. What OCSF has no attribute for (the flags, the deciding value) is in
//! `unmapped`. Field names and values follow OCSF [`OCSF_VERSION`]; the test suite
//! validates every finding against the class's JSON Schema for that version.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;
use serde::ser::Serializer;

use super::evidence::{self, Behind};
use super::{Flags, Render, Writer};
use crate::model::Report;
use crate::rollup::SubscriptionVerdict;
use crate::vocabulary::verdict::Verdict;

/// The OCSF schema version the findings follow.
pub const OCSF_VERSION: &str = "1.8.0";

/// The OCSF report: `.ocsf.json`.
pub const WRITER: Writer = Writer {
    name: "ocsf",
    extensions: &["ocsf.json"],
    build: |_: &Flags| std::sync::Arc::new(Ocsf),
    is_own_report,
    is_whole_report,
};

/// What every OCSF report of this tool starts with: the array, and the first finding's
/// `metadata.product.name`.
const PREFIX: &str = concat!(
    "[\n  {\n    \"metadata\": {\n      \"product\": {\n        \"name\": \"",
    env!("CARGO_PKG_NAME"),
    "\""
);

/// Whether `bytes` start like an OCSF report of this tool (whole, or cut short).
#[must_use]
pub fn is_own_report(bytes: &[u8]) -> bool {
    bytes.starts_with(PREFIX.as_bytes())
}

/// Whether `bytes` are a whole OCSF report of this tool: one JSON array, every element a
/// finding whose `metadata.product.name` is this tool's, ending with a new line.
#[must_use]
pub fn is_whole_report(bytes: &[u8]) -> bool {
    bytes.ends_with(b"]\n")
        && serde_json::from_slice::<Vec<serde_json::Value>>(bytes).is_ok_and(|findings| {
            findings.iter().all(|f| {
                f.pointer("/metadata/product/name")
                    .and_then(serde_json::Value::as_str)
                    == Some(env!("CARGO_PKG_NAME"))
            })
        })
}

/// The OCSF report has no options.
#[derive(Debug, Clone, Copy)]
struct Ocsf;

impl Render for Ocsf {
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        render(report, out)
    }
}

/// Writes the findings, pretty-printed, ending with a newline.
///
/// # Errors
/// An I/O error from `out`.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let time = evidence::epoch_millis(&report.run.generated_at);
    let findings = Findings { report, time };
    serde_json::to_writer_pretty(&mut *out, &findings).map_err(io::Error::from)?;
    out.write_all(b"\n")
}

/// The findings, serialized as they are built.
struct Findings<'a> {
    report: &'a Report,
    time: i64,
}

impl Serialize for Findings<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(
            self.report
                .subscriptions
                .iter()
                .map(|verdict| finding(self.report, verdict, self.time)),
        )
    }
}

/// A benchmark id as a standard's name: `cis-azure-6.0.0` is `CIS Microsoft Azure
/// Foundations Benchmark v6.0.0`.
fn standard(benchmark: &str) -> String {
    match benchmark.strip_prefix("cis-azure-") {
        Some(version) => format!("CIS Microsoft Azure Foundations Benchmark v{version}"),
        None => benchmark.to_owned(),
    }
}

/// `compliance.status_id` and its caption: 1 Pass, 3 Fail, 2 Warning (the check did not
/// yield a result for want of information: no evidence, or evidence that disagrees).
fn status(verdict: Verdict) -> (u8, &'static str) {
    match verdict {
        Verdict::Pass => (1, "Pass"),
        Verdict::Fail => (3, "Fail"),
        Verdict::Conflict | Verdict::NoEvidence => (2, "Warning"),
    }
}

/// `severity_id` and its caption: a pass is Informational, a missing answer Low, a failure
/// or contradictory evidence Medium (the checks carry no severity of their own).
fn severity(verdict: Verdict) -> (u8, &'static str) {
    match verdict {
        Verdict::Pass => (1, "Informational"),
        Verdict::NoEvidence => (2, "Low"),
        Verdict::Fail | Verdict::Conflict => (3, "Medium"),
    }
}

fn finding<'a>(report: &'a Report, verdict: &'a SubscriptionVerdict, time: i64) -> Event<'a> {
    let check = &verdict.check;
    let subscription = verdict.subscription.as_str();
    let benchmark = report
        .checks
        .benchmark
        .as_deref()
        .or_else(|| check.newest_benchmark());
    let control = report.checks.control_of(check);
    let (status_id, status_caption) = status(verdict.verdict);
    let (severity_id, severity_caption) = severity(verdict.verdict);
    let title = &check.title;
    Event {
        metadata: Metadata {
            product: Product {
                name: env!("CARGO_PKG_NAME"),
                vendor_name: env!("CARGO_PKG_NAME"),
                version: env!("CARGO_PKG_VERSION"),
            },
            version: OCSF_VERSION,
            profiles: ["cloud"],
            event_code: &check.id,
        },
        activity_id: 1,
        activity_name: "Create",
        category_uid: 2,
        category_name: "Findings",
        class_uid: 2003,
        class_name: "Compliance Finding",
        type_uid: 200_301,
        type_name: "Compliance Finding: Create",
        severity_id,
        severity: severity_caption,
        time,
        message: format!(
            "subscription {subscription}, check {}: {}",
            check.id, verdict.verdict
        ),
        finding_info: FindingInfo {
            uid: evidence::uuid(&["ocsf-finding", subscription, &check.id]).to_string(),
            title,
            desc: &verdict.reason,
            types: ["Compliance"],
        },
        compliance: Compliance {
            control,
            standards: control
                .and(benchmark)
                .map(|b| vec![standard(b)])
                .unwrap_or_default(),
            requirements: check
                .controls
                .iter()
                .map(|(benchmark, id)| format!("{} {id}", standard(benchmark)))
                .collect(),
            status_id,
            status: status_caption,
            status_code: verdict.verdict.as_str(),
            status_detail: &verdict.reason,
            desc: title,
        },
        cloud: Cloud {
            provider: "Azure",
            account: Account {
                uid: subscription,
                name: verdict.name.as_deref(),
                type_id: 13,
                r#type: "Azure Subscription",
            },
        },
        resources: [Resource {
            uid: format!("/subscriptions/{subscription}"),
            name: verdict.name.as_deref().unwrap_or(subscription),
            r#type: "Microsoft.Resources/subscriptions",
            provider: "Azure",
        }],
        evidences: evidence::behind(report, verdict)
            .map(Evidence::of)
            .collect(),
        comment: verdict
            .exception
            .as_deref()
            .map(crate::register::Applied::sentence),
        unmapped: unmapped(report, verdict),
    }
}

/// What OCSF has no attribute for, about a verdict.
fn unmapped<'a>(report: &'a Report, verdict: &'a SubscriptionVerdict) -> Unmapped<'a> {
    let check = &verdict.check;
    Unmapped {
        check: &check.id,
        verdict: verdict.verdict.as_str(),
        flags: verdict
            .flags
            .iter()
            .map(crate::rollup::Flag::as_str)
            .collect(),
        deciding_file: verdict.deciding_file(),
        deciding_value: verdict.deciding.as_ref().map(|d| d.value),
        deciding_location: verdict
            .deciding
            .as_ref()
            .and_then(|d| d.location.as_deref()),
        collected_at: verdict
            .deciding
            .as_ref()
            .and_then(|d| d.collected.as_ref())
            .map(crate::formats::dates::Collected::at_text),
        in_inventory: verdict.in_inventory,
        controls: &check.controls,
        generated_at: &report.run.generated_at,
    }
}

/// One Compliance Finding event.
#[derive(Serialize)]
struct Event<'a> {
    metadata: Metadata<'a>,
    activity_id: u8,
    activity_name: &'static str,
    category_uid: u8,
    category_name: &'static str,
    class_uid: u32,
    class_name: &'static str,
    type_uid: u32,
    type_name: &'static str,
    severity_id: u8,
    severity: &'static str,
    time: i64,
    message: String,
    finding_info: FindingInfo<'a>,
    compliance: Compliance<'a>,
    cloud: Cloud<'a>,
    resources: [Resource<'a>; 1],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    evidences: Vec<Evidence<'a>>,
    /// The exceptions register's row, as a sentence.
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
    unmapped: Unmapped<'a>,
}

#[derive(Serialize)]
struct Metadata<'a> {
    product: Product,
    version: &'static str,
    profiles: [&'static str; 1],
    event_code: &'a str,
}

#[derive(Serialize)]
struct Product {
    name: &'static str,
    vendor_name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct FindingInfo<'a> {
    uid: String,
    title: &'a str,
    desc: &'a str,
    types: [&'static str; 1],
}

#[derive(Serialize)]
struct Compliance<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    control: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    standards: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    requirements: Vec<String>,
    status_id: u8,
    status: &'static str,
    status_code: &'static str,
    status_detail: &'a str,
    desc: &'a str,
}

#[derive(Serialize)]
struct Cloud<'a> {
    provider: &'static str,
    account: Account<'a>,
}

#[derive(Serialize)]
struct Account<'a> {
    uid: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    type_id: u8,
    r#type: &'static str,
}

#[derive(Serialize)]
struct Resource<'a> {
    uid: String,
    name: &'a str,
    r#type: &'static str,
    provider: &'static str,
}

/// A file behind the verdict.
#[derive(Serialize)]
struct Evidence<'a> {
    name: &'static str,
    file: File<'a>,
    data: EvidenceData<'a>,
}

impl<'a> Evidence<'a> {
    fn of(behind: Behind<'a>) -> Self {
        let name = behind
            .path
            .rsplit('/')
            .find(|part| !part.is_empty())
            .unwrap_or(behind.path);
        Evidence {
            name: if behind.deciding {
                "deciding evidence"
            } else {
                "evidence"
            },
            file: File {
                name,
                path: behind.path,
                type_id: 1,
                r#type: "Regular File",
                size: behind.evaluated.map(|e| e.size),
                hashes: behind
                    .sha256()
                    .map(|value| {
                        vec![Fingerprint {
                            algorithm_id: 3,
                            algorithm: "SHA-256",
                            value,
                        }]
                    })
                    .unwrap_or_default(),
            },
            data: EvidenceData {
                location: behind.location(),
                outcome: behind.observation.map(|o| o.outcome.as_str()),
                detail: behind.observation.map(|o| o.detail.as_str()),
                deciding: behind.deciding,
                collected_at: behind
                    .collected()
                    .map(crate::formats::dates::Collected::at_text),
                collected_from: behind.collected().map(|c| c.source.as_str()),
            },
        }
    }
}

#[derive(Serialize)]
struct File<'a> {
    name: &'a str,
    path: &'a str,
    type_id: u8,
    r#type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hashes: Vec<Fingerprint<'a>>,
}

#[derive(Serialize)]
struct Fingerprint<'a> {
    algorithm_id: u8,
    algorithm: &'static str,
    value: &'a str,
}

/// What OCSF has no attribute for, about one file behind the verdict.
#[derive(Serialize)]
struct EvidenceData<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
    deciding: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    collected_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    collected_from: Option<&'static str>,
}

/// What OCSF has no attribute for, about the verdict.
#[derive(Serialize)]
struct Unmapped<'a> {
    check: &'a str,
    verdict: &'static str,
    flags: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deciding_file: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deciding_value: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deciding_location: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    collected_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    in_inventory: Option<bool>,
    controls: &'a BTreeMap<String, String>,
    generated_at: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_map_to_compliance_status() {
        assert_eq!(status(Verdict::Pass).0, 1);
        assert_eq!(status(Verdict::Fail).0, 3);
        assert_eq!(status(Verdict::NoEvidence).0, 2);
        assert_eq!(status(Verdict::Conflict).0, 2);
    }

    #[test]
    fn own_reports_are_recognised_whole_or_cut_short() {
        let whole = PREFIX.to_owned() + ",\n        \"vendor_name\": \"x\"";
        assert!(is_own_report(whole.as_bytes()));
        assert!(is_own_report(PREFIX.as_bytes()));
        assert!(!is_own_report(b"[\n  {\n    \"metadata\": {}"));
        assert!(!is_own_report(b"[]"));
    }

    #[test]
    fn benchmarks_read_as_standards() {
        assert_eq!(
            standard("cis-azure-2.0.0"),
            "CIS Microsoft Azure Foundations Benchmark v2.0.0"
        );
        assert_eq!(standard("my-own"), "my-own");
    }
}
