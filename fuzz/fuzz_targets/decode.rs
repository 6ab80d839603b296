#![no_main]
//! Bytes -> decode, then the whole pipeline (`parse_bytes`) and `evaluate`.
mod common;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = mdc_evidence::decode::decode(data) {
        assert!(!e.to_string().is_empty());
    }
    let (parsed, _encoding) = mdc_evidence::parse_bytes(data);
    common::check(&parsed);
});
