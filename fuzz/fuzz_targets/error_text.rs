#![no_main]
//! Error text: az CLI stderr, PowerShell error records.
mod common;
use libfuzzer_sys::fuzz_target;
use mdc_evidence::formats::{error_text, lines};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lines = lines::numbered(&text);
    if let Some(parsed) = error_text::parse(&lines) {
        common::check(&parsed);
    }
});
