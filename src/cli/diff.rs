//! `mdc-evidence diff`: its arguments, and the outputs they name.

use std::path::{Path, PathBuf};

use clap::Args;

use super::outputs::{Input, check_outputs, is_earlier_report};
use crate::error::{Error, shown};

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

    /// Let a change outside the inventory (a subscription the report with its row marks
    /// `in_inventory: false`) make diff exit 1 too; by default such changes are listed
    /// apart and do not count for the exit status.
    #[arg(long)]
    pub fail_on_out_of_scope: bool,
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
