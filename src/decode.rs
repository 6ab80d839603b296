//! Bytes to text, in one place, before any parser sees a file.
//!
//! Recognises what Windows and its shells write: UTF-8 with or without a BOM, UTF-16LE and
//! UTF-16BE with a BOM, UTF-16 without a BOM (told apart by where its NUL bytes fall), and
//! Windows-1252 for bytes that are not UTF-8. ANSI escape sequences copied from a console
//! are removed. Line endings are left alone: every parser reads CRLF and LF alike.
//! This module never guesses past that: bytes it cannot decode are an error with a reason.

use std::borrow::Cow;
use std::fmt;

/// The encoding a file was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 without a byte order mark.
    Utf8,
    /// UTF-8 with a byte order mark (PowerShell `-Encoding utf8`, transcripts).
    Utf8Bom,
    /// UTF-16 little endian; `bom` says whether a byte order mark was present.
    Utf16Le { bom: bool },
    /// UTF-16 big endian; `bom` says whether a byte order mark was present.
    Utf16Be { bom: bool },
    /// Bytes that are not UTF-8, read as Windows-1252 (ANSI code page of western Windows).
    Windows1252,
}

impl Encoding {
    /// The name used in reports.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Utf8 => "utf-8",
            Self::Utf8Bom => "utf-8-bom",
            Self::Utf16Le { bom: true } => "utf-16le-bom",
            Self::Utf16Le { bom: false } => "utf-16le",
            Self::Utf16Be { bom: true } => "utf-16be-bom",
            Self::Utf16Be { bom: false } => "utf-16be",
            Self::Windows1252 => "windows-1252",
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A file's text and the encoding it was read in.
#[derive(Debug)]
pub struct Decoded<'a> {
    /// The text, borrowed from the bytes when they were plain UTF-8.
    pub text: Cow<'a, str>,
    /// How the bytes were read.
    pub encoding: Encoding,
}

/// Why bytes could not be read as text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// A UTF-8 BOM followed by bytes that are not UTF-8.
    #[error("invalid UTF-8 after a UTF-8 byte order mark (at byte {offset})")]
    InvalidUtf8 { offset: usize },
    /// UTF-16 with an odd number of bytes or an unpaired surrogate.
    #[error("invalid {encoding} text (odd length or unpaired surrogate)")]
    InvalidUtf16 { encoding: &'static str },
    /// NUL bytes in no UTF-16 pattern: binary data.
    #[error("binary data: NUL bytes that are not UTF-16 text")]
    Binary,
}

/// Decodes a file's bytes. See the module documentation for the rules.
///
/// # Errors
/// [`DecodeError`] when the bytes are not text in any encoding named above.
pub fn decode(bytes: &[u8]) -> Result<Decoded<'_>, DecodeError> {
    let decoded = decode_raw(bytes)?;
    if decoded.text.contains(ESC) {
        return Ok(Decoded {
            text: Cow::Owned(strip_ansi(&decoded.text)),
            encoding: decoded.encoding,
        });
    }
    Ok(decoded)
}

const ESC: char = '\u{1b}';

/// Removes ANSI escape sequences and nothing else: CSI (`ESC [` parameters, final byte),
/// OSC (`ESC ]` up to BEL or `ESC \\`, or at most to the end of its line), and two-character
/// escapes. Tabs, carriage returns and all other text stay, so that line numbers and
/// tab-separated columns are those of the file. (General-purpose strippers drop `\t` and
/// `\r` too, and an unterminated OSC would swallow the rest of the file.)
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != ESC {
            out.push(c);
            continue;
        }
        match chars.peek().copied() {
            Some('[') => {
                chars.next();
                while chars
                    .next_if(|c| ('\u{20}'..='\u{3f}').contains(c))
                    .is_some()
                {}
                chars.next_if(|c| ('\u{40}'..='\u{7e}').contains(c));
            }
            Some(']') => {
                chars.next();
                while let Some(c) = chars.next_if(|c| *c != '\n' && *c != '\r') {
                    if c == '\u{7}' || (c == ESC && chars.next_if_eq(&'\\').is_some()) {
                        break;
                    }
                }
            }
            Some(c) if ('\u{20}'..='\u{7e}').contains(&c) => {
                chars.next();
            }
            _ => {}
        }
    }
    out
}

fn decode_raw(bytes: &[u8]) -> Result<Decoded<'_>, DecodeError> {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return match std::str::from_utf8(rest) {
            Ok(text) => Ok(Decoded {
                text: Cow::Borrowed(text),
                encoding: Encoding::Utf8Bom,
            }),
            Err(e) => Err(DecodeError::InvalidUtf8 {
                offset: e.valid_up_to() + 3,
            }),
        };
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(rest, Encoding::Utf16Le { bom: true });
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(rest, Encoding::Utf16Be { bom: true });
    }
    if bytes.contains(&0) {
        return match nul_pattern(bytes) {
            Some(encoding) => utf16(bytes, encoding),
            None => Err(DecodeError::Binary),
        };
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(Decoded {
            text: Cow::Borrowed(text),
            encoding: Encoding::Utf8,
        });
    }
    let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
    Ok(Decoded {
        text,
        encoding: Encoding::Windows1252,
    })
}

/// UTF-16 text without a BOM: mostly-ASCII text has a NUL in every other byte, in odd
/// positions for little endian and even positions for big endian.
fn nul_pattern(bytes: &[u8]) -> Option<Encoding> {
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    let (mut even, mut odd) = (0usize, 0usize);
    for pair in bytes.chunks_exact(2) {
        if let [a, b] = pair {
            even += usize::from(*a == 0);
            odd += usize::from(*b == 0);
        }
    }
    let pairs = bytes.len() / 2;
    // At least half the code units look ASCII and the other half never holds a NUL.
    if odd * 2 >= pairs && even == 0 {
        Some(Encoding::Utf16Le { bom: false })
    } else if even * 2 >= pairs && odd == 0 {
        Some(Encoding::Utf16Be { bom: false })
    } else {
        None
    }
}

fn utf16(bytes: &[u8], encoding: Encoding) -> Result<Decoded<'_>, DecodeError> {
    let codec = match encoding {
        Encoding::Utf16Be { .. } => encoding_rs::UTF_16BE,
        _ => encoding_rs::UTF_16LE,
    };
    if !bytes.len().is_multiple_of(2) {
        return Err(DecodeError::InvalidUtf16 {
            encoding: encoding.as_str(),
        });
    }
    match codec.decode_without_bom_handling_and_without_replacement(bytes) {
        Some(text) => Ok(Decoded {
            text: Cow::Owned(text.into_owned()),
            encoding,
        }),
        None => Err(DecodeError::InvalidUtf16 {
            encoding: encoding.as_str(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(text: &str, bom: bool) -> Vec<u8> {
        let mut out = if bom { vec![0xFF, 0xFE] } else { vec![] };
        out.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        out
    }

    fn utf16be(text: &str, bom: bool) -> Vec<u8> {
        let mut out = if bom { vec![0xFE, 0xFF] } else { vec![] };
        out.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
        out
    }

    #[test]
    fn plain_utf8_is_borrowed() {
        let d = decode(b"true\n").unwrap();
        assert!(matches!(d.text, Cow::Borrowed("true\n")));
        assert_eq!(d.encoding, Encoding::Utf8);
    }

    #[test]
    fn boms_are_recognised_and_removed() {
        let d = decode(b"\xEF\xBB\xBF{}").unwrap();
        assert_eq!((d.text.as_ref(), d.encoding), ("{}", Encoding::Utf8Bom));
        let bytes = utf16le("Name  Enabled\r\n", true);
        let d = decode(&bytes).unwrap();
        assert_eq!(d.text, "Name  Enabled\r\n");
        assert_eq!(d.encoding, Encoding::Utf16Le { bom: true });
        let bytes = utf16be("WDATP True", true);
        let d = decode(&bytes).unwrap();
        assert_eq!(d.text, "WDATP True");
        assert_eq!(d.encoding, Encoding::Utf16Be { bom: true });
    }

    #[test]
    fn utf16_without_bom_is_recognised_from_nuls() {
        let bytes = utf16le("true\r\n", false);
        let d = decode(&bytes).unwrap();
        assert_eq!(
            (d.text.as_ref(), d.encoding),
            ("true\r\n", Encoding::Utf16Le { bom: false })
        );
        let bytes = utf16be("false", false);
        let d = decode(&bytes).unwrap();
        assert_eq!(
            (d.text.as_ref(), d.encoding),
            ("false", Encoding::Utf16Be { bom: false })
        );
    }

    #[test]
    fn non_utf8_falls_back_to_windows_1252() {
        let d = decode(b"Name : Caf\xE9").unwrap();
        assert_eq!(d.text, "Name : Café");
        assert_eq!(d.encoding, Encoding::Windows1252);
    }

    #[test]
    fn undecodable_bytes_are_errors_not_panics() {
        assert!(matches!(
            decode(b"\x00\x01\x00\x00\x02"),
            Err(DecodeError::Binary)
        ));
        assert!(matches!(
            decode(&[0xFF, 0xFE, 0x41]),
            Err(DecodeError::InvalidUtf16 { .. })
        ));
        assert!(matches!(
            decode(&[0xFF, 0xFE, 0x00, 0xD8]),
            Err(DecodeError::InvalidUtf16 { .. })
        ));
        assert!(matches!(
            decode(b"\xEF\xBB\xBF\xC3("),
            Err(DecodeError::InvalidUtf8 { offset: 3 })
        ));
    }

    #[test]
    fn ansi_colour_codes_are_removed() {
        let d = decode(b"\x1b[32;1mName \x1b[0m\x1b[32;1mEnabled\x1b[0m").unwrap();
        assert_eq!(d.text, "Name Enabled");
    }

    #[test]
    fn ansi_stripping_keeps_tabs_line_ends_and_text() {
        let d = decode(b"\x1b[1mTrue\x1b[0m\t/subscriptions/x\r\nnext\x1b]0;title\x07 line\r\n")
            .unwrap();
        assert_eq!(d.text, "True\t/subscriptions/x\r\nnext line\r\n");
        // An OSC without its terminator ends at its line, never swallowing the file.
        let d = decode(b"a\x1b]8;;http://x\nWDATP True\n\x1b").unwrap();
        assert_eq!(d.text, "a\nWDATP True\n");
    }
}
