//! A file's SHA-256, held as the hex every report writes.

use std::io;

use sha2::{Digest, Sha256};

/// The SHA-256 of a file's bytes in lower-case hex, as every report writes it: held in
/// place (64 bytes), not on the heap, since a scan keeps one for every file it reads.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sha256Hex([u8; 64]);

impl Sha256Hex {
    /// The digest of `bytes`.
    #[must_use]
    pub fn of(bytes: &[u8]) -> Self {
        Self::from_digest(&Sha256::digest(bytes))
    }

    /// The hex of a finished SHA-256.
    #[must_use]
    pub fn from_digest(digest: &sha2::digest::Output<Sha256>) -> Self {
        let mut hex = [0; 64];
        let mut out: &mut [u8] = &mut hex;
        // 32 bytes make exactly 64 digits: the write fills the buffer and cannot fail.
        let written = io::Write::write_fmt(&mut out, format_args!("{digest:x}"));
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
