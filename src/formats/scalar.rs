//! The CIS audit one-liner's output (`jq '.properties.enabled'`) and az CLI
//! `--query enabled -o tsv`: the whole file is one bare value, `true` or `false` (any case),
//! or `null` when the setting had no value.

use super::lines::{Line, first_non_blank};
use super::{Body, Flag, Format, Item, Location, Parsed, Parser};

/// The bare JSON value the CIS jq one-liner prints: `true`, `false` or `null`.
pub const CIS_SCALAR: Format = Format::new("cis-scalar");

/// Bare values.
pub const PARSER: Parser = Parser {
    family: "cis-scalar",
    formats: &[CIS_SCALAR],
    parse: |input| parse(input.lines()),
};

/// Parses a file whose only non-blank line is one bare value; `None` for anything else.
#[must_use]
pub fn parse(lines: &[Line<'_>]) -> Option<Parsed> {
    let line = first_non_blank(lines)?;
    if lines.iter().filter(|l| !l.is_blank()).count() != 1 {
        return None;
    }
    let token = line.text.trim();
    let unquoted = token
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(token);
    let value = match unquoted {
        "true" if unquoted == token => Flag::Bool(true),
        "false" if unquoted == token => Flag::Bool(false),
        "null" if unquoted == token => Flag::Null,
        word if word.eq_ignore_ascii_case("true") || word.eq_ignore_ascii_case("false") => {
            Flag::Text(word.to_owned())
        }
        _ => return None,
    };
    Some(Parsed::new(
        CIS_SCALAR,
        Body::Items(vec![Item::Scalar {
            value,
            location: Location::Line(line.number),
        }]),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::lines::numbered;

    fn value(text: &str) -> Option<Flag> {
        match parse(&numbered(text))?.body {
            Body::Items(items) => match items.into_iter().next()? {
                Item::Scalar { value, .. } => Some(value),
                _ => None,
            },
            _ => None,
        }
    }

    #[test]
    fn bare_values_in_any_case() {
        assert_eq!(value("true\n"), Some(Flag::Bool(true)));
        assert_eq!(value("\r\nFalse\r\n"), Some(Flag::Text("False".into())));
        assert_eq!(value("null"), Some(Flag::Null));
        assert_eq!(value("\"true\""), Some(Flag::Text("true".into())));
        assert_eq!(value("yes"), None);
        assert_eq!(value("true\ntrue\n"), None);
    }
}
