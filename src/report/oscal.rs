//! The OSCAL report (`.oscal.json`): a NIST OSCAL assessment-results document. One result
//! for the run; one observation per file, subscription and check (`methods: ["TEST"]`),
//! linked to a back-matter resource per file whose `rlinks` carry the file's path and its
//! SHA-256; one finding per subscription and check, whose target is the control (an
//! `objective-id`) with `satisfied` or `not-satisfied`. Every UUID is name-based (v5) from
//! the run's stable inputs, so two runs on the same evidence write the same bytes. The
//! document follows OSCAL [`OSCAL_VERSION`]; the test suite validates it against that
//! release's JSON Schema.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::{self, Write};

use serde::Serialize;
use serde::ser::Serializer;

use super::evidence::{self, Behind};
use super::{Flags, Render, Writer};
use crate::evaluate::Observation;
use crate::model::{Evaluated, FileRecord, Report};
use crate::rollup::SubscriptionVerdict;
use crate::vocabulary::verdict::Verdict;

/// The OSCAL version the document follows.
pub const OSCAL_VERSION: &str = "1.2.1";

/// The namespace of this tool's OSCAL properties (names outside OSCAL's own need one).
const NS: &str = concat!("urn:", env!("CARGO_PKG_NAME"));

/// The OSCAL report: `.oscal.json`.
pub const WRITER: Writer = Writer {
    name: "oscal",
    extensions: &["oscal.json"],
    build: |_: &Flags| std::sync::Arc::new(Oscal),
    is_own_report,
    is_whole_report,
};

/// What every OSCAL report of this tool starts with, up to the metadata's title.
/// Built once: a scan compares every file it reads with it.
static PREFIX: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "{{\n  \"assessment-results\": {{\n    \"uuid\": \"{}\",\n    \"metadata\": {{\n      \"title\": \"{}",
        document_uuid(),
        env!("CARGO_PKG_NAME")
    )
});

/// Whether `bytes` start like an OSCAL report of this tool (whole, or cut short).
#[must_use]
pub fn is_own_report(bytes: &[u8]) -> bool {
    bytes.starts_with(PREFIX.as_bytes())
}

/// Whether `bytes` are a whole OSCAL report of this tool: one JSON object whose only key is
/// `assessment-results`, titled with this tool's name, ending with a new line.
#[must_use]
pub fn is_whole_report(bytes: &[u8]) -> bool {
    bytes.ends_with(b"}\n")
        && serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(bytes).is_ok_and(
            |document| {
                document.len() == 1
                    && document
                        .get("assessment-results")
                        .and_then(|r| r.pointer("/metadata/title"))
                        .and_then(serde_json::Value::as_str)
                        .is_some_and(|t| t.starts_with(env!("CARGO_PKG_NAME")))
            },
        )
}

/// The OSCAL report has no options.
#[derive(Debug, Clone, Copy)]
struct Oscal;

impl Render for Oscal {
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        render(report, out)
    }
}

/// Writes the assessment results, pretty-printed, ending with a newline.
///
/// # Errors
/// An I/O error from `out`.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let generated_at = report.run.generated_at.as_str();
    let document = Document {
        assessment_results: AssessmentResults {
            uuid: document_uuid(),
            metadata: Metadata {
                title: concat!(env!("CARGO_PKG_NAME"), " assessment results"),
                last_modified: generated_at,
                version: env!("CARGO_PKG_VERSION"),
                oscal_version: OSCAL_VERSION,
            },
            import_ap: ImportAp {
                href: format!("#{}", plan_uuid()),
                remarks: "No assessment plan was imported: the checks this scan ran stand in \
                          for one; the back-matter resource this href names describes them.",
            },
            results: [AssessmentResult {
                uuid: evidence::uuid(&["oscal-result", generated_at]).to_string(),
                title: concat!(env!("CARGO_PKG_NAME"), " scan"),
                description: description(report),
                start: generated_at,
                end: generated_at,
                reviewed_controls: reviewed_controls(report),
                observations: Observations(report),
                findings: Findings(report),
            }],
            back_matter: BackMatter {
                resources: Resources(report),
            },
        },
    };
    serde_json::to_writer_pretty(&mut *out, &document).map_err(io::Error::from)?;
    out.write_all(b"\n")
}

/// The document's UUID: the same for every run, as the document is always this tool's
/// assessment results (a run is told apart by its result's UUID and times).
fn document_uuid() -> String {
    evidence::uuid(&["oscal-assessment-results"]).to_string()
}

/// The back-matter resource `import-ap` points to.
fn plan_uuid() -> String {
    evidence::uuid(&["oscal-assessment-plan"]).to_string()
}

fn observation_uuid(path: &str, observation: &Observation) -> String {
    let subscription = observation
        .subscription
        .as_ref()
        .map_or("", crate::subscription::SubscriptionId::as_str);
    evidence::uuid(&[
        "oscal-observation",
        path,
        subscription,
        &observation.check.id,
    ])
    .to_string()
}

fn file_uuid(path: &str) -> String {
    evidence::uuid(&["oscal-file", path]).to_string()
}

/// Text on one line, as OSCAL's `StringDatatype` and `MarkupLineDatatype` want it: runs of
/// whitespace (line breaks included) become one space, control characters U+FFFD; `None`
/// when nothing is left.
fn line(text: &str) -> Option<String> {
    let spaced: String = text
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect();
    let printable = crate::escape::printable(&spaced, &[]);
    let words: Vec<&str> = printable.split_whitespace().collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// A property of this tool's namespace, when its value is not empty.
fn prop(name: &'static str, value: &str) -> Option<Prop> {
    line(value).map(|value| Prop {
        name,
        ns: NS,
        value,
    })
}

/// Percent-encodes a path into a relative URI reference (RFC 3986): every byte but the
/// unreserved characters, `/`, `@` and the sub-delimiters; `:` is encoded too, so that no
/// path (`C:/evidence`) reads as a scheme.
fn uri_reference(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        let keep = byte.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=@".contains(&byte);
        if keep {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// A control as an OSCAL token (a control id alone, `8.1.3.3`, is not one): the benchmark
/// and the control, `cis-azure-6.0.0_8.1.3.3`; a check no benchmark maps is its own
/// objective, `check_<id>`.
fn target_id(report: &Report, verdict: &SubscriptionVerdict) -> String {
    let check = &verdict.check;
    let benchmark = report
        .checks
        .benchmark
        .as_deref()
        .or_else(|| check.newest_benchmark());
    token(&match (benchmark, report.checks.control_of(check)) {
        (Some(benchmark), Some(control)) => format!("{benchmark}_{control}"),
        _ => format!("check_{}", check.id),
    })
}

/// Text as an OSCAL token (`TokenDatatype`, an XML `NCName`): ASCII letters, digits, `.`,
/// `-` and `_`, anything else `_` (a checks file may give a control id with a space), and
/// a leading `_` unless it starts with a letter.
fn token(text: &str) -> String {
    let mut out: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !out.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        out.insert(0, '_');
    }
    out
}

fn description(report: &Report) -> String {
    let checks: Vec<&str> = report.checks.checks.iter().map(|c| c.id.as_str()).collect();
    format!(
        "Offline scan of saved Azure evidence for Microsoft Defender for Cloud settings \
         (checks: {}) under {}. Command line: `{}`.",
        checks.join(", "),
        report.run.roots.join(", "),
        report.run.command_line.join(" ")
    )
}

fn reviewed_controls(report: &Report) -> ReviewedControls {
    let targets: BTreeSet<String> = report
        .subscriptions
        .iter()
        .map(|v| target_id(report, v))
        .collect();
    let selection = if targets.is_empty() {
        ControlSelection {
            include_all: Some(Empty {}),
            include_controls: Vec::new(),
        }
    } else {
        ControlSelection {
            include_all: None,
            include_controls: targets
                .into_iter()
                .map(|control_id| SelectControl { control_id })
                .collect(),
        }
    };
    ReviewedControls {
        description: "The controls the checks of this scan answer, as `<benchmark>_<control>` \
                      (or `check_<id>` for a check no benchmark maps).",
        control_selections: [selection],
    }
}

/// Every observation of the report, streamed.
struct Observations<'a>(&'a Report);

impl Serialize for Observations<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let generated_at = self.0.run.generated_at.as_str();
        serializer.collect_seq(
            self.0
                .observations()
                .map(|(file, e, o)| observation(file, e, o, generated_at)),
        )
    }
}

fn observation<'a>(
    file: &'a FileRecord,
    evaluated: &'a Evaluated,
    o: &'a Observation,
    generated_at: &'a str,
) -> ObservationView {
    let subscription = o
        .subscription
        .as_ref()
        .map_or("unattributed", crate::subscription::SubscriptionId::as_str);
    let props = [
        prop("subscription", subscription),
        prop("check", &o.check.id),
        prop("outcome", o.outcome.as_str()),
        o.location
            .as_ref()
            .and_then(|l| prop("location", &l.to_string())),
        prop("sha256", &evaluated.sha256),
        evaluated
            .collected
            .as_ref()
            .and_then(|c| prop("collected-from", c.source.as_str())),
    ]
    .into_iter()
    .flatten()
    .collect();
    ObservationView {
        uuid: observation_uuid(&file.path, o),
        title: line(&format!(
            "{}: {} for {subscription}, check {}",
            file.path,
            o.outcome.as_str(),
            o.check.id
        ))
        .unwrap_or_else(|| o.outcome.as_str().to_owned()),
        description: if o.detail.trim().is_empty() {
            o.outcome.as_str().to_owned()
        } else {
            o.detail.clone()
        },
        props,
        methods: ["TEST"],
        relevant_evidence: [RelevantEvidence {
            href: format!("#{}", file_uuid(&file.path)),
            description: format!(
                "The evidence file {} (SHA-256 {}).",
                file.path, evaluated.sha256
            ),
        }],
        collected: evaluated.collected.as_ref().map_or_else(
            || generated_at.to_owned(),
            crate::formats::dates::Collected::at_text,
        ),
    }
}

/// Every finding, one per subscription and check.
struct Findings<'a>(&'a Report);

impl Serialize for Findings<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.subscriptions.iter().map(|v| finding(self.0, v)))
    }
}

fn finding<'a>(report: &'a Report, verdict: &'a SubscriptionVerdict) -> FindingView<'a> {
    let check = &verdict.check;
    let subscription = verdict.subscription.as_str();
    let satisfied = verdict.verdict == Verdict::Pass;
    let (reason, remarks) = match verdict.verdict {
        Verdict::Pass => ("pass", None),
        Verdict::Fail => ("fail", None),
        Verdict::Conflict => (
            "other",
            Some(format!("Conflicting evidence: {}", verdict.reason)),
        ),
        Verdict::NoEvidence => ("other", Some(format!("No evidence: {}", verdict.reason))),
    };
    let flags: Vec<&str> = verdict
        .flags
        .iter()
        .map(crate::rollup::Flag::as_str)
        .collect();
    let props = [
        prop("subscription", subscription),
        prop("check", &check.id),
        prop("verdict", verdict.verdict.as_str()),
        report
            .checks
            .control_of(check)
            .and_then(|c| prop("control", c)),
        prop("flags", &flags.join(" ")),
        verdict
            .deciding
            .as_ref()
            .and_then(|d| prop("deciding-value", d.value)),
        verdict
            .exception
            .as_ref()
            .and_then(|e| prop("exception", e.status.as_str())),
        verdict
            .exception
            .as_ref()
            .and_then(|e| prop("exception-expires", &e.exception.expires.to_string())),
        verdict
            .exception
            .as_ref()
            .and_then(|e| prop("exception-approval", &e.sentence())),
    ]
    .into_iter()
    .flatten()
    .collect();
    let related: Vec<RelatedObservation> = evidence::behind(report, verdict)
        .filter_map(|b: Behind<'_>| b.observation.map(|o| (b.path, o)))
        .map(|(path, o)| RelatedObservation {
            observation_uuid: observation_uuid(path, o),
        })
        .collect();
    FindingView {
        uuid: evidence::uuid(&["oscal-finding", subscription, &check.id]).to_string(),
        title: line(&format!("{}: subscription {subscription}", check.title))
            .unwrap_or_else(|| check.id.clone()),
        description: verdict.reason.clone(),
        props,
        target: FindingTarget {
            r#type: "objective-id",
            target_id: target_id(report, verdict),
            title: line(&check.title),
            status: Status {
                state: if satisfied {
                    "satisfied"
                } else {
                    "not-satisfied"
                },
                reason,
                remarks,
            },
        },
        related_observations: related,
    }
}

/// The back matter's resources: the stand-in for the assessment plan, then one per file
/// read that is evidence (a README is none), with its path and SHA-256.
struct Resources<'a>(&'a Report);

impl Serialize for Resources<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let plan = Resource {
            uuid: plan_uuid(),
            title: Some("Assessment plan (not imported)".to_owned()),
            description: "No OSCAL assessment plan was imported. The plan is the checks this \
                          scan ran, listed in the result's description and in `mdc-evidence \
                          checks --format json`."
                .to_owned(),
            rlinks: Vec::new(),
        };
        let files = self.0.files.iter().filter_map(|file| match &file.status {
            crate::model::FileStatus::Evaluated(e) if e.not_evidence.is_none() => Some(Resource {
                uuid: file_uuid(&file.path),
                title: line(&file.path),
                description: format!("Evidence file {}", file.path),
                rlinks: vec![Rlink {
                    href: uri_reference(&file.path),
                    hashes: [Hash {
                        algorithm: "SHA-256",
                        value: &e.sha256,
                    }],
                }],
            }),
            crate::model::FileStatus::Evaluated(_) | crate::model::FileStatus::Skipped(_) => None,
        });
        serializer.collect_seq(std::iter::once(plan).chain(files))
    }
}

#[derive(Serialize)]
struct Document<'a> {
    #[serde(rename = "assessment-results")]
    assessment_results: AssessmentResults<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct AssessmentResults<'a> {
    uuid: String,
    metadata: Metadata<'a>,
    import_ap: ImportAp,
    results: [AssessmentResult<'a>; 1],
    back_matter: BackMatter<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Metadata<'a> {
    title: &'static str,
    last_modified: &'a str,
    version: &'static str,
    oscal_version: &'static str,
}

#[derive(Serialize)]
struct ImportAp {
    href: String,
    remarks: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct AssessmentResult<'a> {
    uuid: String,
    title: &'static str,
    description: String,
    start: &'a str,
    end: &'a str,
    reviewed_controls: ReviewedControls,
    observations: Observations<'a>,
    findings: Findings<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct ReviewedControls {
    description: &'static str,
    control_selections: [ControlSelection; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct ControlSelection {
    #[serde(skip_serializing_if = "Option::is_none")]
    include_all: Option<Empty>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    include_controls: Vec<SelectControl>,
}

#[derive(Serialize)]
struct Empty {}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct SelectControl {
    control_id: String,
}

#[derive(Serialize)]
struct Prop {
    name: &'static str,
    ns: &'static str,
    value: String,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct ObservationView {
    uuid: String,
    title: String,
    description: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    props: Vec<Prop>,
    methods: [&'static str; 1],
    relevant_evidence: [RelevantEvidence; 1],
    collected: String,
}

#[derive(Serialize)]
struct RelevantEvidence {
    href: String,
    description: String,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct FindingView<'a> {
    uuid: String,
    title: String,
    description: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    props: Vec<Prop>,
    target: FindingTarget<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_observations: Vec<RelatedObservation>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct FindingTarget<'a> {
    r#type: &'static str,
    target_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<String>,
    status: Status<'a>,
}

#[derive(Serialize)]
struct Status<'a> {
    state: &'static str,
    reason: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    remarks: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct RelatedObservation {
    observation_uuid: String,
}

#[derive(Serialize)]
struct BackMatter<'a> {
    resources: Resources<'a>,
}

#[derive(Serialize)]
struct Resource<'a> {
    uuid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<String>,
    description: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    rlinks: Vec<Rlink<'a>>,
}

#[derive(Serialize)]
struct Rlink<'a> {
    href: String,
    hashes: [Hash<'a>; 1],
}

#[derive(Serialize)]
struct Hash<'a> {
    algorithm: &'static str,
    value: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(uri_reference("evidence/a b.json"), "evidence/a%20b.json");
        assert_eq!(uri_reference("C:/evidence/x.json"), "C%3A/evidence/x.json");
        assert_eq!(uri_reference("100%.json"), "100%25.json");
        assert_eq!(uri_reference("é"), "%C3%A9");
    }

    #[test]
    fn controls_become_tokens() {
        assert_eq!(token("cis-azure-6.0.0_8.1.3.3"), "cis-azure-6.0.0_8.1.3.3");
        assert_eq!(token("check_2.1 a/é"), "check_2.1_a__");
        assert_eq!(token("9x"), "_9x");
        assert_eq!(token(""), "_");
    }

    #[test]
    fn text_is_put_on_one_line() {
        assert_eq!(line(" a\n\tb  c ").as_deref(), Some("a b c"));
        assert_eq!(line("\n \t"), None);
        assert_eq!(line("a\u{1b}b").as_deref(), Some("a\u{fffd}b"));
    }

    #[test]
    fn own_reports_are_recognised() {
        assert!(is_own_report(PREFIX.as_bytes()));
        assert!(!is_own_report(b"{\n  \"assessment-results\": {}"));
    }
}
