//! Walking the roots: every entry below them, sorted, each either to be read or skipped
//! with its reason.
//!
//! Folders are walked, never reported; every other entry (regular file, symlink, FIFO,
//! socket, device) becomes one [`Entry`], so nothing under a root is dropped silently.
//! Nothing is opened here: the entry's type comes from the directory listing, and FIFOs,
//! sockets and devices are never opened at all.

use std::fmt;
use std::path::{Path, PathBuf};

use glob::Pattern;
use serde::Serialize;
use walkdir::WalkDir;

use crate::error::Error;

/// What to walk and what to leave out.
#[derive(Debug, Clone, Default)]
pub struct Discovery {
    /// Files and folders to scan, as given.
    pub roots: Vec<PathBuf>,
    /// When not empty, only files matching one of these (below their root) are read.
    pub include: Vec<Pattern>,
    /// Files matching any of these (below their root) are skipped.
    pub exclude: Vec<Pattern>,
    /// Follow symbolic links instead of listing them as skipped.
    pub follow_symlinks: bool,
    /// Canonical paths of this run's report files: never read as evidence.
    pub outputs: Vec<PathBuf>,
}

/// The type of a directory entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A symbolic link (listed as such when links are not followed).
    Symlink,
    /// A named pipe.
    Fifo,
    /// A Unix socket.
    Socket,
    /// A block device.
    BlockDevice,
    /// A character device.
    CharDevice,
    /// A folder that could not be walked.
    Directory,
    /// Anything else.
    Other,
}

impl EntryKind {
    /// The name used in reports.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::File => "file",
            Self::Symlink => "symlink",
            Self::Fifo => "fifo",
            Self::Socket => "socket",
            Self::BlockDevice => "block_device",
            Self::CharDevice => "char_device",
            Self::Directory => "directory",
            Self::Other => "other",
        }
    }

    fn of(file_type: std::fs::FileType) -> Self {
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            if file_type.is_fifo() {
                return Self::Fifo;
            }
            if file_type.is_socket() {
                return Self::Socket;
            }
            if file_type.is_block_device() {
                return Self::BlockDevice;
            }
            if file_type.is_char_device() {
                return Self::CharDevice;
            }
        }
        if file_type.is_symlink() {
            Self::Symlink
        } else if file_type.is_file() {
            Self::File
        } else if file_type.is_dir() {
            Self::Directory
        } else {
            Self::Other
        }
    }
}

/// Why an entry is not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// Matched an `--exclude` pattern.
    Excluded(String),
    /// Matched no `--include` pattern.
    NotIncluded,
    /// A symbolic link, and links are not followed.
    SymlinkNotFollowed,
    /// A FIFO, socket or device: never opened.
    NotRegular(EntryKind),
    /// Could not be listed or reached.
    Unreadable(String),
    /// A report file this run writes.
    ReportOutput,
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Excluded(pattern) => write!(f, "excluded by --exclude {pattern}"),
            Self::NotIncluded => f.write_str("matched no --include pattern"),
            Self::SymlinkNotFollowed => {
                f.write_str("symbolic link not followed (use --follow-symlinks)")
            }
            Self::NotRegular(kind) => {
                write!(f, "not a regular file ({}); never opened", kind.as_str())
            }
            Self::Unreadable(why) => write!(f, "unreadable: {why}"),
            Self::ReportOutput => f.write_str("a report file written by this run"),
        }
    }
}

/// One entry under a root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The path as reached from its root argument, with `/` separators.
    pub path: String,
    /// The path to open.
    pub fs_path: PathBuf,
    /// The entry's type.
    pub kind: EntryKind,
    /// Why it is not read, if it is not.
    pub skip: Option<Skip>,
}

/// Walks every root and returns its entries sorted byte-wise by path, without duplicates.
///
/// # Errors
/// [`Error::Root`] when a root does not exist or cannot be read.
pub fn discover(discovery: &Discovery) -> Result<Vec<Entry>, Error> {
    let mut entries = Vec::new();
    for root in &discovery.roots {
        let metadata = std::fs::metadata(root).map_err(|source| Error::Root {
            path: root.clone(),
            source,
        })?;
        if metadata.is_dir() {
            walk(root, discovery, &mut entries);
        } else {
            // A file named on the command line is read whatever the patterns say.
            let kind = EntryKind::of(metadata.file_type());
            let skip = skip_for_kind(kind).or_else(|| is_output(root, discovery));
            entries.push(Entry {
                path: display(root),
                fs_path: root.clone(),
                kind,
                skip,
            });
        }
    }
    // Byte-wise by path; of two entries for one file (a file also named on the command
    // line), the one that is read comes first and is kept.
    entries.sort_by(|a, b| {
        (a.path.as_bytes(), a.skip.is_some()).cmp(&(b.path.as_bytes(), b.skip.is_some()))
    });
    entries.dedup_by(|later, kept| later.fs_path == kept.fs_path);
    Ok(entries)
}

fn walk(root: &Path, discovery: &Discovery, entries: &mut Vec<Entry>) {
    let walker = WalkDir::new(root).follow_links(discovery.follow_symlinks);
    for item in walker {
        let entry = match item {
            Ok(entry) => entry,
            Err(error) => {
                let path = error.path().unwrap_or(root).to_path_buf();
                let kind = if error.loop_ancestor().is_some() {
                    EntryKind::Symlink
                } else {
                    std::fs::symlink_metadata(&path)
                        .map_or(EntryKind::Other, |m| EntryKind::of(m.file_type()))
                };
                let why = match error.io_error() {
                    Some(io) => io.to_string(),
                    None => "symbolic link loop".to_owned(),
                };
                entries.push(Entry {
                    path: display(&path),
                    fs_path: path,
                    kind,
                    skip: Some(Skip::Unreadable(why)),
                });
                continue;
            }
        };
        let kind = EntryKind::of(entry.file_type());
        if kind == EntryKind::Directory {
            continue;
        }
        let below_root = entry
            .path()
            .strip_prefix(root)
            .unwrap_or(entry.path())
            .to_string_lossy();
        let skip = skip_for_kind(kind)
            .or_else(|| skip_for_patterns(&below_root, discovery))
            .or_else(|| is_output(entry.path(), discovery));
        entries.push(Entry {
            path: display(entry.path()),
            fs_path: entry.into_path(),
            kind,
            skip,
        });
    }
}

fn skip_for_kind(kind: EntryKind) -> Option<Skip> {
    match kind {
        EntryKind::File => None,
        EntryKind::Symlink => Some(Skip::SymlinkNotFollowed),
        kind => Some(Skip::NotRegular(kind)),
    }
}

fn skip_for_patterns(below_root: &str, discovery: &Discovery) -> Option<Skip> {
    if let Some(pattern) = discovery.exclude.iter().find(|p| p.matches(below_root)) {
        return Some(Skip::Excluded(pattern.as_str().to_owned()));
    }
    if !discovery.include.is_empty() && !discovery.include.iter().any(|p| p.matches(below_root)) {
        return Some(Skip::NotIncluded);
    }
    None
}

/// Whether `path` is one of this run's report files. Only entries whose file name matches
/// an output's are canonicalized, so this costs nothing per file in the common case.
fn is_output(path: &Path, discovery: &Discovery) -> Option<Skip> {
    let name = path.file_name()?;
    if !discovery
        .outputs
        .iter()
        .any(|o| o.file_name() == Some(name))
    {
        return None;
    }
    let canonical = path.canonicalize().ok()?;
    discovery
        .outputs
        .contains(&canonical)
        .then_some(Skip::ReportOutput)
}

/// A path as reported: as reached from its root argument, with `/` separators. Bytes that
/// are not UTF-8 are written `\\xNN`, so two names never show as one.
fn display(path: &Path) -> String {
    #[cfg(unix)]
    {
        use std::fmt::Write as _;
        use std::os::unix::ffi::OsStrExt;
        let mut text = String::new();
        for chunk in path.as_os_str().as_bytes().utf8_chunks() {
            text.push_str(chunk.valid());
            for byte in chunk.invalid() {
                let _ = write!(text, "\\x{byte:02X}");
            }
        }
        text
    }
    #[cfg(not(unix))]
    {
        path.to_string_lossy().replace('\\', "/")
    }
}
