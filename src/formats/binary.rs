//! Files that are not text at all but say what they are in their first bytes: archives,
//! images, documents. They are never unpacked or read further: the reason names what the
//! file is and what to do (`a ZIP archive: extract it first`).

use super::Reason;

/// The containers and documents recognised by their magic bytes, with what to do.
const KINDS: &[(&[u8], &str, &str)] = &[
    (b"PK\x03\x04", "a ZIP archive", "extract it first"),
    (b"PK\x05\x06", "an empty ZIP archive", "nothing to read"),
    (b"\x1f\x8b", "a gzip archive", "extract it first"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", "extract it first"),
    (b"Rar!\x1a\x07", "a RAR archive", "extract it first"),
    (b"\xfd7zXZ\x00", "an xz archive", "extract it first"),
    (b"BZh", "a bzip2 archive", "extract it first"),
    (
        b"\x89PNG\r\n\x1a\n",
        "a PNG image",
        "a screenshot is not machine-readable evidence: export the settings instead",
    ),
    (
        b"\xff\xd8\xff",
        "a JPEG image",
        "a screenshot is not machine-readable evidence: export the settings instead",
    ),
    (
        b"GIF8",
        "a GIF image",
        "a screenshot is not machine-readable evidence: export the settings instead",
    ),
    (
        b"%PDF-",
        "a PDF document",
        "export the settings as JSON or CSV instead",
    ),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "an old Office document",
        "save it as CSV first",
    ),
];

/// What the bytes say they are, when they start like an archive, image or document.
#[must_use]
pub fn sniff(bytes: &[u8]) -> Option<Reason> {
    KINDS
        .iter()
        .find(|(magic, _, _)| bytes.starts_with(magic))
        .map(|(_, kind, what_to_do)| Reason::NotText { kind, what_to_do })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archives_and_images_say_what_they_are() {
        let zip = sniff(b"PK\x03\x04\x14\x00rest").unwrap().to_string();
        assert_eq!(zip, "a ZIP archive: extract it first");
        assert!(sniff(b"\x89PNG\r\n\x1a\n....").is_some());
        assert!(sniff(b"{\"value\":[]}").is_none());
    }
}
