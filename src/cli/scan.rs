//! `mdc-evidence scan`: its arguments, validated into a [`Config`], and the scan a report
//! records, parsed again for `verify`.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use clap::{Args, Parser};

use super::outputs::{Input, canonical_output, check_outputs, output_for, report_format};
use super::period::{parse_fail_on, parse_period, parse_stale_after};
use super::{Cli, Command, generated_at, parse_delimiter, parse_size, parse_threads};
use crate::config::{Config, Period, StaleAfter};
use crate::discover::Discovery;
use crate::error::{Error, shown};
use crate::report::{self, Flags, Output, Writer, csv::Rows};

/// `mdc-evidence scan`.
#[derive(Debug, Args)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "each bool is an independent command-line switch"
)]
pub struct ScanArgs {
    /// Files or folders of evidence; folders are walked recursively.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Read only files whose path below the root matches GLOB (repeatable; `*` also
    /// matches `/`). Files named on the command line are always read.
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,

    /// Skip files whose path below the root matches GLOB (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Follow symbolic links (by default they are listed as skipped).
    #[arg(long)]
    pub follow_symlinks: bool,

    /// Worker threads [default: four per core, at most 16, at least one per core: with a cold
    /// page cache, reads wait on the disk; at most 256]
    #[arg(short = 'j', long, value_name = "N", value_parser = parse_threads)]
    pub threads: Option<usize>,

    /// Report format on standard output: csv, json, jsonl (one observation a line), html
    /// (a self-contained page), ocsf (OCSF Compliance Findings), oscal (an OSCAL
    /// assessment-results document), table (aligned columns for a person, verdicts
    /// coloured on a terminal), xlsx (an Excel workbook: redirect it to a file), or none
    /// (no report: the summary line and the exit status only).
    #[arg(long, default_value = "csv", value_name = "FORMAT", value_parser = report_format)]
    pub format: &'static Writer,

    /// Write the report to FILE instead of standard output, in the format its extension
    /// names (.json, .jsonl, .csv, .html, .xlsx, .ocsf.json or .oscal.json); repeatable.
    /// `-` is standard output in --format.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub outputs: Vec<PathBuf>,

    /// Rows of CSV reports.
    #[arg(long, value_enum, default_value_t = Rows::Subscriptions, value_name = "ROWS")]
    pub rows: Rows,

    /// Skip files larger than SIZE without reading them (bytes, or with a KiB, MiB or GiB
    /// suffix).
    #[arg(long, value_name = "SIZE", default_value = "64MiB", value_parser = parse_size)]
    pub max_file_size: u64,

    /// Hold at most SIZE of files (each over 64 KiB) in memory at once across the worker
    /// threads; a larger file is read alone. Peak memory is about this, or --max-file-size
    /// if larger, times what parsing adds (up to about 4x for JSON).
    #[arg(long, value_name = "SIZE", default_value = "128MiB", value_parser = parse_size)]
    pub max_in_flight: u64,

    /// The subscriptions in scope: one GUID per line; a CSV with a `subscription_id`,
    /// `SubscriptionId` or `Id` column (`Get-AzSubscription | Export-Csv`); `az account list`
    /// output (-o json, tsv or table); or `Get-AzSubscription` console output (its default
    /// table); in any encoding (UTF-16 from Windows PowerShell too). Each one without
    /// evidence gets `no_evidence`.
    #[arg(long, value_name = "FILE")]
    pub subscriptions: Option<PathBuf>,

    /// An exceptions register (CSV, or TOML by its extension): accepted risks, each a
    /// `subscription_id`, `check`, `justification`, `approved_by`, `expires` (YYYY-MM-DD) and an
    /// optional ticket. Verdicts stay as the evidence says; rows show the exception
    /// (`accepted`, or `expired` after its date), and a `fail` it covers does not count
    /// for the exit status.
    #[arg(long, value_name = "FILE")]
    pub exceptions: Option<PathBuf>,

    /// Count every failure for the exit status, exceptions or not.
    #[arg(long)]
    pub strict: bool,

    /// Flag `stale` the verdicts whose deciding evidence was collected before DATE
    /// (YYYY-MM-DD, UTC), or longer than DURATION before the period's end (--period), else
    /// before the run (e.g. 30d, 12weeks, 3mo, 1y; units min, h, d, w, mo, y: `m` alone is
    /// refused). The date is the one the evidence states, else the file's modification
    /// time.
    #[arg(long, value_name = "DURATION|DATE", value_parser = parse_stale_after)]
    pub stale_after: Option<StaleAfter>,

    /// The audit period, its first and last days (YYYY-MM-DD, UTC), e.g.
    /// 2026-07-01..2026-09-30: --stale-after counts back from its end, and verdicts whose
    /// deciding evidence is dated after it (`after_period`: a date the evidence states) or
    /// before it (`before_period`) are flagged.
    #[arg(long, value_name = "START..END", value_parser = parse_period)]
    pub period: Option<Period>,

    /// Exit 1 also when RULE holds (repeatable, or comma-separated): `flagged` (a verdict in
    /// scope carries any flag), a flag's code (`path_only`, `shared_evidence`, `stale`,
    /// `date_from_file_time`, ...: a verdict in scope carries it), `unattributed-value`
    /// (an observation without a subscription holds a value) or `out-of-scope` (a
    /// subscription outside the inventory fails or conflicts).
    #[arg(long, value_name = "RULE", value_parser = parse_fail_on)]
    pub fail_on: Vec<Vec<crate::model::FailOn>>,

    /// Start CSV reports with a UTF-8 byte order mark (for Excel).
    #[arg(long)]
    pub csv_bom: bool,

    /// Start CSV reports with `# ` lines naming the tool and version, the run time, the
    /// command, the roots, the checks and the summary, so that the file stands alone in a
    /// workpaper (not plain RFC 4180: tell the reading program to skip `#` lines).
    #[arg(long)]
    pub csv_metadata: bool,

    /// Field delimiter of CSV reports: `,`, `;` (for locales that expect it), `|` or a tab.
    #[arg(long, value_name = "CHAR", default_value = ",", value_parser = parse_delimiter)]
    pub csv_delimiter: u8,

    /// Print no summary line on standard error.
    #[arg(short, long)]
    pub quiet: bool,

    /// Exit 0 whenever a report was written, whatever the verdicts.
    #[arg(long)]
    pub exit_zero: bool,

    /// A check to run (repeatable; `all` for every built-in; see `mdc-evidence checks`)
    /// [default: wdatp].
    #[arg(long = "check", value_name = "ID")]
    pub checks: Vec<String>,

    /// A TOML file of checks of your own (the format of `mdc-evidence checks`); they run
    /// unless --check picks among them.
    #[arg(long, value_name = "FILE")]
    pub checks_file: Option<PathBuf>,

    /// An ad-hoc check `query` on JSON evidence: a `JSONPath` (RFC 9535) whose match must
    /// equal --expect.
    #[arg(long, value_name = "JSONPATH", requires = "expect")]
    pub query: Option<String>,

    /// The JSON value --query must find (`true`, `false`, `"text"`, `1`).
    #[arg(long, value_name = "JSON", requires = "query")]
    pub expect: Option<String>,

    /// The benchmark whose control ids reports show (e.g. cis-azure-2.0.0) [default: the
    /// newest version that maps each check].
    #[arg(long, value_name = "BENCHMARK")]
    pub benchmark: Option<String>,
}

/// The checks of a `--checks-file`, read like evidence (a regular file within the size
/// limit) and validated.
///
/// # Errors
/// [`Error::Usage`] when the file cannot be read or holds an invalid check.
pub fn read_checks_file(path: &Path, limit: u64) -> Result<Vec<crate::checks::Check>, Error> {
    let contents = crate::read::read(path, limit)
        .map_err(|e| Error::Usage(format!("cannot read --checks-file {}: {e}", shown(path))))?;
    let text = crate::decode::decode(&contents.bytes)
        .map_err(|e| Error::Usage(format!("--checks-file {}: {e}", shown(path))))?;
    crate::checks::parse_file(&text.text, &shown(path), false)
}

impl ScanArgs {
    /// Validates the arguments into a [`Config`]. `command_line` is the command line as
    /// recorded in the report (see [`recorded_command_line`]).
    ///
    /// # Errors
    /// [`Error::Usage`] for anything invalid.
    pub fn into_config(self, command_line: Vec<String>) -> Result<Config, Error> {
        let include = compile(&self.include, "--include")?;
        let exclude = compile(&self.exclude, "--exclude")?;
        let flags = Flags {
            rows: self.rows,
            csv_delimiter: self.csv_delimiter,
            csv_bom: self.csv_bom,
            csv_metadata: self.csv_metadata,
        };
        let outputs = if self.outputs.is_empty() {
            vec![Output {
                path: None,
                format: (self.format.build)(&flags),
            }]
        } else {
            self.outputs
                .iter()
                .map(|path| output_for(path, self.format, flags))
                .collect::<Result<_, _>>()?
        };
        let destinations: Vec<Option<&Path>> = outputs.iter().map(|o| o.path.as_deref()).collect();
        check_outputs(&destinations, &self.paths, &self.inputs())?;
        let output_files = outputs
            .iter()
            .filter_map(|o| o.path.as_deref())
            .filter_map(canonical_output)
            .collect();
        let generated_at = generated_at(std::env::var_os("SOURCE_DATE_EPOCH"))?;
        let user = match &self.checks_file {
            Some(path) => read_checks_file(path, self.max_file_size)?,
            None => Vec::new(),
        };
        let ad_hoc = match (&self.query, &self.expect) {
            (Some(query), Some(expect)) => Some(crate::checks::ad_hoc(query, expect)?),
            _ => None,
        };
        let checks = crate::checks::select(&self.checks, &user, ad_hoc.as_ref(), self.benchmark)?;
        Ok(Config {
            discovery: Discovery {
                roots: self.paths,
                include,
                exclude,
                follow_symlinks: self.follow_symlinks,
                outputs: output_files,
            },
            threads: self.threads.unwrap_or(0),
            max_file_size: self.max_file_size,
            max_in_flight: self.max_in_flight,
            inventory: self.subscriptions,
            outputs,
            checks,
            command_line,
            generated_at,
            stale_after: self.stale_after,
            period: self.period,
            fail_on: self.fail_on.into_iter().flatten().collect(),
            quiet: self.quiet,
            exit_zero: self.exit_zero,
            exceptions: match &self.exceptions {
                Some(path) => Some(crate::register::read(path, self.max_file_size)?),
                None => None,
            },
            strict: self.strict,
        })
    }
}

impl ScanArgs {
    /// The files this run reads besides the evidence: none of them may be an output.
    fn inputs(&self) -> Vec<Input<'_>> {
        [
            (
                &self.exceptions,
                "the exceptions register of this run (--exceptions)",
            ),
            (
                &self.subscriptions,
                "the inventory of this run (--subscriptions)",
            ),
            (
                &self.checks_file,
                "the checks file of this run (--checks-file)",
            ),
        ]
        .into_iter()
        .filter_map(|(path, what)| path.as_deref().map(|path| Input { path, what }))
        .collect()
    }
}

/// The configuration of the scan a report records, to re-derive the report (`verify`):
/// `command_line` parsed with the same definitions as any command line, the roots replaced
/// by the folders to walk (`roots`: each with the root the report shows for it), an input
/// recorded under a root read from where that root is now, no report written, and
/// `generated_at` the report's own, so that what depends on the run's time (staleness,
/// exceptions' expiry) is judged as it was.
///
/// # Errors
/// [`Error::Usage`] when the command line is not a scan's, or an input it names (the
/// exceptions register, the checks file) cannot be read or is invalid.
pub fn recorded_scan(
    command_line: &[String],
    roots: &[(PathBuf, String)],
    generated_at: SystemTime,
    threads: usize,
) -> Result<Config, Error> {
    let cli = Cli::try_parse_from(command_line).map_err(|e| {
        Error::Usage(format!(
            "the recorded command line cannot be parsed again: {}",
            e.kind()
        ))
    })?;
    let Command::Scan(mut args) = cli.command else {
        return Err(Error::Usage(
            "the recorded command line is not that of a scan".to_owned(),
        ));
    };
    args.paths = roots.iter().map(|(walked, _)| walked.clone()).collect();
    args.outputs.clear();
    args.format = &report::json::WRITER;
    for input in [
        &mut args.exceptions,
        &mut args.subscriptions,
        &mut args.checks_file,
    ]
    .into_iter()
    .flatten()
    {
        *input = moved_with_root(input, roots);
    }
    let mut config = args.into_config(command_line.to_vec())?;
    config.generated_at = generated_at;
    config.threads = threads;
    config.quiet = true;
    Ok(config)
}

/// Where an input recorded under a root is now, when the root has moved.
fn moved_with_root(input: &Path, roots: &[(PathBuf, String)]) -> PathBuf {
    let shown = crate::escape::display(input);
    for (walked, recorded) in roots {
        if let Some(rest) = shown.strip_prefix(recorded.trim_end_matches('/'))
            && let Some(rest) = rest.strip_prefix('/')
            && walked != Path::new(recorded)
        {
            return walked.join(rest);
        }
    }
    input.to_path_buf()
}

fn compile(patterns: &[String], flag: &str) -> Result<Vec<glob::Pattern>, Error> {
    patterns
        .iter()
        .map(|p| {
            glob::Pattern::new(p)
                .map_err(|e| Error::Usage(format!("invalid {flag} pattern {p:?}: {e}")))
        })
        .collect()
}
