//! The command line: clap's raw arguments, and their validation into a [`Config`].
//!
//! Everything the user can get wrong (a bad glob, an unknown report extension, a bad size)
//! is checked here, before any file is read, and is a usage error (exit code 2).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use clap::{Args, CommandFactory, Parser, Subcommand};

use crate::config::{Config, StaleAfter};
use crate::discover::Discovery;
use crate::error::{Error, shown};
use crate::report::{self, Flags, Output, Writer, csv::Rows};

const EXIT_CODES: &str = "\
Exit codes:
  0  every subscription passes, and every file that might be evidence was read
  1  some subscription fails, or its evidence conflicts
  2  usage or fatal error (no report written)
  3  evidence incomplete: no fail or conflict, but some subscription has no evidence,
     none was found, or a skipped file might be evidence
With --exit-zero, 0 whenever a report was written.";

/// Decides, offline, whether Defender for Endpoint integration (WDATP) is enabled in each
/// Azure subscription, from saved Defender for Cloud settings evidence.
#[derive(Debug, Parser)]
#[command(name = "mdc-evidence", version, after_help = EXIT_CODES)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
#[allow(
    clippy::large_enum_variant,
    reason = "parsed once per run; boxing would only add noise"
)]
pub enum Command {
    /// Scan files and folders of evidence and report a verdict per subscription.
    #[command(after_help = EXIT_CODES)]
    Scan(ScanArgs),
    /// List the checks: id, title, rule, the value that passes, what absence means, the
    /// control id in each benchmark version, and how to make it pass.
    Checks(ChecksArgs),
    /// Explain one evidence file: digest, encoding, shape, every setting with its value,
    /// the subscription and where it came from, the outcome and why. Exits 0 when the
    /// file could be read, 2 otherwise.
    Explain(ExplainArgs),
    /// Verify a JSON report against its evidence: scan its roots again with its recorded
    /// command line and time, say whether each file is unchanged, changed or missing and
    /// which files are new, and name every verdict, observation or count the report states
    /// that the evidence does not give. Exits 0 when every file is unchanged, none is new
    /// and nothing differs, 1 otherwise, 2 when the report cannot be read.
    Verify(VerifyArgs),
    /// Compare two JSON reports (an earlier collection and a later one): one row per
    /// (subscription, check) with both verdicts, the change (`regressed`, `newly_failing`,
    /// `evidence_lost`, `gone`, `appeared`, `remediated`, `unchanged`) and the evidence behind each
    /// side. Exits 1 when anything regressed, is newly failing, lost its evidence, is gone
    /// or appeared failing; 0 otherwise; 2 when a report cannot be read.
    Diff(DiffArgs),
}

/// `mdc-evidence diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier JSON report.
    #[arg(value_name = "OLD")]
    pub old: PathBuf,

    /// The later JSON report.
    #[arg(value_name = "NEW")]
    pub new: PathBuf,

    /// Format on standard output: csv, json or markdown (a summary for a ticket or an
    /// e-mail).
    #[arg(long, value_name = "FORMAT", default_value = "csv")]
    pub format: crate::diff::Format,

    /// Write to FILE instead of standard output, in the format its extension names (.csv,
    /// .json, .md); repeatable. `-` is standard output in --format.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub outputs: Vec<PathBuf>,

    /// Print no summary line on standard error.
    #[arg(short, long)]
    pub quiet: bool,

    /// Exit 0 whenever the comparison was written, whatever changed.
    #[arg(long)]
    pub exit_zero: bool,
}

impl DiffArgs {
    /// The outputs: each file with the format its extension names, `None` for standard
    /// output. Refuses, before anything is read, a name without a known extension, a
    /// destination named twice, a missing folder, either report compared, and any other
    /// existing file that is not an output of this tool (it may be evidence).
    ///
    /// # Errors
    /// [`Error::Usage`] for any of those.
    pub fn outputs(&self) -> Result<Vec<(Option<PathBuf>, crate::diff::Format)>, Error> {
        if self.outputs.is_empty() {
            return Ok(vec![(None, self.format)]);
        }
        let usage =
            |path: &Path, why: &str| Error::Usage(format!("cannot write {}: {why}", shown(path)));
        let outputs = self
            .outputs
            .iter()
            .map(|path| {
                if path.as_os_str() == "-" {
                    return Ok((None, self.format));
                }
                let format = crate::diff::Format::by_file_name(path).ok_or_else(|| {
                    usage(
                        path,
                        "cannot tell the format from its extension: use .csv, .json or .md",
                    )
                })?;
                Ok((Some(path.clone()), format))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let destinations: Vec<Option<&Path>> = outputs.iter().map(|(p, _)| p.as_deref()).collect();
        let inputs = [
            Input {
                path: &self.old,
                what: "one of the reports compared (OLD)",
            },
            Input {
                path: &self.new,
                what: "one of the reports compared (NEW)",
            },
        ];
        check_outputs(&destinations, &[], &inputs)?;
        for path in destinations.into_iter().flatten() {
            // Without scanned roots to tell evidence by, any other existing file may be
            // evidence: only an earlier output of this tool is replaced.
            if path.is_file() && !is_earlier_report(path) {
                return Err(usage(
                    path,
                    "it exists and is not an output of mdc-evidence: diff never replaces \
                     other files",
                ));
            }
        }
        Ok(outputs)
    }
}

/// `mdc-evidence verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The JSON report of an earlier scan (`scan -o report.json`).
    #[arg(value_name = "REPORT")]
    pub report: PathBuf,

    /// Where a root of the report is now, when the evidence has moved (repeatable: once
    /// per root of the report, in its order). Paths are compared as the report shows them.
    #[arg(long = "root", value_name = "DIR")]
    pub roots: Vec<PathBuf>,

    /// The detail on standard output: `text` (the files that are not unchanged), `json`
    /// or `csv` (every file).
    #[arg(long, value_name = "FORMAT", default_value = "text")]
    pub format: crate::verify::Detail,

    /// Worker threads [default: four per core, at most 16, at least one per core; at most
    /// 256]
    #[arg(short = 'j', long, value_name = "N", value_parser = parse_threads)]
    pub threads: Option<usize>,

    /// Print no summary line on standard error.
    #[arg(short, long)]
    pub quiet: bool,
}

/// `mdc-evidence explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The evidence file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// Refuse files larger than SIZE (bytes, or with a KiB, MiB or GiB suffix).
    #[arg(long, value_name = "SIZE", default_value = "64MiB", value_parser = parse_size)]
    pub max_file_size: u64,
}

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
    /// coloured on a terminal), or none (no report: the summary line and the exit status
    /// only).
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

    /// The subscriptions in scope: one GUID per line, or a CSV with a `subscription_id`
    /// column. Each one without evidence gets `no_evidence`.
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

    /// Flag `stale` the subscriptions whose deciding evidence was collected longer than
    /// DURATION before the run (e.g. 30d, 12weeks, 90days); the date is the one the
    /// evidence states, else the file's modification time.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub stale_after: Option<StaleAfter>,

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

/// `mdc-evidence checks`.
#[derive(Debug, Args)]
pub struct ChecksArgs {
    /// Also list the checks of this TOML file.
    #[arg(long, value_name = "FILE")]
    pub checks_file: Option<PathBuf>,

    /// `table` for people, `json` for programs.
    #[arg(long, value_name = "FORMAT", default_value = "table", value_parser = ["table", "json"])]
    pub format: String,
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

/// A file a run reads that is not evidence under its roots (an exceptions register, an
/// inventory, a checks file, a report compared): never an output of that run.
struct Input<'a> {
    path: &'a Path,
    /// What it is, for the message.
    what: &'static str,
}

/// Whether `a` and `b` are the same file: the same device and inode, however each is
/// named (a symbolic link, a hard link, `./`, `..`). A path that cannot be looked up is
/// no file and the same as none.
fn same_file(a: &Path, b: &Path) -> bool {
    let (Ok(a_meta), Ok(b_meta)) = (std::fs::metadata(a), std::fs::metadata(b)) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        a_meta.dev() == b_meta.dev() && a_meta.ino() == b_meta.ino()
    }
    #[cfg(not(unix))]
    {
        let _ = (a_meta, b_meta);
        matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
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

fn output_for(path: &Path, stdout_format: &Writer, flags: Flags) -> Result<Output, Error> {
    if path.as_os_str() == "-" {
        return Ok(Output {
            path: None,
            format: (stdout_format.build)(&flags),
        });
    }
    let writer = report::by_file_name(path).ok_or_else(|| {
        Error::Usage(format!(
            "cannot tell the format of report {} from its extension: use {} (for no report, --format none)",
            shown(path),
            report::extensions()
        ))
    })?;
    Ok(Output {
        path: Some(path.to_path_buf()),
        format: (writer.build)(&flags),
    })
}

/// A `--format` name: one of the report formats.
fn report_format(name: &str) -> Result<&'static Writer, String> {
    report::by_name(name).ok_or_else(|| {
        let names: Vec<&str> = report::WRITERS.iter().map(|w| w.name).collect();
        format!(
            "unknown report format {name:?}: use one of {}",
            names.join(", ")
        )
    })
}

/// Refuses, before anything is read, output paths (the reports of `scan`, the outputs of
/// `diff`) that cannot be written or would replace evidence: standard output or a file named twice, a folder, a missing folder, something
/// other than a regular file, and an existing file under a scanned root that is not a
/// report of this tool; and any input of the run (`inputs`), by identity, whatever it is.
fn check_outputs(
    outputs: &[Option<&Path>],
    roots: &[PathBuf],
    inputs: &[Input<'_>],
) -> Result<(), Error> {
    let usage = |path: &Path, why: &str| {
        Error::Usage(format!("cannot write report {}: {why}", shown(path)))
    };
    if outputs.iter().filter(|o| o.is_none()).count() > 1 {
        return Err(Error::Usage(
            "standard output (-o -) is named more than once".to_owned(),
        ));
    }
    let canonical_roots: Vec<PathBuf> =
        roots.iter().filter_map(|r| r.canonicalize().ok()).collect();
    let mut seen = Vec::new();
    for path in outputs.iter().flatten() {
        let folder = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        if !folder.is_dir() {
            return Err(usage(path, "its folder does not exist"));
        }
        let canonical =
            canonical_output(path).ok_or_else(|| usage(path, "its folder cannot be read"))?;
        if seen.contains(&canonical) {
            return Err(usage(path, "it is named more than once"));
        }
        seen.push(canonical.clone());
        if let Some(input) = inputs.iter().find(|input| same_file(path, input.path)) {
            return Err(usage(
                path,
                &format!(
                    "it is {}, and an input is never an output (name another file)",
                    input.what
                ),
            ));
        }
        let Ok(metadata) = std::fs::symlink_metadata(path) else {
            continue;
        };
        if metadata.is_dir() {
            return Err(usage(path, "it is a folder"));
        }
        if !metadata.is_file() {
            return Err(usage(path, "it exists and is not a regular file"));
        }
        let under_root = canonical_roots
            .iter()
            .any(|root| canonical.starts_with(root));
        if under_root && !is_earlier_report(path) {
            return Err(usage(
                path,
                "it is a file under a scanned root and not a report of mdc-evidence: \
                 it may be evidence, and a report never replaces evidence",
            ));
        }
    }
    Ok(())
}

/// Whether the file at `path` is a report this tool wrote: its first bytes say so, and
/// only they are read.
fn is_earlier_report(path: &Path) -> bool {
    use std::io::Read as _;
    let mut head = Vec::with_capacity(512);
    std::fs::File::open(path)
        .and_then(|file| file.take(512).read_to_end(&mut head))
        .is_ok_and(|_| crate::own_reports::is_own_report(&head))
}

/// The canonical path a report file will have, so that discovery can leave it out.
fn canonical_output(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?;
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    Some(folder.canonicalize().ok()?.join(name))
}

/// The command line as recorded in the report, rebuilt from clap's parse of it: the
/// program's name, the subcommand, then every argument in the order given, each flag in its
/// long form, but `--threads`, which cannot change a report and would make reports of the
/// same inputs differ.
#[must_use]
pub fn recorded_command_line(matches: &clap::ArgMatches) -> Vec<String> {
    let mut recorded = vec![env!("CARGO_PKG_NAME").to_owned()];
    let Some((name, sub)) = matches.subcommand() else {
        return recorded;
    };
    recorded.push(name.to_owned());
    let command = Cli::command();
    let Some(definition) = command.find_subcommand(name) else {
        return recorded;
    };
    // (position in the command line, the words to record), for every argument given.
    let mut given: Vec<(usize, Vec<String>)> = Vec::new();
    for arg in definition.get_arguments() {
        let id = arg.get_id().as_str();
        if id == "threads"
            || id == "max_in_flight"
            || sub.value_source(id) != Some(clap::parser::ValueSource::CommandLine)
        {
            continue;
        }
        let indices: Vec<usize> = sub
            .indices_of(id)
            .map(Iterator::collect)
            .unwrap_or_default();
        let values: Vec<String> = if arg.get_action().takes_values() {
            sub.get_raw(id)
                .map(|raw| raw.map(|v| v.to_string_lossy().into_owned()).collect())
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        let flag = arg.get_long().map(|long| format!("--{long}"));
        match (flag, values.is_empty()) {
            // A switch: once per occurrence.
            (Some(flag), true) => given.extend(indices.iter().map(|&i| (i, vec![flag.clone()]))),
            (Some(flag), false) => given.extend(
                indices
                    .iter()
                    .zip(values)
                    .map(|(&i, value)| (i, vec![flag.clone(), value])),
            ),
            (None, _) => given.extend(indices.iter().zip(values).map(|(&i, v)| (i, vec![v]))),
        }
    }
    given.sort_by_key(|(index, _)| *index);
    recorded.extend(given.into_iter().flat_map(|(_, words)| words));
    recorded
}

/// The latest time an RFC 3339 timestamp can hold: 9999-12-31T23:59:59Z.
const LATEST_EPOCH: u64 = 253_402_300_799;

/// `SOURCE_DATE_EPOCH` when set (reproducible reports), else now.
fn generated_at(source_date_epoch: Option<OsString>) -> Result<SystemTime, Error> {
    let Some(value) = source_date_epoch else {
        return Ok(SystemTime::now());
    };
    value
        .to_str()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|&secs| secs <= LATEST_EPOCH)
        .map(|secs| SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
        .ok_or_else(|| {
            Error::Usage(format!(
                "SOURCE_DATE_EPOCH must be a whole number of seconds from 0 to {LATEST_EPOCH} \
                 (9999-12-31T23:59:59Z), not {}",
                crate::escape::printable(&value.to_string_lossy(), &[])
            ))
        })
}

/// Parses a size: bytes, or a number with a KiB, MiB or GiB suffix (K, M, G also accepted).
/// A `--stale-after` duration (`30d`, `12weeks`), kept as written for the reasons.
fn parse_duration(text: &str) -> Result<StaleAfter, String> {
    let duration = humantime::parse_duration(text.trim())
        .map_err(|e| format!("{text:?} is not a duration (e.g. 30d, 12weeks, 90days): {e}"))?;
    if duration.is_zero() {
        return Err("the duration must be longer than 0".to_owned());
    }
    Ok(StaleAfter {
        duration,
        written: text.trim().to_owned(),
    })
}

/// `-j N`: a number of threads, at most [`crate::read::MAX_THREADS`] (0: the default).
fn parse_threads(text: &str) -> Result<usize, String> {
    let n: usize = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number of threads"))?;
    if n > crate::read::MAX_THREADS {
        return Err(format!(
            "{n} threads: at most {} (each holds a file and its parse in memory)",
            crate::read::MAX_THREADS
        ));
    }
    Ok(n)
}

fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, suffix) = text.split_at(split);
    let number: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a size (e.g. 1048576, 512KiB, 64MiB, 1GiB)"))?;
    let multiplier: u64 = match suffix.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        other => {
            return Err(format!(
                "unknown size suffix {other:?}: use KiB, MiB or GiB"
            ));
        }
    };
    number
        .checked_mul(multiplier)
        .ok_or_else(|| format!("{text:?} is too large"))
}

/// A CSV delimiter: `,`, `;`, a tab or `|`, never a character that could start a formula or
/// be taken for text.
fn parse_delimiter(text: &str) -> Result<u8, String> {
    match text.as_bytes() {
        [byte @ (b',' | b';' | b'\t' | b'|')] => Ok(*byte),
        _ => Err(format!(
            "{text:?} is not a delimiter: give `,`, `;`, `|` or a tab"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_past_the_cap_are_refused() {
        assert_eq!(parse_threads("256"), Ok(256));
        assert_eq!(parse_threads("0"), Ok(0));
        assert!(parse_threads("257").unwrap_err().contains("at most 256"));
        assert!(parse_threads("20000").is_err());
        assert!(parse_threads("x").is_err());
    }

    #[test]
    fn sizes_take_binary_suffixes() {
        assert_eq!(
            parse_size("64MiB"),
            Ok(crate::config::DEFAULT_MAX_FILE_SIZE)
        );
        assert_eq!(parse_size("10"), Ok(10));
        assert_eq!(parse_size("2k"), Ok(2048));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert!(parse_size("12 parsecs").is_err());
        assert!(parse_size("99999999999999999999GiB").is_err());
    }

    #[test]
    fn threads_are_left_out_of_the_recorded_command_line() {
        for threads in [&["-j", "4"][..], &["--threads=2"], &["-j1"]] {
            let raw = [&["target/release/mdc-evidence", "scan", "x/"][..], threads].concat();
            let matches = Cli::command().get_matches_from(raw);
            assert_eq!(
                recorded_command_line(&matches),
                ["mdc-evidence", "scan", "x/"]
            );
        }
        let raw = [
            "mdc-evidence",
            "scan",
            "x/",
            "-qj4",
            "-ojan.json",
            "--include=-j",
            "y/",
            "--format",
            "json",
        ];
        let matches = Cli::command().get_matches_from(raw);
        assert_eq!(
            recorded_command_line(&matches),
            [
                "mdc-evidence",
                "scan",
                "x/",
                "--quiet",
                "--output",
                "jan.json",
                "--include",
                "-j",
                "y/",
                "--format",
                "json"
            ]
        );
    }

    #[test]
    fn source_date_epoch_is_honoured_and_checked() {
        assert_eq!(
            generated_at(Some("86400".into())).unwrap(),
            SystemTime::UNIX_EPOCH + Duration::from_secs(86400)
        );
        assert!(generated_at(Some("yesterday".into())).is_err());
        assert!(generated_at(Some("253402300799".into())).is_ok());
        assert!(generated_at(Some("253402300800".into())).is_err());
        assert!(generated_at(Some("18446744073709551615".into())).is_err());
    }

    #[test]
    fn report_format_follows_the_extension() {
        assert_eq!(
            report::by_file_name(Path::new("r.JSON")).map(|w| w.name),
            Some("json")
        );
        assert!(report::by_file_name(Path::new("r.txt")).is_none());
        assert!(report::by_file_name(Path::new(".json")).is_none());
        let flags = Flags::default();
        assert_eq!(
            output_for(Path::new("-"), &report::json::WRITER, flags)
                .unwrap()
                .path,
            None
        );
    }
}
