//! The whole fixture set, re-encoded as Windows would save it (UTF-16LE with a BOM, UTF-8
//! with a BOM, CRLF line ends), gives exactly the observations of the originals.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure is a panic with its message"
)]

mod common;

use std::fs;

use common::{difference, observation_rows, root, scan};
use tempfile::TempDir;
use walkdir::WalkDir;

/// Copies every fixture into a new folder, re-encoding the text of those that decode.
fn reencoded(encode: fn(&str) -> Vec<u8>) -> TempDir {
    let fixtures = root().join("fixtures");
    let out = TempDir::new().unwrap();
    for entry in WalkDir::new(&fixtures) {
        let entry = entry.unwrap();
        if !entry.file_type().is_file() {
            continue;
        }
        let relative = entry.path().strip_prefix(&fixtures).unwrap();
        let target = out.path().join(relative);
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        let bytes = fs::read(entry.path()).unwrap();
        let new = match mdc_evidence::decode::decode(&bytes) {
            Ok(decoded) => encode(&decoded.text),
            Err(_) => bytes,
        };
        fs::write(target, new).unwrap();
    }
    out
}

fn utf16le_bom(text: &str) -> Vec<u8> {
    [0xFF, 0xFE]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect()
}

fn utf8_bom(text: &str) -> Vec<u8> {
    [0xEF, 0xBB, 0xBF].into_iter().chain(text.bytes()).collect()
}

fn crlf(text: &str) -> Vec<u8> {
    text.replace("\r\n", "\n")
        .replace('\n', "\r\n")
        .into_bytes()
}

fn assert_same_as_originals(encode: fn(&str) -> Vec<u8>, name: &str) {
    let fixtures = root().join("fixtures");
    let expected = observation_rows(&scan(&fixtures, 0), &fixtures);
    let copy = reencoded(encode);
    let actual = observation_rows(&scan(copy.path(), 0), copy.path());
    if let Some(diff) = difference(&expected, &actual) {
        panic!("fixtures re-encoded as {name} give other observations\n{diff}");
    }
}

#[test]
fn fixtures_reencoded_as_utf16le_with_bom_give_the_same_observations() {
    assert_same_as_originals(utf16le_bom, "UTF-16LE with BOM");
}

#[test]
fn fixtures_reencoded_as_utf8_with_bom_give_the_same_observations() {
    assert_same_as_originals(utf8_bom, "UTF-8 with BOM");
}

#[test]
fn fixtures_with_crlf_line_ends_give_the_same_observations() {
    assert_same_as_originals(crlf, "CRLF");
}
