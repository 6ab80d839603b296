//! Tab-separated rows a query prints, one setting per line, without a header:
//! `jq -r '.value[] | [.name, .properties.enabled] | @tsv'` (`MCAS<TAB>true`), the same
//! with the id first (`[.id, .name, .properties.enabled]`), and an az loop's
//! `--query "[id, enabled]" -o tsv` (`/subscriptions/<GUID>/.../WDATP<TAB>True`).
//!
//! Only text whose every line has the same two or three fields, whose last field is a
//! boolean (any case) or empty (jq's `null`), and whose first fields are a setting's name
//! or settings ids, is taken: az `-o tsv` (five fields) and other tab-separated text are
//! left to their own parsers.

use super::lines::Line;
use super::{Body, Extent, Flag, Format, Item, Location, Parsed, Parser, Setting, is_settings_id};

/// Name (or id) and value rows printed by jq `@tsv` or an az `--query` with `-o tsv`.
pub const QUERY_TSV: Format = Format::new("query-tsv");

/// Query output in tab-separated rows.
pub const PARSER: Parser = Parser {
    family: "query-tsv",
    formats: &[QUERY_TSV],
    parse: |input| parse(input.lines()),
};

/// Parses name/value or id/value rows; `None` when the text is not that.
#[must_use]
pub fn parse(lines: &[Line<'_>]) -> Option<Parsed> {
    let rows: Vec<&Line<'_>> = lines.iter().filter(|l| !l.is_blank()).collect();
    let tabs = rows.first()?.text.matches('\t').count();
    if !(1..=2).contains(&tabs) || !rows.iter().all(|l| l.text.matches('\t').count() == tabs) {
        return None;
    }
    let mut settings = Vec::with_capacity(rows.len());
    for row in rows {
        let fields: Vec<&str> = row.text.split('\t').map(str::trim).collect();
        let (id, name, value) = match fields.as_slice() {
            [first, value] if is_settings_id(first) => (Some(*first), None, *value),
            [first, value] if is_setting_name(first) => (None, Some(*first), *value),
            [id, name, value] if is_settings_id(id) && is_setting_name(name) => {
                (Some(*id), Some(*name), *value)
            }
            _ => return None,
        };
        if !is_boolean_cell(value) {
            return None;
        }
        settings.push(Setting {
            name: name.map(str::to_owned),
            id: id.map(str::to_owned),
            subscription: None,
            enabled: Flag::from_cell(Some(value)),
            location: Location::Line(row.number),
            recovered: None,
        });
    }
    Some(Parsed::new(
        QUERY_TSV,
        Body::Items(vec![Item::Settings {
            extent: Extent::Listing,
            settings,
        }]),
    ))
}

/// A setting's name as Defender for Cloud spells them: a letter, then letters, digits or
/// underscores (`WDATP_EXCLUDE_LINUX_PUBLIC_PREVIEW`).
fn is_setting_name(cell: &str) -> bool {
    let mut chars = cell.chars();
    cell.len() <= 64
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `true` or `false` in any case, or empty (jq prints `null` as an empty field).
fn is_boolean_cell(cell: &str) -> bool {
    cell.is_empty() || cell.eq_ignore_ascii_case("true") || cell.eq_ignore_ascii_case("false")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::lines::numbered;

    const ID: &str =
        "/subscriptions/8d2e4f60-1a3b-4c5d-8e7f-90a1b2c3d4e5/providers/Microsoft.Security/settings";

    fn settings(text: &str) -> Vec<Setting> {
        match parse(&numbered(text)).map(|p| p.body) {
            Some(Body::Items(items)) => match items.into_iter().next() {
                Some(Item::Settings { settings, .. }) => settings,
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn name_value_rows() {
        let rows = settings("MCAS\ttrue\nWDATP\tfalse\nSentinel\t\n");
        assert_eq!(rows[1].name.as_deref(), Some("WDATP"));
        assert_eq!(rows[1].enabled, Flag::Text("false".into()));
        assert_eq!(rows[2].enabled, Flag::Missing);
        assert_eq!(rows[1].location, Location::Line(2));
    }

    #[test]
    fn id_value_and_id_name_value_rows() {
        let rows = settings(&format!("{ID}/WDATP\tTrue\r\n"));
        assert_eq!(rows[0].name, None);
        assert!(rows[0].id.as_deref().unwrap().ends_with("/WDATP"));
        let rows = settings(&format!("{ID}/MCAS\tMCAS\ttrue\n{ID}/WDATP\tWDATP\ttrue\n"));
        assert_eq!(rows[1].name.as_deref(), Some("WDATP"));
    }

    #[test]
    fn other_tab_separated_text_is_not_taken() {
        for text in [
            "Name\tEnabled\nWDATP\tTrue\n",
            "a\tb\tc\td\te\n",
            "WDATP\tTrue\nMCAS\tTrue\textra\n",
            "my notes\ttrue\n",
            "key\tvalue\n",
            &format!("True\t{ID}/WDATP\tDataExportSettings\tWDATP\tMicrosoft.Security/settings\n"),
        ] {
            assert!(parse(&numbered(text)).is_none(), "{text:?}");
        }
    }
}
