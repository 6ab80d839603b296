//! The command line: clap's raw arguments, and their validation into a [`Config`].
//!
//! Everything the user can get wrong (a bad glob, an unknown report extension, a bad size)
//! is checked here, before any file is read, and is a usage error (exit code 2). Here: the
//! subcommands, the small ones' arguments and the value parsers; `scan` and `diff` have
//! their own files, and `outputs` checks every report destination before anything is read.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use clap::{Args, CommandFactory, Parser, Subcommand};

mod diff;
mod outputs;
mod period;
mod scan;

pub use diff::DiffArgs;
pub use scan::{ScanArgs, read_checks_file, recorded_scan};

use crate::error::Error;

const EXIT_CODES: &str = "\
Exit codes:
  0  every subscription passes, and every file that might be evidence was read
  1  some subscription fails, or its evidence conflicts
  2  usage or fatal error (no report written)
  3  evidence incomplete: no fail or conflict, but some subscription has no evidence,
     none was found, or a skipped file might be evidence
With --fail-on RULE, 1 also when the rule holds (see --help).
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
    /// which files are new (under the root checked), which verdicts each such file was
    /// evidence for and decided, and name every verdict, observation or count the report
    /// states that the evidence does not give. Exits 0 when every file is unchanged, none is new
    /// and nothing differs, 1 otherwise, 2 when the report cannot be read.
    Verify(VerifyArgs),
    /// Compare two JSON reports (an earlier collection and a later one): one row per
    /// (subscription, check) with both verdicts, the change (`regressed`, `newly_failing`,
    /// `evidence_lost`, `gone`, `appeared`, `remediated`, `unchanged`) and the evidence behind each
    /// side, the subscription's name and `in_inventory`. Exits 1 when anything regressed,
    /// is newly failing, lost its evidence, is gone or appeared failing (outside the
    /// inventory only with --fail-on-out-of-scope: such changes are listed apart); 0
    /// otherwise; 2 when a report cannot be read.
    Diff(DiffArgs),
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

    /// Explain the file for this built-in check only (`wdatp`, ...; `mdc-evidence checks`
    /// lists them); without it, for every built-in check.
    #[arg(long, value_name = "ID")]
    pub check: Option<String>,

    /// Refuse files larger than SIZE (bytes, or with a KiB, MiB or GiB suffix).
    #[arg(long, value_name = "SIZE", default_value = "64MiB", value_parser = parse_size)]
    pub max_file_size: u64,
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
pub(super) fn generated_at(source_date_epoch: Option<OsString>) -> Result<SystemTime, Error> {
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

/// `-j N`: a number of threads, at most [`crate::read::MAX_THREADS`] (0: the default).
pub(super) fn parse_threads(text: &str) -> Result<usize, String> {
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

/// Parses a size: bytes, or a number with a KiB, MiB or GiB suffix (K, M, G also accepted).
pub(super) fn parse_size(text: &str) -> Result<u64, String> {
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
pub(super) fn parse_delimiter(text: &str) -> Result<u8, String> {
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
    use crate::report::{self, Flags};
    use outputs::output_for;
    use std::path::Path;

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
