//! Reading a JSON report an earlier scan wrote, for `verify` and `diff`. The tool's name and
//! the `schema_version` are read first, so that a report of a newer version is named as
//! such rather than called malformed; then the parts the command needs are deserialized.

use std::path::Path;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, shown};
use crate::read;

/// The JSON report schema versions this version reads.
pub const KNOWN_SCHEMAS: [u32; 2] = [1, 2];

/// The check every row of a `schema_version` 1 report is about (those reports name none).
pub const SCHEMA_1_CHECK: &str = "wdatp";

/// The largest report read.
const REPORT_LIMIT: u64 = 4 * 1024 * 1024 * 1024;

/// What a report says of itself, read before anything else.
#[derive(Debug, Deserialize)]
struct Head {
    schema_version: Option<u32>,
    tool: Option<Tool>,
    /// Set by the outputs of other subcommands (`diff`); a scan report has none.
    kind: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Tool {
    name: String,
}

/// Reads the scan report at `path` into `T`, for the subcommand `command` (named in the
/// messages). Returns the report's `schema_version` with it.
///
/// # Errors
/// [`Error::Usage`] when the file cannot be read, is not a JSON scan report of this tool,
/// has a `schema_version` this version does not know, or lacks what `T` needs.
pub fn read<T: DeserializeOwned>(path: &Path, command: &str) -> Result<(u32, T), Error> {
    let contents = read::read(path, REPORT_LIMIT)
        .map_err(|e| Error::Usage(format!("cannot read report {}: {e}", shown(path))))?;
    let bytes = contents
        .bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(&contents.bytes);
    let not_ours = || {
        Error::Usage(format!(
            "{} is not a JSON report of mdc-evidence ({command} reads the report written by \
             scan --format json or -o FILE.json)",
            shown(path)
        ))
    };
    let head: Head = serde_json::from_slice(bytes).map_err(|_| not_ours())?;
    if head
        .tool
        .as_ref()
        .is_none_or(|t| t.name != env!("CARGO_PKG_NAME"))
    {
        return Err(not_ours());
    }
    if let Some(kind) = head.kind {
        return Err(Error::Usage(format!(
            "{} is the output of mdc-evidence {}, not a scan report ({command} reads the \
             report written by scan --format json or -o FILE.json)",
            shown(path),
            crate::escape::printable(&kind, &[])
        )));
    }
    let version = match head.schema_version {
        Some(v) if KNOWN_SCHEMAS.contains(&v) => v,
        Some(v) => {
            return Err(Error::Usage(format!(
                "report {} has schema_version {v}, which this version of mdc-evidence ({}) \
                 does not know (it reads {}): {command} it with the version that wrote it",
                shown(path),
                env!("CARGO_PKG_VERSION"),
                KNOWN_SCHEMAS.map(|v| v.to_string()).join(" and ")
            )));
        }
        None => return Err(not_ours()),
    };
    let report = serde_json::from_slice(bytes).map_err(|e| {
        Error::Usage(format!(
            "report {} cannot be read by {command}: {e}",
            shown(path)
        ))
    })?;
    Ok((version, report))
}
