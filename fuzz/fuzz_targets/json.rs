#![no_main]
//! JSON documents and streams (az CLI, REST, PowerShell `ConvertTo-Json`, jq).
mod common;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    common::check(&mdc_evidence::formats::json::parse_document(&text));
});
