#![no_main]
//! az `-o yaml` / `-o yamlc` exports, one document or several (`---` between them), read
//! through the JSON family's typed pass.
mod common;
use libfuzzer_sys::fuzz_target;
use mdc_evidence::formats::{Text, yaml};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Some(parsed) = (yaml::PARSER.parse)(&Text::new(&text)) {
        common::check(&parsed);
    }
});
