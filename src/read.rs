//! Reading one evidence file: once, read-only, within a size limit, hashed as it is read.
//!
//! Evidence is never modified: files are opened read-only, on Linux with `O_NOATIME` where
//! the kernel permits it, so their access times stay as they were collected.

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::FileError;

/// A file's bytes and their digest.
#[derive(Debug)]
pub struct Contents {
    /// The bytes, as read.
    pub bytes: Vec<u8>,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
}

/// Reads a whole file, refusing files larger than `limit` bytes without reading them.
///
/// # Errors
/// [`FileError`] when the file cannot be opened or read, or is too large.
pub fn read(path: &Path, limit: u64) -> Result<Contents, FileError> {
    let file = open_read_only(path).map_err(FileError::Open)?;
    let metadata = file.metadata().map_err(FileError::Read)?;
    // The entry may have been swapped for a FIFO or device since it was listed.
    if !metadata.is_file() {
        return Err(FileError::NotRegular);
    }
    let size = metadata.len();
    if size > limit {
        return Err(FileError::TooLarge { size, limit });
    }
    let capacity = usize::try_from(size).unwrap_or(0).saturating_add(1);
    let mut bytes = Vec::with_capacity(capacity);
    // The file may have grown since it was measured: never read past the limit.
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(FileError::Read)?;
    let read = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if read > limit {
        return Err(FileError::TooLarge { size: read, limit });
    }
    let sha256 = hex_sha256(&bytes);
    Ok(Contents { bytes, sha256 })
}

/// Hex SHA-256 of `bytes`.
#[must_use]
pub fn hex_sha256(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// Opens read-only without blocking: `O_NONBLOCK` keeps a FIFO from hanging the open (it
/// is then refused as not a regular file) and changes nothing for regular files.
#[cfg(target_os = "linux")]
fn open_read_only(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let open = |flags| OpenOptions::new().read(true).custom_flags(flags).open(path);
    match open(libc::O_NOATIME | libc::O_NONBLOCK) {
        // O_NOATIME is only allowed to the file's owner (or with CAP_FOWNER).
        Err(e) if e.raw_os_error() == Some(libc::EPERM) => open(libc::O_NONBLOCK),
        result => result,
    }
}

#[cfg(all(unix, not(target_os = "linux")))]
fn open_read_only(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_read_only(path: &Path) -> io::Result<File> {
    OpenOptions::new().read(true).open(path)
}
