#![no_main]
//! Bare values (the CIS one-liner's output) and az `-o tsv` settings.
mod common;
use libfuzzer_sys::fuzz_target;
use mdc_evidence::formats::{lines, scalar, tsv};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lines = lines::numbered(&text);
    scalar::parse(&lines).iter().chain(&tsv::parse(&lines)).for_each(common::check);
});
