#![no_main]
//! Console text: tables, `Format-List` lists, transcripts; and the table and list readers alone.
mod common;
use libfuzzer_sys::fuzz_target;
use mdc_evidence::formats::{Body, Extent, Item, Parsed, console, lines, list, table};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lines = lines::numbered(&text);
    if let Some(parsed) = console::parse(&lines) {
        common::check(&parsed);
    }
    let (tables, table_malformed) = match table::settings(&lines) {
        Ok(tables) => (tables, None),
        Err(why) => (Vec::new(), Some(why)),
    };
    let tables = tables.into_iter().map(|t| t.settings);
    let (lists, malformed) = match list::listings(&lines) {
        Ok(lists) => (lists, None),
        Err(why) => (Vec::new(), Some(why)),
    };
    let items = tables.chain(lists).map(|settings| Item::Settings {
        extent: Extent::Listing,
        settings,
    });
    common::check(&Parsed { format: console::POWERSHELL_TABLE, body: Body::Items(items.collect()), note: None });
    if let Some(why) = table_malformed {
        common::check(&Parsed { format: console::POWERSHELL_TABLE, body: Body::Malformed(why), note: None });
    }
    if let Some(why) = malformed {
        common::check(&Parsed { format: console::POWERSHELL_LIST, body: Body::Malformed(why), note: None });
    }
});
