//! PowerShell `Export-Csv` / `ConvertTo-Csv`: Windows PowerShell 5.1 writes a `#TYPE ...`
//! first line and quotes every field; `-UseCulture` may give `;`; PowerShell 7 drops the
//! `#TYPE` line. Columns are found by name (`Name`, `Enabled`, optional `Id`), never by
//! position.

use super::lines::{self, Line, line_at};
use super::reason::Written;
use super::{Body, Extent, Flag, Format, Item, Location, Parsed, Parser, Reason, Setting, Text};

/// PowerShell `Export-Csv`.
pub const POWERSHELL_CSV: Format = Format::new("powershell-csv");
/// An export opened in Excel and saved as "Unicode Text": tab-separated, UTF-16LE with a
/// BOM, `TRUE`/`FALSE`, fields quoted only when they must be.
pub const EXCEL_TEXT: Format = Format::new("excel-text");

/// `Export-Csv` files.
pub const PARSER: Parser = Parser {
    family: "powershell-csv",
    formats: &[POWERSHELL_CSV, EXCEL_TEXT],
    parse: |input: &Text<'_>| {
        let lines = input.lines();
        lines::first_non_blank(lines)
            .is_some_and(|first| looks_like(&first))
            .then(|| parse(input.text(), lines))
    },
};

/// Whether the first non-blank line is a `#TYPE` line or a header with `Name` and `Enabled`.
#[must_use]
pub fn looks_like(first: &Line<'_>) -> bool {
    let text = first.text.trim();
    if text.starts_with("#TYPE ") {
        return true;
    }
    // Cheap test first: building a CSV reader for every text file costs more than the rest
    // of its parse.
    let lower = text.to_ascii_lowercase();
    if !(lower.contains("name") && lower.contains("enabled") && lower.contains([',', ';', '\t'])) {
        return false;
    }
    let header = header_cells(text, delimiter_of(text));
    let has = |name: &str| header.iter().any(|h| h.eq_ignore_ascii_case(name));
    has("Name") && has("Enabled")
}

/// Parses an `Export-Csv` file.
#[must_use]
pub fn parse(text: &str, lines: &[Line<'_>]) -> Parsed {
    let Some(header) = lines
        .iter()
        .find(|l| !l.is_blank() && !l.text.trim_start().starts_with('#'))
    else {
        return Parsed::new(POWERSHELL_CSV, Body::Malformed(Reason::CsvWithoutHeader));
    };
    let delimiter = delimiter_of(header.text);
    let format = if delimiter == b'\t' {
        EXCEL_TEXT
    } else {
        POWERSHELL_CSV
    };
    // Read from the header on; record byte positions plus this offset map to file lines
    // (the reader's own line count is off by one after CRLF).
    let offset = header.start;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.get(header.start..).unwrap_or_default().as_bytes());
    let headers = match reader.headers() {
        Ok(headers) => headers.clone(),
        Err(e) => return malformed(format, &e, line_of(text, lines, e.position(), offset)),
    };
    let find = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let (Some(name_column), Some(enabled_column)) = (find("Name"), find("Enabled")) else {
        return Parsed::new(format, Body::Unrecognized(Reason::CsvWithoutColumns));
    };
    // `Import-Csv` refuses a header naming a column twice: each row would give that
    // property two values.
    let mut repeated = repeated_column(&headers);
    let id_column = find("Id");
    // A column naming each row's subscription (an Excel-edited export, a script's output).
    let subscription_column = find("SubscriptionId")
        .or_else(|| find("Subscription Id"))
        .or_else(|| find("Subscription"));
    let mut settings = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(e) => return malformed(format, &e, line_of(text, lines, e.position(), offset)),
        };
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        // Settings cells never hold a line break: a quote left open swallowed later rows.
        if record.iter().any(|cell| cell.contains(['\n', '\r'])) {
            let line = line_of(text, lines, record.position(), offset);
            return Parsed::new(
                format,
                Body::Malformed(Reason::CsvQuoteAcrossLines { line }),
            );
        }
        // Export-Csv writes every field of every row: a row with more or fewer fields has a
        // broken quote or delimiter, and cannot be read into a name and a value.
        if record.len() != headers.len() {
            let line = line_of(text, lines, record.position(), offset);
            return Parsed::new(
                format,
                Body::Malformed(Reason::CsvFieldCount {
                    line,
                    found: record.len(),
                    expected: headers.len(),
                }),
            );
        }
        let cell = |i: usize| record.get(i).map(str::trim).filter(|c| !c.is_empty());
        let line = line_of(text, lines, record.position(), offset);
        if let Some((first, second)) = repeated.take() {
            let written = |i: usize| Written {
                key: headers.get(i).unwrap_or_default().trim().to_owned(),
                value: record.get(i).unwrap_or_default().to_owned(),
                line,
            };
            return Parsed::new(
                format,
                Body::Malformed(Reason::TwoValues {
                    record: "CSV row (its header names the column twice)",
                    first: Box::new(written(first)),
                    second: Box::new(written(second)),
                }),
            );
        }
        settings.push(Setting {
            name: cell(name_column).map(str::to_owned),
            id: id_column.and_then(cell).map(str::to_owned),
            enabled: Flag::from_cell(cell(enabled_column)),
            location: Location::Line(line),
            recovered: None,
            subscription: subscription_column.and_then(cell).map(str::to_owned),
        });
    }
    if settings.is_empty() {
        return Parsed::new(format, Body::Unrecognized(Reason::CsvWithoutRows));
    }
    let extent = Extent::Listing;
    Parsed::new(
        format,
        Body::Items(vec![Item::Settings { extent, settings }]),
    )
}

/// The first column whose name an earlier column has (trimmed, in any case), with that
/// earlier column: `(earlier, repeat)`. Sorted, not compared pairwise: a header may be long.
fn repeated_column(headers: &csv::StringRecord) -> Option<(usize, usize)> {
    let mut names: Vec<(String, usize)> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| (h.trim().to_ascii_lowercase(), i))
        // Columns without a name (an Excel sheet's empty columns) name no property.
        .filter(|(name, _)| !name.is_empty())
        .collect();
    names.sort();
    names
        .windows(2)
        .filter_map(|pair| match pair {
            [(a, i), (b, j)] if a == b => Some((*i, *j)),
            _ => None,
        })
        .min_by_key(|&(_, repeat)| repeat)
}

/// The file line of a record. After a CRLF the reader places a record at the `\n` that
/// ends the previous line, so line-end bytes at the position are stepped over.
fn line_of(
    text: &str,
    lines: &[Line<'_>],
    position: Option<&csv::Position>,
    offset: usize,
) -> usize {
    let byte = position.map_or(0, |p| usize::try_from(p.byte()).unwrap_or(usize::MAX));
    let at = byte.saturating_add(offset);
    let skipped = text.get(at..).map_or(0, |rest| {
        rest.len() - rest.trim_start_matches(['\r', '\n']).len()
    });
    line_at(lines, at + skipped)
}

fn malformed(format: Format, e: &csv::Error, line: usize) -> Parsed {
    Parsed::new(
        format,
        Body::Malformed(Reason::CsvInvalid {
            line,
            error: e.to_string(),
        }),
    )
}

/// A tab when the header line has tabs and neither commas nor semicolons (Excel's
/// "Unicode Text"); `;` when it has semicolons and no commas (`-UseCulture` in many
/// locales); else `,`.
pub(crate) fn delimiter_of(header: &str) -> u8 {
    if header.contains('\t') && !header.contains([',', ';']) {
        b'\t'
    } else if header.contains(';') && !header.contains(',') {
        b';'
    } else {
        b','
    }
}

/// The header's cell names, for detection only (the parse itself uses the CSV reader):
/// `Export-Csv` headers are plain names, quoted or not.
fn header_cells(line: &str, delimiter: u8) -> Vec<&str> {
    line.split(char::from(delimiter))
        .map(|cell| cell.trim().trim_matches('"').trim())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::lines::numbered;

    fn parse_text(text: &str) -> Parsed {
        parse(text, &numbered(text))
    }

    #[test]
    fn windows_powershell_export_with_type_line() {
        let text = "#TYPE Selected.Microsoft.Azure.Commands.Security.Models.Settings.PSSecurityDataExportSetting\r\n\"Name\",\"Enabled\"\r\n\"MCAS\",\"True\"\r\n\"WDATP\",\"False\"\r\n";
        let parsed = parse_text(text);
        let Body::Items(items) = parsed.body else {
            panic!()
        };
        let [Item::Settings { extent, settings }] = items.as_slice() else {
            panic!()
        };
        assert_eq!(*extent, Extent::Listing);
        assert_eq!(settings[1].enabled, Flag::Text("False".into()));
        assert_eq!(settings[1].location, Location::Line(4));
    }

    #[test]
    fn use_culture_semicolons_and_id_column() {
        let text = "\"Enabled\";\"Id\";\"Name\";\"Type\"\n\"True\";\"/subscriptions/8d2e4f60-1a3b-4c5d-8e7f-90a1b2c3d4e5/providers/Microsoft.Security/settings/WDATP\";\"WDATP\";\"Microsoft.Security/settings\"\n";
        assert!(looks_like(&numbered(text)[0]));
        let Body::Items(items) = parse_text(text).body else {
            panic!()
        };
        let [Item::Settings { extent, settings }] = items.as_slice() else {
            panic!()
        };
        assert_eq!(*extent, Extent::Listing);
        assert!(settings[0].id.as_deref().unwrap().contains("8d2e4f60"));
        assert_eq!(settings[0].location, Location::Line(2));
    }

    #[test]
    fn a_row_with_a_stray_quote_is_malformed_naming_its_line() {
        let text =
            "\"Name\",\"Enabled\"\n\"MCAS\",\"True\"\n\"WDATP,\"True\"\n\"Sentinel\",\"False\"\n";
        match parse_text(text).body {
            Body::Malformed(why) => assert!(
                matches!(
                    why,
                    Reason::CsvFieldCount {
                        line: 3,
                        found: 1,
                        expected: 2
                    }
                ),
                "{why}"
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_column_named_twice_is_malformed_naming_both_values() {
        let text = "#TYPE Microsoft.Azure.Commands.Security.Models.Settings.PSSecurityDataExportSetting\r\n\"Name\",\"Enabled\",\"enabled \"\r\n\"WDATP\",\"True\",\"False\"\r\n";
        match parse_text(text).body {
            Body::Malformed(why) => assert_eq!(
                why.to_string(),
                "two values for one property in one CSV row (its header names the column \
                 twice): \"Enabled\" is \"True\" at line 3 and \"enabled\" is \"False\" at line 3 \
                 (PowerShell reads one value per property, names compared in any case)"
            ),
            other => panic!("{other:?}"),
        }
        // The same value twice is still two columns of one name.
        let same = "\"Name\",\"Id\",\"Enabled\",\"ID\"\n\"WDATP\",\"x\",\"True\",\"x\"\n";
        assert!(matches!(
            parse_text(same).body,
            Body::Malformed(Reason::TwoValues { .. })
        ));
        // Columns without a name are not repeats of each other.
        let blank = "Name,Enabled,,\nWDATP,True,,\n";
        assert!(matches!(parse_text(blank).body, Body::Items(_)));
    }

    #[test]
    fn excel_unicode_text_is_tab_separated() {
        let text = "Name\tEnabled\tSubscriptionId\r\nMCAS\tTRUE\t8d2e4f60-1a3b-4c5d-8e7f-90a1b2c3d4e5\r\nWDATP\tFALSE\t8d2e4f60-1a3b-4c5d-8e7f-90a1b2c3d4e5\r\n";
        assert!(looks_like(&numbered(text)[0]));
        let parsed = parse_text(text);
        assert_eq!(parsed.format, EXCEL_TEXT);
        let Body::Items(items) = parsed.body else {
            panic!()
        };
        let [Item::Settings { settings, .. }] = items.as_slice() else {
            panic!()
        };
        assert_eq!(settings[1].enabled, Flag::Text("FALSE".into()));
        assert_eq!(settings[1].location, Location::Line(3));
    }

    #[test]
    fn a_broken_quote_is_malformed_not_absent() {
        let text = "\"Name\",\"Enabled\"\r\n\"MCAS\",\"True\r\n\"WDATP\",\"False\"\r\n\"Sentinel\",\"False\"\r\n";
        match parse_text(text).body {
            Body::Malformed(why) => assert_eq!(why, Reason::CsvQuoteAcrossLines { line: 2 }),
            other => panic!("{other:?}"),
        }
    }
}
