//! az CLI `security setting list/show -o tsv`: no header; one setting per line, its fields
//! in az's sorted-key order `enabled  id  kind  name  type`, `True`/`False`. Rows are only
//! taken when their id or type says they are Defender for Cloud settings.

use super::lines::Line;
use super::{
    Body, Extent, Flag, Format, Item, Location, Parsed, Parser, SETTINGS_TYPE, Setting,
    is_settings_id,
};

/// az CLI `-o tsv`.
pub const AZCLI_TSV: Format = Format::new("azcli-tsv");

/// az CLI tab-separated output.
pub const PARSER: Parser = Parser {
    family: "azcli-tsv",
    formats: &[AZCLI_TSV],
    parse: |input| parse(input.lines()),
};

/// Parses az `-o tsv` output of settings; `None` when the text is not that.
#[must_use]
pub fn parse(lines: &[Line<'_>]) -> Option<Parsed> {
    let rows: Vec<&Line<'_>> = lines.iter().filter(|l| !l.is_blank()).collect();
    if rows.is_empty() || !rows.iter().all(|l| l.text.matches('\t').count() == 4) {
        return None;
    }
    let mut settings = Vec::with_capacity(rows.len());
    for row in rows {
        let fields: Vec<&str> = row.text.split('\t').map(str::trim).collect();
        let [enabled, id, _kind, name, type_] = fields.as_slice() else {
            return None;
        };
        let is_setting = is_settings_id(id) || type_.eq_ignore_ascii_case(SETTINGS_TYPE);
        if !is_setting {
            return None;
        }
        settings.push(Setting {
            name: Some((*name).to_owned()).filter(|n| !n.is_empty()),
            id: Some((*id).to_owned()).filter(|i| !i.is_empty()),
            enabled: Flag::from_cell(Some(enabled)),
            location: Location::Line(row.number),
            recovered: None,
            subscription: None,
        });
    }
    let extent = Extent::Listing;
    Some(Parsed::new(
        AZCLI_TSV,
        Body::Items(vec![Item::Settings { extent, settings }]),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::lines::numbered;

    #[test]
    fn sorted_key_columns() {
        let text = "True\t/subscriptions/8d2e4f60-1a3b-4c5d-8e7f-90a1b2c3d4e5/providers/Microsoft.Security/settings/MCAS\tDataExportSettings\tMCAS\tMicrosoft.Security/settings\nFalse\t/subscriptions/8d2e4f60-1a3b-4c5d-8e7f-90a1b2c3d4e5/providers/Microsoft.Security/settings/WDATP\tDataExportSettings\tWDATP\tMicrosoft.Security/settings\n";
        let parsed = parse(&numbered(text)).unwrap();
        let Body::Items(items) = parsed.body else {
            panic!()
        };
        let [Item::Settings { settings, .. }] = items.as_slice() else {
            panic!()
        };
        assert_eq!(settings[1].name.as_deref(), Some("WDATP"));
        assert_eq!(settings[1].enabled, Flag::Text("False".into()));
        assert_eq!(settings[1].location, Location::Line(2));
    }

    #[test]
    fn other_tab_separated_text_is_not_az_settings() {
        assert!(parse(&numbered("a\tb\tc\td\te\n")).is_none());
        assert!(parse(&numbered("a\tb\n")).is_none());
    }
}
