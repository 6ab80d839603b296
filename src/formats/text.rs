//! Files in no evidence shape: an empty file (the CIS one-liner prints nothing when its
//! call failed), and text no other parser recognises. These two close the parser table.

use super::{Body, Format, Parsed, Parser, Reason, Text, table};

/// An empty file: whitespace only.
pub const EMPTY_PARSER: Parser = Parser {
    family: "empty",
    formats: &[Format::EMPTY],
    parse: parse_empty,
};

/// Any text: unrecognized, with what it looks like.
pub const TEXT_PARSER: Parser = Parser {
    family: "text",
    formats: &[Format::TEXT],
    parse: parse_text,
};

fn parse_empty(input: &Text<'_>) -> Option<Parsed> {
    input
        .start()
        .trim_end()
        .is_empty()
        .then(|| Parsed::new(Format::EMPTY, Body::Empty))
}

#[allow(
    clippy::unnecessary_wraps,
    reason = "every parser has the table's signature"
)]
fn parse_text(input: &Text<'_>) -> Option<Parsed> {
    let why = if table::has_table(input.lines()) {
        Reason::TableWithoutColumns
    } else {
        Reason::UnknownText
    };
    Some(Parsed::new(Format::TEXT, Body::Unrecognized(why)))
}
