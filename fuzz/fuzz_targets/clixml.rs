#![no_main]
//! PowerShell `Export-Clixml` archives (`<Objs>`, `<Obj>`, `<Props>`/`<MS>`).
mod common;
use libfuzzer_sys::fuzz_target;
use mdc_evidence::formats::{Text, clixml};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Some(parsed) = (clixml::PARSER.parse)(&Text::new(&text)) {
        common::check(&parsed);
    }
});
