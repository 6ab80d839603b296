//! What a walk finds under the roots, and why an entry is not read as evidence: the words
//! discovery, reading, errors and reports share.

use std::fmt;

/// The type of a directory entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

    /// The kind of a file type as `std` reports it.
    #[must_use]
    pub fn of(file_type: std::fs::FileType) -> Self {
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

/// A size in words: `1 byte`, `1208 bytes`.
#[must_use]
pub fn bytes(n: u64) -> String {
    if n == 1 {
        "1 byte".to_owned()
    } else {
        format!("{n} bytes")
    }
}

/// Why an entry is not read as evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// Matched an `--exclude` pattern.
    Excluded(String),
    /// Matched no `--include` pattern.
    NotIncluded,
    /// A symbolic link, and links are not followed.
    SymlinkNotFollowed,
    /// A symbolic link that leads back to a folder above it.
    SymlinkLoop,
    /// A FIFO, socket or device: never opened.
    NotRegular(EntryKind),
    /// Could not be listed, opened or read; the cause, once.
    Unreadable(String),
    /// Larger than `--max-file-size`: never read.
    TooLarge {
        /// The file's size in bytes.
        size: u64,
        /// The limit in bytes.
        limit: u64,
    },
    /// Its size or modification time changed while it was read: the bytes read may be a
    /// state that never existed on disk.
    ChangedDuringRead,
    /// A report file this run writes.
    ReportOutput,
    /// A report an earlier run of this tool wrote, recognised whole by its content (a file
    /// that only starts like one is read as evidence).
    EarlierReport,
    /// Named like the temporary files this tool stages its reports in (left behind by an
    /// interrupted run, or not): never read, but it might be evidence.
    TemporaryFile,
}

impl Skip {
    /// Whether the entry might hold evidence this run did not read: a file too large,
    /// unreadable (a folder too deep to list included), changed during the read, a link not
    /// followed, an entry of unknown type, or named like this tool's temporary files. Such
    /// a skip keeps the run from passing (see [`Report::exit_status`]): the file could hold
    /// a `false` that turns any pass into a conflict. Not so for the user's choice
    /// (`--exclude`, no `--include` match), this run's reports, an earlier report recognised
    /// whole, a link leading back to a folder this walk lists anyway, and FIFOs, sockets and
    /// devices, which hold no saved bytes.
    #[must_use]
    pub fn might_be_evidence(&self) -> bool {
        match self {
            Self::Excluded(_)
            | Self::NotIncluded
            | Self::ReportOutput
            | Self::EarlierReport
            | Self::SymlinkLoop => false,
            Self::NotRegular(kind) => *kind == EntryKind::Other,
            Self::SymlinkNotFollowed
            | Self::Unreadable(_)
            | Self::TooLarge { .. }
            | Self::ChangedDuringRead
            | Self::TemporaryFile => true,
        }
    }
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Excluded(pattern) => write!(f, "excluded by --exclude {pattern}"),
            Self::NotIncluded => f.write_str("matched no --include pattern"),
            Self::SymlinkNotFollowed => {
                f.write_str("symbolic link not followed (use --follow-symlinks)")
            }
            Self::SymlinkLoop => {
                f.write_str("unreadable: symbolic link loop (leads back to a folder above it)")
            }
            Self::NotRegular(kind) => {
                write!(f, "not a regular file ({}); never opened", kind.as_str())
            }
            Self::Unreadable(why) => write!(f, "unreadable: {why}"),
            Self::TooLarge { size, limit } => write!(
                f,
                "larger than --max-file-size ({} > {}); not read",
                bytes(*size),
                bytes(*limit)
            ),
            Self::ChangedDuringRead => f.write_str(
                "changed while it was read (its size or modification time differ before and \
                 after the read): not used as evidence; scan it again once nothing writes it",
            ),
            Self::ReportOutput => f.write_str("a report file written by this run"),
            Self::EarlierReport => f.write_str("an earlier report of mdc-evidence, not evidence"),
            Self::TemporaryFile => f.write_str(
                "named like a temporary file of mdc-evidence (.mdc-evidence-*.tmp): not read; \
                 delete it if an interrupted run left it, else rename it so that it is read",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_skips_that_cannot_hide_evidence_let_a_run_pass() {
        for skip in [
            Skip::Excluded("*.log".into()),
            Skip::NotIncluded,
            Skip::ReportOutput,
            Skip::EarlierReport,
            Skip::SymlinkLoop,
            Skip::NotRegular(EntryKind::Fifo),
            Skip::NotRegular(EntryKind::Socket),
            Skip::NotRegular(EntryKind::BlockDevice),
            Skip::NotRegular(EntryKind::CharDevice),
        ] {
            assert!(!skip.might_be_evidence(), "{skip}");
        }
        for skip in [
            Skip::TooLarge { size: 2, limit: 1 },
            Skip::Unreadable("x".into()),
            Skip::SymlinkNotFollowed,
            Skip::ChangedDuringRead,
            Skip::TemporaryFile,
            Skip::NotRegular(EntryKind::Other),
        ] {
            assert!(skip.might_be_evidence(), "{skip}");
        }
    }
}
