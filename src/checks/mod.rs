//! Checks as data: what a scan asks of each subscription's evidence.
//!
//! A [`Check`] names a Defender for Cloud setting (matched exactly, ignoring case, in every
//! input shape) or a `JSONPath` query with the value it expects (JSON evidence only), the
//! value that passes, what a complete list without the setting means, and the benchmark
//! controls it answers. The built-in checks are `builtin.toml`, embedded, in the same format
//! a user writes for `--checks-file`: built-ins and user checks share this one code path.
//! Everything here is validated before any file is read; a bad checks file or query is a
//! usage error naming the position.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::Deserialize;

use crate::error::Error;

pub mod listing;

/// The built-in checks, as shipped.
const BUILTIN: &str = include_str!("builtin.toml");

/// The benchmark versions control ids are known for, oldest first.
pub const BENCHMARKS: &[&str] = &[
    "cis-azure-1.3.0",
    "cis-azure-1.4.0",
    "cis-azure-1.5.0",
    "cis-azure-2.0.0",
    "cis-azure-2.1.0",
    "cis-azure-3.0.0",
    "cis-azure-4.0.0",
    "cis-azure-5.0.0",
    "cis-azure-6.0.0",
];

/// The check a scan runs when none is named.
pub const DEFAULT: &str = "wdatp";

/// What a check reads.
#[derive(Debug, Clone)]
pub enum Rule {
    /// A setting by name, in every shape that lists settings.
    Setting(String),
    /// A `JSONPath` query (RFC 9535), compiled once, and the value expected where it matches.
    Query {
        /// The query as written.
        text: String,
        /// The compiled query.
        compiled: Arc<jsonpath_rust::parser::model::JpQuery>,
        /// The value that passes.
        expect: serde_json::Value,
    },
}

/// What a complete settings list without the setting means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Absent {
    /// The check fails (the setting is off by default).
    Fail,
    /// The check passes (the setting is on by default).
    Pass,
    /// Absence decides nothing.
    Unknown,
}

impl Absent {
    /// The name used in reports and checks files.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fail => "fail",
            Self::Pass => "pass",
            Self::Unknown => "unknown",
        }
    }
}

/// How to make a check pass.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Remediation {
    /// The REST call.
    pub rest: Option<String>,
    /// The az CLI command.
    pub az: Option<String>,
    /// The PowerShell command.
    pub powershell: Option<String>,
}

/// One check. See the module documentation.
#[derive(Debug, Clone)]
pub struct Check {
    /// How `--check` names it; reported as `check`.
    pub id: String,
    /// What it asks.
    pub title: String,
    /// What it reads.
    pub rule: Rule,
    /// The value that passes.
    pub passes_when: bool,
    /// What a complete list without the setting means.
    pub absent: Absent,
    /// Why, from the documented default.
    pub absent_reason: String,
    /// Whether a bare `true`/`false` file answers it (the CIS one-liner prints WDATP's).
    pub bare_values: bool,
    /// The control id per benchmark version.
    pub controls: BTreeMap<String, String>,
    /// Microsoft cloud security benchmark ids.
    pub mcsb: Vec<String>,
    /// The CIS profile level.
    pub profile: Option<String>,
    /// How to make it pass.
    pub remediation: Remediation,
    /// Whether it ships with the tool.
    pub builtin: bool,
}

impl Check {
    /// What a reason calls the thing checked: the setting's name, or `the query's value`.
    #[must_use]
    pub fn subject(&self) -> &str {
        match &self.rule {
            Rule::Setting(name) => name,
            Rule::Query { .. } => "the queried value",
        }
    }

    /// The setting's name, for a setting rule.
    #[must_use]
    pub fn setting(&self) -> Option<&str> {
        match &self.rule {
            Rule::Setting(name) => Some(name),
            Rule::Query { .. } => None,
        }
    }

    /// The control this check answers in `benchmark`, if that version maps it.
    #[must_use]
    pub fn control(&self, benchmark: &str) -> Option<&str> {
        self.controls.get(benchmark).map(String::as_str)
    }

    /// The newest benchmark version that maps this check.
    #[must_use]
    pub fn newest_benchmark(&self) -> Option<&'static str> {
        BENCHMARKS
            .iter()
            .rev()
            .find(|b| self.controls.contains_key(**b))
            .copied()
    }
}

/// A check as reports and `mdc-evidence checks --format json` write it.
impl serde::Serialize for Check {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("id", &self.id)?;
        map.serialize_entry("title", &self.title)?;
        match &self.rule {
            Rule::Setting(name) => map.serialize_entry("setting", name)?,
            Rule::Query { text, expect, .. } => {
                map.serialize_entry("query", text)?;
                map.serialize_entry("expect", expect)?;
            }
        }
        map.serialize_entry("passes_when", &self.passes_when)?;
        map.serialize_entry("absent", &self.absent)?;
        map.serialize_entry("absent_reason", &self.absent_reason)?;
        map.serialize_entry("bare_values", &self.bare_values)?;
        map.serialize_entry("controls", &self.controls)?;
        map.serialize_entry("mcsb", &self.mcsb)?;
        map.serialize_entry("profile", &self.profile)?;
        map.serialize_entry("remediation", &self.remediation)?;
        map.serialize_entry("builtin", &self.builtin)?;
        map.end()
    }
}

/// Checks are the same when their ids are: an id names one check in a run.
impl PartialEq for Check {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for Check {}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id)
    }
}

/// The checks of a run, in the order they were named, and the benchmark whose control ids
/// reports show.
#[derive(Debug, Clone)]
pub struct Checks {
    /// The checks run.
    pub checks: Vec<Arc<Check>>,
    /// `--benchmark`, when given: else each check's newest benchmark.
    pub benchmark: Option<String>,
}

impl Default for Checks {
    /// The default: WDATP alone.
    fn default() -> Self {
        let checks = builtin()
            .unwrap_or_default()
            .into_iter()
            .filter(|c| c.id == DEFAULT)
            .map(Arc::new)
            .collect();
        Self {
            checks,
            benchmark: None,
        }
    }
}

impl Checks {
    /// The control id a report shows for `check`.
    #[must_use]
    pub fn control_of<'c>(&self, check: &'c Check) -> Option<&'c str> {
        match &self.benchmark {
            Some(benchmark) => check.control(benchmark),
            None => check.newest_benchmark().and_then(|b| check.control(b)),
        }
    }

    /// Whether any check reads JSON with a query (JSON documents are then kept for it).
    #[must_use]
    pub fn has_queries(&self) -> bool {
        self.checks
            .iter()
            .any(|c| matches!(c.rule, Rule::Query { .. }))
    }
}

/// A check as a checks file writes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckDef {
    id: String,
    title: Option<String>,
    setting: Option<String>,
    query: Option<String>,
    expect: Option<toml::Value>,
    #[serde(default = "yes")]
    passes_when: bool,
    #[serde(default = "fail")]
    absent: Absent,
    absent_reason: Option<String>,
    #[serde(default)]
    bare_values: bool,
    #[serde(default)]
    controls: BTreeMap<String, String>,
    #[serde(default)]
    mcsb: Vec<String>,
    profile: Option<String>,
    #[serde(default)]
    remediation: Remediation,
}

fn yes() -> bool {
    true
}

fn fail() -> Absent {
    Absent::Fail
}

/// A checks file: `[[check]]` tables.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChecksFile {
    #[serde(default)]
    check: Vec<CheckDef>,
}

/// The built-in checks.
///
/// # Errors
/// Only if the embedded file is broken, which a test rules out.
pub fn builtin() -> Result<Vec<Check>, Error> {
    parse_file(BUILTIN, "the built-in checks", true)
}

/// Reads the checks of a checks file's text; `origin` names it in errors.
///
/// # Errors
/// [`Error::Usage`] naming the position of a TOML error, a query that does not compile,
/// a check with both or neither of `setting` and `query`, or a query without `expect`.
pub fn parse_file(text: &str, origin: &str, builtin: bool) -> Result<Vec<Check>, Error> {
    let file: ChecksFile = toml::from_str(text)
        .map_err(|e| Error::Usage(format!("{origin}: {}", e.to_string().trim_end())))?;
    file.check
        .into_iter()
        .map(|def| check_of(def, origin, builtin))
        .collect()
}

fn check_of(def: CheckDef, origin: &str, builtin: bool) -> Result<Check, Error> {
    let usage = |why: String| Error::Usage(format!("{origin}: check {:?}: {why}", def.id));
    if def.id.is_empty()
        || !def
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(usage(
            "an id is letters, digits, `-` and `_` (it names the check on the command line)"
                .to_owned(),
        ));
    }
    let rule = match (&def.setting, &def.query) {
        (Some(name), None) if !name.trim().is_empty() => Rule::Setting(name.trim().to_owned()),
        (None, Some(query)) => {
            let expect = def
                .expect
                .clone()
                .ok_or_else(|| usage("a query needs `expect`, the value that passes".into()))?;
            let expect = serde_json::to_value(expect)
                .map_err(|e| usage(format!("`expect` is not a JSON value: {e}")))?;
            query_rule(query, expect).map_err(usage)?
        }
        _ => {
            return Err(usage(
                "give exactly one of `setting` (a setting's name) and `query` (a JSONPath)"
                    .to_owned(),
            ));
        }
    };
    if let Some(unknown) = def
        .controls
        .keys()
        .find(|b| !BENCHMARKS.contains(&b.as_str()))
    {
        return Err(usage(format!(
            "unknown benchmark {unknown:?} in controls: use one of {}",
            BENCHMARKS.join(", ")
        )));
    }
    Ok(Check {
        title: def.title.unwrap_or_else(|| def.id.clone()),
        id: def.id,
        rule,
        passes_when: def.passes_when,
        absent: def.absent,
        absent_reason: def.absent_reason.unwrap_or_default(),
        bare_values: def.bare_values,
        controls: def.controls,
        mcsb: def.mcsb,
        profile: def.profile,
        remediation: def.remediation,
        builtin,
    })
}

/// A query rule: the query compiled once, or the parser's message with its position.
///
/// # Errors
/// The parser's message, naming the position, when the query does not compile; a reason
/// when it has more than one descendant segment (`..`), each of which multiplies the work
/// by the size of the document.
pub fn query_rule(query: &str, expect: serde_json::Value) -> Result<Rule, String> {
    let compiled = jsonpath_rust::parser::parse_json_path(query)
        .map_err(|e| format!("invalid JSONPath {query:?}: {e}"))?;
    let descendants = crate::query::descendant_segments(&compiled);
    if descendants > 1 {
        return Err(format!(
            "JSONPath {query:?} has {descendants} descendant segments (`..`): at most one is \
             allowed, since each multiplies the work by the size of the document"
        ));
    }
    Ok(Rule::Query {
        text: query.to_owned(),
        compiled: Arc::new(compiled),
        expect,
    })
}

/// The ad-hoc check `--query <JSONPATH> --expect <JSON>` makes, with id `query`.
///
/// # Errors
/// [`Error::Usage`] when the query does not compile or `expect` is not JSON.
pub fn ad_hoc(query: &str, expect: &str) -> Result<Check, Error> {
    let expect: serde_json::Value = serde_json::from_str(expect).map_err(|e| {
        Error::Usage(format!(
            "--expect {expect:?} is not a JSON value (true, false, \"text\", 1): {e}"
        ))
    })?;
    let rule = query_rule(query, expect).map_err(|e| Error::Usage(format!("--query: {e}")))?;
    Ok(Check {
        id: "query".to_owned(),
        title: format!("{query} is the expected value"),
        rule,
        passes_when: true,
        absent: Absent::Fail,
        absent_reason: "the query matched nothing in a complete document".to_owned(),
        bare_values: false,
        controls: BTreeMap::new(),
        mcsb: Vec::new(),
        profile: None,
        remediation: Remediation::default(),
        builtin: false,
    })
}

/// Chooses the checks of a run: the named built-in or user checks (`all` for every
/// built-in), in the order named; the default when none is named.
///
/// # Errors
/// [`Error::Usage`] for an unknown id, a user check reusing an id, or an unknown benchmark.
pub fn select(
    names: &[String],
    user: &[Check],
    ad_hoc: Option<&Check>,
    benchmark: Option<String>,
) -> Result<Checks, Error> {
    let builtin = builtin()?;
    let taken = |id: &str| {
        builtin.iter().any(|b| b.id.eq_ignore_ascii_case(id))
            || id.eq_ignore_ascii_case("query")
            || id.eq_ignore_ascii_case("all")
    };
    if let Some(clash) = user.iter().find(|u| taken(&u.id)) {
        return Err(Error::Usage(format!(
            "check {:?} of --checks-file has the id of a built-in check: give it another",
            clash.id
        )));
    }
    let defined_twice = user.iter().enumerate().find_map(|(i, u)| {
        user.iter()
            .skip(i + 1)
            .any(|other| other.id.eq_ignore_ascii_case(&u.id))
            .then_some(u)
    });
    if let Some(twice) = defined_twice {
        return Err(Error::Usage(format!(
            "check {:?} is defined twice in --checks-file: every id names one check",
            twice.id
        )));
    }
    if let Some(benchmark) = &benchmark
        && !BENCHMARKS.contains(&benchmark.as_str())
    {
        return Err(Error::Usage(format!(
            "unknown --benchmark {benchmark:?}: use one of {}",
            BENCHMARKS.join(", ")
        )));
    }
    let mut chosen: Vec<Check> = Vec::new();
    let add = |chosen: &mut Vec<Check>, check: &Check| {
        if !chosen.iter().any(|c| c.id == check.id) {
            chosen.push(check.clone());
        }
    };
    for name in names {
        if name == "all" {
            for check in &builtin {
                add(&mut chosen, check);
            }
            continue;
        }
        let check = builtin
            .iter()
            .chain(user)
            .find(|c| c.id.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                let known: Vec<&str> = builtin.iter().chain(user).map(|c| c.id.as_str()).collect();
                Error::Usage(format!(
                    "unknown check {name:?}: use one of {}, or all",
                    known.join(", ")
                ))
            })?;
        add(&mut chosen, check);
    }
    // A checks file's checks run when given, unless --check picks among them.
    if names.is_empty() {
        for check in user {
            add(&mut chosen, check);
        }
    }
    if let Some(query) = ad_hoc {
        add(&mut chosen, query);
    }
    if chosen.is_empty() {
        for check in builtin.iter().filter(|c| c.id == DEFAULT) {
            add(&mut chosen, check);
        }
    }
    Ok(Checks {
        checks: chosen.into_iter().map(Arc::new).collect(),
        benchmark,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_checks_read_and_name_wdatp_at_every_version() {
        let checks = builtin().unwrap();
        let ids: Vec<&str> = checks.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "wdatp",
                "mcas",
                "wdatp-unified-solution",
                "wdatp-linux",
                "sentinel"
            ]
        );
        let wdatp = &checks[0];
        let controls: Vec<&str> = BENCHMARKS.iter().filter_map(|b| wdatp.control(b)).collect();
        assert_eq!(
            controls,
            [
                "2.9", "2.9", "2.4.2", "2.1.22", "2.1.21", "3.1.3.3", "9.1.3.3", "8.1.3.3",
                "8.1.3.3"
            ]
        );
        assert_eq!(wdatp.newest_benchmark(), Some("cis-azure-6.0.0"));
        assert!(!checks[3].passes_when, "wdatp-linux passes when false");
    }

    #[test]
    fn a_user_file_with_a_setting_and_a_query_rule() {
        let text = r#"
[[check]]
id = "vnext"
setting = "WDATP_VNEXT"

[[check]]
id = "mcas-query"
query = '$.value[?@.name=="MCAS"].properties.enabled'
expect = true
"#;
        let checks = parse_file(text, "user.toml", false).unwrap();
        assert_eq!(checks[0].setting(), Some("WDATP_VNEXT"));
        assert!(matches!(checks[1].rule, Rule::Query { .. }));
    }

    #[test]
    fn bad_files_and_queries_name_the_position() {
        let err = parse_file("[[check]]\nid = \"x\"\nsetting = \n", "c.toml", false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 3"), "{err}");
        let err = ad_hoc("$.value[?@.name==\"MCAS\"", "true")
            .unwrap_err()
            .to_string();
        assert!(err.contains("invalid JSONPath"), "{err}");
        assert!(err.contains("1:"), "{err}");
        assert!(parse_file("[[check]]\nid = \"x\"\n", "c.toml", false).is_err());
    }

    #[test]
    fn selection_keeps_the_order_named_and_refuses_unknown_ids() {
        let checks = select(&["mcas".into(), "wdatp-linux".into()], &[], None, None).unwrap();
        let ids: Vec<&str> = checks.checks.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["mcas", "wdatp-linux"]);
        assert!(select(&["nope".into()], &[], None, None).is_err());
        assert_eq!(Checks::default().checks.len(), 1);
        let all = select(&["all".into()], &[], None, None).unwrap();
        assert_eq!(all.checks.len(), 5);
    }

    #[test]
    fn a_query_with_two_descendant_segments_is_refused_before_scanning() {
        assert!(query_rule("$..enabled", serde_json::Value::Bool(true)).is_ok());
        for q in ["$..*..*", "$..*..*..*", "$..value[?@..enabled]"] {
            let Err(why) = query_rule(q, serde_json::Value::Bool(true)) else {
                panic!("{q}")
            };
            assert!(
                why.contains("descendant segments (`..`): at most one"),
                "{why}"
            );
        }
    }
}
