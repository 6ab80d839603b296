//! Property tests: the decoder, every parser and the evaluator are total. Whatever the
//! bytes, a file gives at least one observation, never a panic, and each observation has
//! exactly one outcome with a reason.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure is a panic with its message"
)]

use mdc_evidence::evaluate::evaluate;
use mdc_evidence::formats::{
    self, Parsed, console, context, error_text, http, json, lines, list, powershell_csv, scalar,
    table, tsv,
};
use mdc_evidence::parse_bytes;
use proptest::prelude::*;

/// Every built-in check, so that each rule meets every input.
fn every_check() -> mdc_evidence::checks::Checks {
    mdc_evidence::checks::select(&["all".to_owned()], &[], None, None).unwrap()
}

/// Fragments of real evidence, so that generated inputs reach deep into the parsers.
const FRAGMENTS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\"value\"",
    "\"name\"",
    "\"WDATP\"",
    "\"Enabled\"",
    "\"enabled\"",
    "\"properties\"",
    "\"id\"",
    "\"nextLink\"",
    "\"error\"",
    "\"code\"",
    "\"message\"",
    "true",
    "false",
    "null",
    "1",
    "\"True\"",
    "\"@{enabled=True}\"",
    "\"/subscriptions/3f6c2a1e-8b4d-4c7a-9e2f-5d1b7a9c0e41/providers/Microsoft.Security/settings/WDATP\"",
    "\"Microsoft.Security/settings\"",
    "\"type\"",
    "\n",
    "\r\n",
    " ",
    "\t",
    "Name  Enabled",
    "----  -------",
    "WDATP    True",
    "#TYPE x",
    "\"Name\",\"Enabled\"",
    "Enabled : True",
    "HTTP/1.1 200 OK",
    "ERROR: (AuthorizationFailed)",
    "\u{feff}",
    "…",
];

fn assert_total(bytes: &[u8]) {
    let (parsed, _) = parse_bytes(bytes);
    let observations = evaluate(
        &parsed,
        "x/3f6c2a1e-8b4d-4c7a-9e2f-5d1b7a9c0e41.json",
        &every_check(),
    );
    assert!(!observations.is_empty());
    for o in &observations {
        assert!(!o.detail.is_empty(), "{o:?}");
        assert_eq!(
            o.enabled.is_some(),
            o.outcome.is_deciding()
                && o.outcome != mdc_evidence::vocabulary::outcome::Outcome::Absent
        );
    }
}

/// Every parser of the table, on the same text whatever its shape, and the family readers
/// that detection would not reach, called directly.
fn every_parser(text: &str) -> Vec<Parsed> {
    let input = formats::Text::new(text);
    let mut parsed: Vec<Parsed> = formats::PARSERS
        .iter()
        .filter_map(|parser| (parser.parse)(&input))
        .collect();
    let lines = lines::numbered(text);
    parsed.push(json::parse_document(text));
    parsed.push(http::parse_capture(text));
    parsed.push(powershell_csv::parse(text, &lines));
    parsed.extend(console::parse(&lines));
    parsed.extend(scalar::parse(&lines));
    parsed.extend(tsv::parse(&lines));
    parsed.extend(error_text::parse(&lines));
    let _ = error_text::find(&lines);
    let _ = context::find(&lines);
    let _ = table::settings(&lines);
    let _ = list::listings(&lines);
    parsed
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        assert_total(&bytes);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,256}") {
        let parsed = formats::parse(&text);
        prop_assert!(!evaluate(&parsed, "t.txt", &every_check()).is_empty());
        assert_total(text.as_bytes());
    }

    #[test]
    fn every_parser_is_total_on_any_text(parts in proptest::collection::vec(proptest::sample::select(FRAGMENTS), 0..40), noise in "\\PC{0,64}") {
        let text = parts.concat() + &noise;
        for parsed in every_parser(&text) {
            let observations = evaluate(&parsed, "p.txt", &every_check());
            prop_assert!(!observations.is_empty());
        }
    }

    #[test]
    fn evidence_like_fragments_never_panic(parts in proptest::collection::vec(proptest::sample::select(FRAGMENTS), 0..40)) {
        let text: String = parts.concat();
        assert_total(text.as_bytes());
        let utf16: Vec<u8> = [0xFF, 0xFE].into_iter().chain(text.encode_utf16().flat_map(u16::to_le_bytes)).collect();
        assert_total(&utf16);
    }
}
