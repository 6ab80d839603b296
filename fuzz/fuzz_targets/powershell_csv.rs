#![no_main]
//! PowerShell `Export-Csv` files.
mod common;
use libfuzzer_sys::fuzz_target;
use mdc_evidence::formats::{lines, powershell_csv};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lines = lines::numbered(&text);
    common::check(&powershell_csv::parse(&text, &lines));
});
