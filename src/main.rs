//! The `mdc-evidence` binary: parse the command line, run, write the reports, exit.

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};
use mdc_evidence::cli::{Cli, Command};

use mdc_evidence::report::{self, Summary};
use mdc_evidence::{Error, ExitStatus};
use mdc_evidence::{explain, verify};

/// A scan makes many small allocations on every worker thread, where glibc's allocator spent
/// about a quarter of the time under perf; mimalloc keeps them thread-local.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let matches = match Cli::command().try_get_matches() {
        Ok(matches) => matches,
        Err(error) => {
            // `mdc-evidence evidence/`: a path where the subcommand goes.
            let first = std::env::args_os().nth(1);
            let is_path = first
                .as_ref()
                .is_some_and(|f| std::path::Path::new(f).exists());
            if error.kind() == clap::error::ErrorKind::InvalidSubcommand && is_path {
                let rest: Vec<String> = std::env::args_os()
                    .skip(1)
                    .map(|a| a.to_string_lossy().into_owned())
                    .collect();
                say(format_args!(
                    "error: {} is not a subcommand\ndid you mean: mdc-evidence scan {}",
                    mdc_evidence::escape::printable(rest.first().map_or("", String::as_str), &[]),
                    mdc_evidence::escape::printable(&rest.join(" "), &[])
                ));
                return ExitCode::from(ExitStatus::Error as u8);
            }
            error.exit()
        }
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(error) => error.exit(),
    };
    let command_line = mdc_evidence::cli::recorded_command_line(&matches);
    // Interrupted (Ctrl-C, SIGTERM, SIGHUP) while reports are being written: remove the
    // temporary files, so that no partial report is left for a later scan to find.
    let _ = ctrlc::set_handler(|| {
        report::remove_staged();
        std::process::exit(130);
    });
    match run(cli, command_line) {
        Ok(status) => ExitCode::from(status as u8),
        Err(err) => {
            say(format_args!("error: {:#}", anyhow::Error::from(err)));
            ExitCode::from(ExitStatus::Error as u8)
        }
    }
}

fn run(cli: Cli, command_line: Vec<String>) -> Result<ExitStatus, Error> {
    match cli.command {
        Command::Scan(args) => {
            // A table on a terminal ends with the summary line: not shown twice.
            let summary_shown = args.format.name == report::table::WRITER.name
                && (args.outputs.is_empty() || args.outputs.iter().any(|o| o.as_os_str() == "-"))
                && std::io::IsTerminal::is_terminal(&std::io::stdout());
            let config = args.into_config(command_line)?;
            // The reports render in parallel too: with `-j` threads, else one per core (the
            // scan's extra reading threads wait on the disk; rendering does not). A pool that
            // cannot start leaves rayon's default, and the scan then says why.
            let _ = rayon::ThreadPoolBuilder::new()
                .num_threads(config.threads)
                .build_global();
            let bar = mdc_evidence::progress::Bar::on_terminal(config.quiet);
            let report = match &bar {
                Some(bar) => {
                    let report = mdc_evidence::scan::scan_with(&config, bar);
                    bar.clear();
                    report?
                }
                None => mdc_evidence::run(&config)?,
            };
            match report::write(&report, &config.outputs) {
                // A closed pipe (`| head`) is the reader's choice, not an error.
                Err(Error::Stdout { source })
                    if source.kind() == std::io::ErrorKind::BrokenPipe => {}
                result => result?,
            }
            if !config.quiet {
                for warning in &report.run.warnings {
                    say(format_args!("warning: {warning}"));
                }
                let policy = fail_on_note(&report, &config);
                if !summary_shown {
                    say(format_args!(
                        "{}{}",
                        Summary::of(&report).line(),
                        policy.as_deref().unwrap_or_default()
                    ));
                } else if let Some(policy) = &policy {
                    say(policy.trim_start_matches("; "));
                }
                let accepted = report.accepted_failures();
                if accepted > 0 {
                    say(format_args!(
                        "{accepted} {} accepted by exceptions{}",
                        if accepted == 1 { "failure" } else { "failures" },
                        if config.strict {
                            " (--strict: counted for the exit status)"
                        } else {
                            " (not counted for the exit status; --strict counts them)"
                        }
                    ));
                }
            }
            Ok(if config.exit_zero {
                ExitStatus::Pass
            } else {
                report.exit_status(config.strict, &config.fail_on)
            })
        }
        Command::Checks(args) => {
            let mut checks = mdc_evidence::checks::builtin()?;
            if let Some(path) = &args.checks_file {
                checks.extend(mdc_evidence::cli::read_checks_file(
                    path,
                    mdc_evidence::config::DEFAULT_MAX_FILE_SIZE,
                )?);
            }
            let text = if args.format == "json" {
                mdc_evidence::checks::listing::json(&checks).unwrap_or_default()
            } else {
                mdc_evidence::checks::listing::text(&checks)
            };
            write_stdout(&text)
        }
        Command::Explain(args) => {
            let text = explain::explain(&args.file, args.max_file_size, args.check.as_deref())?;
            write_stdout(&text)
        }
        Command::Verify(args) => {
            let verification =
                verify::verify(&args.report, &args.roots, args.threads.unwrap_or(0), &|r| {
                    mdc_evidence::cli::recorded_scan(
                        r.command_line,
                        r.roots,
                        r.generated_at,
                        r.threads,
                    )
                })?;
            let mut detail = Vec::new();
            verify::render(&verification, args.format, &mut detail)
                .map_err(|source| Error::Stdout { source })?;
            write_stdout(&String::from_utf8_lossy(&detail))?;
            if !args.quiet {
                say(verification.line());
            }
            Ok(if verification.intact() {
                ExitStatus::Pass
            } else {
                ExitStatus::Fail
            })
        }
        Command::Diff(args) => diff(&args),
    }
}

/// `mdc-evidence diff`: compare, write every output (all or none), then the summary.
fn diff(args: &mdc_evidence::cli::DiffArgs) -> Result<ExitStatus, Error> {
    let outputs = args.outputs()?;
    let mut comparison = mdc_evidence::diff::diff(&args.old, &args.new)?;
    comparison.fail_on_out_of_scope = args.fail_on_out_of_scope;
    let renders: Vec<_> = outputs
        .iter()
        .map(|(path, format)| {
            let render = |out: &mut dyn std::io::Write| format.render(&comparison, out);
            (path.as_deref(), render)
        })
        .collect();
    match report::write_outputs(&renders) {
        Err(Error::Stdout { source }) if source.kind() == std::io::ErrorKind::BrokenPipe => {}
        result => result?,
    }
    if !args.quiet {
        for warning in &comparison.warnings {
            say(format_args!("warning: {warning}"));
        }
        say(comparison.line());
    }
    Ok(if comparison.needs_action() && !args.exit_zero {
        ExitStatus::Fail
    } else {
        ExitStatus::Pass
    })
}

/// One line on standard error, `mdc-evidence: ` and the message: every message goes through
/// [`mdc_evidence::escape::message`], so that no text from a file, a checks file, a register
/// or a parse error can drive the terminal or pass for a line of its own.
/// The end of the summary line when `--fail-on` rules held: which, and how many verdicts
/// (observations, for `unattributed-value`) each; `None` when none held or `--exit-zero`
/// decides the status.
fn fail_on_note(report: &mdc_evidence::Report, config: &mdc_evidence::Config) -> Option<String> {
    if config.exit_zero {
        return None;
    }
    let rules: Vec<String> = report
        .fired(&config.fail_on)
        .iter()
        .map(|(rule, n)| format!("{} ({n})", rule.as_str()))
        .collect();
    (!rules.is_empty()).then(|| format!("; exit 1 by --fail-on {}", rules.join(", ")))
}

fn say(text: impl std::fmt::Display) {
    eprintln!(
        "mdc-evidence: {}",
        mdc_evidence::escape::message(&text.to_string())
    );
}

/// Prints a command's text as a report is written (a write error is an error, never a silent
/// loss); a closed pipe is the reader's choice, not an error.
fn write_stdout(text: &str) -> Result<ExitStatus, Error> {
    let render = |out: &mut dyn std::io::Write| out.write_all(text.as_bytes());
    report::write_outputs(&[(None, render)]).map(|()| ExitStatus::Pass)
}
