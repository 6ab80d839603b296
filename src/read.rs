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

use crate::error::FileError;
use crate::vocabulary::digest::Sha256Hex;
use crate::vocabulary::entry::{EntryKind, Skip};

/// The most worker threads a run starts, whatever `-j` asks: reading waits on the disk, so
/// a few threads per core help (see [`threads`]), but past a few hundred they only add
/// start-up time and memory (each thread holds a file and its parse at once).
pub const MAX_THREADS: usize = 256;

/// Threads that read files when `--threads` is not given (`requested` is 0): four per
/// core, at most 16, never fewer than one per core. Reading is most of a scan's work, and
/// with a cold page cache each read waits on the disk: with more reads in flight than
/// cores, 100,000 cold files took 3.8 s instead of 8.5 s on two cores (8 threads against
/// 2), and warm ones took the same time. Never more than [`MAX_THREADS`].
#[must_use]
pub fn threads(requested: usize) -> usize {
    if requested > 0 {
        return requested.min(MAX_THREADS);
    }
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    cores.max((4 * cores).min(16)).min(MAX_THREADS)
}

/// Files up to this size are read without asking the [`Budget`]: their bytes in flight are
/// at most threads x this, and the hot path of many small files takes no lock.
pub const SMALL_FILE: u64 = 64 * 1024;

/// The default `--max-in-flight`: the bytes of files (above [`SMALL_FILE`]) that workers
/// hold at once, 128 MiB: two files at the default `--max-file-size` of 64 MiB.
pub const DEFAULT_IN_FLIGHT: u64 = 128 * 1024 * 1024;

/// The bytes of files read at once across a scan's workers: a counting semaphore over
/// file sizes. A worker asks for a file's size before reading it and waits until that many
/// bytes are free; a file larger than the whole budget waits for all of it, so it is read
/// alone. Files up to [`SMALL_FILE`] do not ask.
#[derive(Debug)]
pub struct Budget {
    total: u64,
    available: std::sync::Mutex<u64>,
    freed: std::sync::Condvar,
}

/// No limit: every file is admitted at once (`explain`, and reads outside a scan).
pub static UNLIMITED: Budget = Budget::new(u64::MAX);

/// Bytes of a [`Budget`] held while a file is read and parsed; given back when dropped.
#[derive(Debug)]
#[must_use = "the bytes are given back when the permit is dropped"]
pub struct Permit<'a> {
    budget: &'a Budget,
    bytes: u64,
}

impl Budget {
    /// A budget of `total` bytes (`u64::MAX`: no limit).
    #[must_use]
    pub const fn new(total: u64) -> Self {
        Self {
            total,
            available: std::sync::Mutex::new(total),
            freed: std::sync::Condvar::new(),
        }
    }

    /// Waits until `size` bytes (at most the whole budget) are free, and holds them.
    pub fn admit(&self, size: u64) -> Permit<'_> {
        if size <= SMALL_FILE || self.total == u64::MAX {
            return Permit {
                budget: self,
                bytes: 0,
            };
        }
        let wanted = size.min(self.total);
        let mut available = self
            .available
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        while *available < wanted {
            available = self
                .freed
                .wait(available)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        *available -= wanted;
        Permit {
            budget: self,
            bytes: wanted,
        }
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if self.bytes == 0 {
            return;
        }
        let mut available = self
            .budget
            .available
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *available = available.saturating_add(self.bytes);
        drop(available);
        self.budget.freed.notify_all();
    }
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
    read_within(path, limit, bytes, &UNLIMITED).map(|(stamp, _)| stamp)
}

/// [`read_into`], holding the file's size of `budget` from before the read: the permit
/// returned keeps it until the caller is done with the bytes (parsed them).
///
/// # Errors
/// As [`read`]; `bytes` then holds no meaningful content and nothing of `budget` is held.
pub fn read_within<'a>(
    path: &Path,
    limit: u64,
    bytes: &mut Vec<u8>,
    budget: &'a Budget,
) -> Result<(Stamp, Permit<'a>), FileError> {
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
    let permit = budget.admit(size);
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
    Ok((
        Stamp {
            sha256: Sha256Hex::of(bytes),
            atime_kept,
            modified: after.modified().ok(),
        },
        permit,
    ))
}

/// The size of a fixed buffer [`digest`] reads through.
const DIGEST_BUFFER: usize = 64 * 1024;

/// A file's SHA-256 and size, read through a fixed buffer whatever its size (`verify`
/// hashes files it does not parse): memory does not grow with the file.
///
/// # Errors
/// [`FileError`] when the file cannot be opened or read, is not a regular file, or changed
/// during the read.
pub fn digest(path: &Path) -> Result<(Sha256Hex, u64), FileError> {
    let (file, _) = open_read_only(path).map_err(FileError::Open)?;
    let before = file.metadata().map_err(FileError::Read)?;
    if !before.is_file() {
        return Err(FileError::NotRegular(EntryKind::of(before.file_type())));
    }
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; DIGEST_BUFFER];
    let mut read: u64 = 0;
    loop {
        let n = match (&file).read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(FileError::Read(e)),
        };
        hasher.update(buffer.get(..n).unwrap_or_default());
        read = read.saturating_add(u64::try_from(n).unwrap_or(u64::MAX));
    }
    let after = file.metadata().map_err(FileError::Read)?;
    if read != before.len() || changed(&before, &after) {
        return Err(FileError::ChangedDuringRead);
    }
    Ok((Sha256Hex::from_digest(&hasher.finalize()), read))
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
        let path = Path::new("/nonexistent/x.json");
        // The system's own words ("No such file or directory" on Linux, "The system cannot
        // find the path specified." on Windows), without the error number.
        let os = std::fs::File::open(path).unwrap_err().to_string();
        let words = os.split(" (os error").next().unwrap();
        let error = read(path, 10).unwrap_err();
        let text = Skip::from(error).to_string();
        assert_eq!(text.matches(words).count(), 1, "{text}");
    }

    #[test]
    fn a_digest_read_through_a_buffer_is_the_digest_of_the_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        // Larger than the buffer, and not a multiple of it.
        let bytes: Vec<u8> = (0..200_001_u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        let (sha256, size) = digest(&path).unwrap();
        assert_eq!(sha256, Sha256Hex::of(&bytes));
        assert_eq!(size, 200_001);
    }

    #[test]
    fn a_budget_holds_at_most_its_bytes_and_a_larger_file_alone() {
        let budget = Budget::new(10 * SMALL_FILE);
        let a = budget.admit(6 * SMALL_FILE);
        let b = budget.admit(4 * SMALL_FILE);
        assert_eq!(*budget.available.lock().unwrap(), 0);
        // Small files never wait.
        let small = budget.admit(SMALL_FILE);
        drop((a, b, small));
        assert_eq!(*budget.available.lock().unwrap(), 10 * SMALL_FILE);
        let whole = budget.admit(100 * SMALL_FILE);
        assert_eq!(*budget.available.lock().unwrap(), 0);
        std::thread::scope(|s| {
            let waiter = s.spawn(|| {
                let _second = budget.admit(2 * SMALL_FILE);
                *budget.available.lock().unwrap()
            });
            std::thread::sleep(std::time::Duration::from_millis(50));
            assert!(!waiter.is_finished(), "admitted past the budget");
            drop(whole);
            assert_eq!(waiter.join().unwrap(), 8 * SMALL_FILE);
        });
    }

    #[test]
    fn threads_are_capped() {
        assert_eq!(threads(20_000), MAX_THREADS);
        assert_eq!(threads(3), 3);
        assert!(threads(0) <= 16);
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
