//! Where reports go, checked before anything is read: each destination's format from its
//! name, never one named twice, never a folder that does not exist, never a file the run
//! reads (evidence, a register, an inventory, a checks file, a report compared).

use std::path::{Path, PathBuf};

use crate::error::{Error, shown};
use crate::report::{self, Flags, Output, Writer};

/// A file a run reads that is not evidence under its roots (an exceptions register, an
/// inventory, a checks file, a report compared): never an output of that run.
pub(super) struct Input<'a> {
    pub(super) path: &'a Path,
    /// What it is, for the message.
    pub(super) what: &'static str,
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

pub(super) fn output_for(
    path: &Path,
    stdout_format: &Writer,
    flags: Flags,
) -> Result<Output, Error> {
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
pub(super) fn report_format(name: &str) -> Result<&'static Writer, String> {
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
pub(super) fn check_outputs(
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
pub(super) fn is_earlier_report(path: &Path) -> bool {
    use std::io::Read as _;
    let mut head = Vec::with_capacity(512);
    std::fs::File::open(path)
        .and_then(|file| file.take(512).read_to_end(&mut head))
        .is_ok_and(|_| crate::own_reports::is_own_report(&head))
}

/// The canonical path a report file will have, so that discovery can leave it out.
pub(super) fn canonical_output(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?;
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    Some(folder.canonicalize().ok()?.join(name))
}
