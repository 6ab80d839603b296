#![no_main]
//! HTTP captures (`curl -i`): status line, headers, body.
mod common;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    common::check(&mdc_evidence::formats::http::parse_capture(&text));
});
