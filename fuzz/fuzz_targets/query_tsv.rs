#![no_main]
//! Tab-separated query rows: jq `@tsv` of names or ids and values, az `--query "[id, enabled]"
//! -o tsv` loops.
mod common;
use libfuzzer_sys::fuzz_target;
use mdc_evidence::formats::{lines, query_tsv};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Some(parsed) = query_tsv::parse(&lines::numbered(&text)) {
        common::check(&parsed);
    }
});
