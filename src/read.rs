//! Reading one evidence file: once, read-only, within a size limit, hashed as it is read.
//!
//! Evidence is never modified: files are opened read-only, on Linux with `O_NOATIME` where
//! the kernel permits it, so their access times stay as they were collected. A file whose
//! size or modification time changes while it is read is refused: its bytes may be a state
//! that never existed on disk.

use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, Read};
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::discover::{EntryKind, Skip};
use crate::error::FileError;

/// Threads that read files when `--threads` is not given (`requested` is 0): four per
/// core, at most 16, never fewer than one per core. Reading is most of a scan's work, and
/// with a cold page cache each read waits on the disk: with more reads in flight than
/// cores, 100,000 cold files took 3.8 s instead of 8.5 s on two cores (8 threads against
/// 2), and warm ones took the same time.
#[must_use]
pub fn threads(requested: usize) -> usize {
    if requested > 0 {
        return requested;
    }
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    cores.max((4 * cores).min(16))
}

/// A file's bytes and their digest.
#[derive(Debug)]
pub struct Contents {
    /// The bytes, as read.
    pub bytes: Vec<u8>,
    /// Hex SHA-256 of the bytes.
    pub sha256: Sha256Hex,
    /// Whether the file was opened so that its access time stays as it was.
    pub atime_kept: bool,
    /// The file's modification time, when the file system gives one.
    pub modified: Option<std::time::SystemTime>,
}

/// What reading a file into a buffer tells besides the bytes: [`Contents`] without them.
#[derive(Debug)]
pub struct Stamp {
    /// Hex SHA-256 of the bytes.
    pub sha256: Sha256Hex,
    /// Whether the file was opened so that its access time stays as it was.
    pub atime_kept: bool,
    /// The file's modification time, when the file system gives one.
    pub modified: Option<std::time::SystemTime>,
}

/// Reads a whole file, refusing files larger than `limit` bytes without reading them, and
/// files that change while they are read.
///
/// # Errors
/// [`FileError`] when the file cannot be opened or read, is not a regular file, is too
/// large, or changed during the read.
pub fn read(path: &Path, limit: u64) -> Result<Contents, FileError> {
    let mut bytes = Vec::new();
    let Stamp {
        sha256,
        atime_kept,
        modified,
    } = read_into(path, limit, &mut bytes)?;
    Ok(Contents {
        bytes,
        sha256,
        atime_kept,
        modified,
    })
}

/// [`read`] into `bytes`, replacing what it held: a scan reads every file of a worker
/// thread into one buffer, which stays in the processor's cache, instead of a fresh
/// allocation per file.
///
/// # Errors
/// As [`read`]; `bytes` then holds no meaningful content.
pub fn read_into(path: &Path, limit: u64, bytes: &mut Vec<u8>) -> Result<Stamp, FileError> {
    bytes.clear();
    let started = std::time::SystemTime::now();
    let (file, atime_kept) = open_read_only(path).map_err(FileError::Open)?;
    let before = file.metadata().map_err(FileError::Read)?;
    // The entry may have been swapped for a FIFO or device since it was listed.
    if !before.is_file() {
        return Err(FileError::NotRegular(EntryKind::of(before.file_type())));
    }
    let size = before.len();
    if size > limit {
        return Err(FileError::TooLarge { size, limit });
    }
    let capacity = usize::try_from(size).unwrap_or(0).saturating_add(1);
    bytes.reserve_exact(capacity);
    // The file may have grown since it was measured: never read past the limit.
    let mut reader = (&file).take(limit.saturating_add(1));
    reader.read_to_end(bytes).map_err(FileError::Read)?;
    let read = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if read > limit {
        return Err(FileError::TooLarge { size: read, limit });
    }
    let after = file.metadata().map_err(FileError::Read)?;
    if read != size || changed(&before, &after) {
        return Err(FileError::ChangedDuringRead);
    }
    if changed_lately(&after, started) {
        let again = same_bytes(&file, bytes).map_err(FileError::Read)?;
        let last = file.metadata().map_err(FileError::Read)?;
        if !again || changed(&before, &last) {
            return Err(FileError::ChangedDuringRead);
        }
    }
    Ok(Stamp {
        sha256: Sha256Hex::of(bytes),
        atime_kept,
        modified: after.modified().ok(),
    })
}

/// Whether a file's size, modification or status-change time differ between two looks.
fn changed(before: &Metadata, after: &Metadata) -> bool {
    if before.len() != after.len() || before.modified().ok() != after.modified().ok() {
        return true;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if (before.ctime(), before.ctime_nsec()) != (after.ctime(), after.ctime_nsec()) {
            return true;
        }
    }
    false
}

/// Whether the file's status changed so recently before `started` (or after it) that a
/// write during the read might not show in its coarse timestamps.
fn changed_lately(metadata: &Metadata, started: std::time::SystemTime) -> bool {
    const MARGIN: std::time::Duration = std::time::Duration::from_secs(2);
    let Some(threshold) = started.checked_sub(MARGIN) else {
        return true;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let ctime = u64::try_from(metadata.ctime()).ok().and_then(|secs| {
            let nanos = u32::try_from(metadata.ctime_nsec()).ok()?;
            std::time::SystemTime::UNIX_EPOCH.checked_add(std::time::Duration::new(secs, nanos))
        });
        if ctime.is_none_or(|ctime| ctime >= threshold) {
            return true;
        }
    }
    metadata.modified().map_or(true, |m| m >= threshold)
}

/// Reads the file again from its start and says whether it still holds exactly `bytes`.
fn same_bytes(file: &File, bytes: &[u8]) -> io::Result<bool> {
    let mut again = io::BufReader::with_capacity(1 << 20, file);
    std::io::Seek::seek(&mut again, io::SeekFrom::Start(0))?;
    let mut rest = bytes;
    loop {
        let chunk = io::BufRead::fill_buf(&mut again)?;
        if chunk.is_empty() {
            return Ok(rest.is_empty());
        }
        let Some(expected) = rest.get(..chunk.len()) else {
            return Ok(false);
        };
        if expected != chunk {
            return Ok(false);
        }
        let n = chunk.len();
        rest = rest.get(n..).unwrap_or_default();
        io::BufRead::consume(&mut again, n);
    }
}

/// The SHA-256 of a file's bytes in lower-case hex, as every report writes it: held in
/// place (64 bytes), not on the heap, since a scan keeps one for every file it reads.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sha256Hex([u8; 64]);

impl Sha256Hex {
    /// The digest of `bytes`.
    #[must_use]
    pub fn of(bytes: &[u8]) -> Self {
        let mut hex = [0; 64];
        let mut out: &mut [u8] = &mut hex;
        // 32 bytes make exactly 64 digits: the write fills the buffer and cannot fail.
        let written = io::Write::write_fmt(&mut out, format_args!("{:x}", Sha256::digest(bytes)));
        debug_assert!(written.is_ok());
        Self(hex)
    }

    /// The 64 hex digits.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // Only `of` makes one, from ASCII hex digits.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl std::ops::Deref for Sha256Hex {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Display for Sha256Hex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for Sha256Hex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl From<FileError> for Skip {
    fn from(error: FileError) -> Self {
        match error {
            FileError::NotRegular(kind) => Skip::NotRegular(kind),
            FileError::TooLarge { size, limit } => Skip::TooLarge { size, limit },
            FileError::ChangedDuringRead => Skip::ChangedDuringRead,
            error @ (FileError::Open(_) | FileError::Read(_)) => {
                Skip::Unreadable(error.to_string())
            }
        }
    }
}

/// Opens read-only without blocking: `O_NONBLOCK` keeps a FIFO from hanging the open (it
/// is then refused as not a regular file) and changes nothing for regular files. Says
/// whether `O_NOATIME` was granted.
#[cfg(target_os = "linux")]
fn open_read_only(path: &Path) -> io::Result<(File, bool)> {
    use std::os::unix::fs::OpenOptionsExt;
    let open = |flags| OpenOptions::new().read(true).custom_flags(flags).open(path);
    match open(libc::O_NOATIME | libc::O_NONBLOCK) {
        // O_NOATIME is only allowed to the file's owner (or with CAP_FOWNER).
        Err(e) if e.raw_os_error() == Some(libc::EPERM) => {
            open(libc::O_NONBLOCK).map(|f| (f, false))
        }
        result => result.map(|f| (f, true)),
    }
}

#[cfg(all(unix, not(target_os = "linux")))]
fn open_read_only(path: &Path) -> io::Result<(File, bool)> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map(|f| (f, false))
}

#[cfg(not(unix))]
fn open_read_only(path: &Path) -> io::Result<(File, bool)> {
    OpenOptions::new().read(true).open(path).map(|f| (f, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_is_the_lower_case_hex_of_sha256() {
        // FIPS 180-2's example and the digest of nothing.
        assert_eq!(
            Sha256Hex::of(b"abc").as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            Sha256Hex::of(b"").to_string(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn the_os_error_is_named_once() {
        let error = read(Path::new("/nonexistent/x.json"), 10).unwrap_err();
        let text = Skip::from(error).to_string();
        assert_eq!(text.matches("No such file").count(), 1, "{text}");
    }

    #[test]
    fn a_file_at_the_limit_is_read_and_one_over_it_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"12345").unwrap();
        assert_eq!(read(&path, 5).unwrap().bytes, b"12345");
        assert!(matches!(
            read(&path, 4),
            Err(FileError::TooLarge { size: 5, limit: 4 })
        ));
    }
}
