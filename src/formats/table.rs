//! Console tables: PowerShell `Format-Table` (the CIS command's `Name Enabled` table, the
//! default four-column `Enabled Id Name Type` table) and az CLI `-o table`.
//!
//! A table is a header line, a line of dash runs under it, and rows until a blank line.
//! Cells hold no spaces in these exports, so rows split on whitespace; when a row has fewer
//! cells than the header (an empty value), each cell is placed in the column whose dash run
//! it overlaps. Booleans are right-aligned by PowerShell and left-aligned by az: both read.
//! An `Id` cut short with `...` or `…` is never used as an id.

use super::lines::Line;
use super::reason::{Reason, Written};
use super::{Flag, Location, Setting};

/// The settings rows of every table in `lines` that has `Name` and `Enabled` columns.
///
/// # Errors
///
/// A settings table whose header names a column twice (in any case) over a row: the row
/// gives that property two values, so it cannot be read to one.
pub fn settings(lines: &[Line<'_>]) -> Result<Vec<TableRows>, Reason> {
    let mut tables = Vec::new();
    let mut index = 1;
    while index < lines.len() {
        let (Some(header), Some(dashes)) = (lines.get(index - 1), lines.get(index)) else {
            break;
        };
        let Some(columns) = columns(header.text, dashes.text) else {
            index += 1;
            continue;
        };
        // A table ends at a blank line, a prompt, or a line wider than its columns.
        let rows: Vec<Line<'_>> = lines
            .iter()
            .skip(index + 1)
            .take_while(|l| {
                !l.is_blank() && !is_prompt(l.text) && spans(l.text).len() <= columns.len()
            })
            .copied()
            .collect();
        index += 1 + rows.len();
        if let Some(table) = read_table(&columns, &rows)? {
            tables.push(table);
        }
    }
    Ok(tables)
}

/// One table's settings and whether it looks like az CLI's (it has a `Kind` column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRows {
    /// One setting per row.
    pub settings: Vec<Setting>,
    /// Whether the table has a `Kind` column, which only az CLI prints.
    pub has_kind: bool,
}

/// Whether `lines` hold a header line followed by a line of dash runs.
#[must_use]
pub fn has_table(lines: &[Line<'_>]) -> bool {
    lines
        .windows(2)
        .any(|pair| matches!(pair, [h, d] if columns(h.text, d.text).is_some()))
}

struct Column {
    name: String,
    start: usize,
    end: usize,
}

/// The columns of a header whose dash line has one run per header word.
fn columns(header: &str, dashes: &str) -> Option<Vec<Column>> {
    let runs = spans(dashes);
    if runs.is_empty() || !runs.iter().all(|(_, word)| word.chars().all(|c| c == '-')) {
        return None;
    }
    let names = spans(header);
    if names.len() != runs.len() {
        return None;
    }
    Some(
        names
            .into_iter()
            .zip(runs)
            .map(|((_, name), (start, run))| Column {
                name: name.to_owned(),
                start,
                end: start + run.chars().count(),
            })
            .collect(),
    )
}

/// Whitespace-separated words with their starting column (in characters).
fn spans(line: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    let mut byte_start = 0;
    for (column, (byte, c)) in line.char_indices().enumerate() {
        if c.is_whitespace() {
            if let Some(col) = start.take() {
                out.push((col, line.get(byte_start..byte).unwrap_or_default()));
            }
        } else if start.is_none() {
            start = Some(column);
            byte_start = byte;
        }
    }
    if let Some(col) = start {
        out.push((col, line.get(byte_start..).unwrap_or_default()));
    }
    out
}

fn read_table(columns: &[Column], rows: &[Line<'_>]) -> Result<Option<TableRows>, Reason> {
    let find = |name: &str| {
        columns
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case(name))
    };
    // `-AutoSize` on a narrow console drops the columns that do not fit: a table may have
    // lost `Name` and kept a whole `Id`, whose last segment names the setting.
    let name_column = find("Name");
    let id_column = find("Id");
    if name_column.is_none() && id_column.is_none() {
        return Ok(None);
    }
    let Some(enabled_column) = find("Enabled") else {
        return Ok(None);
    };
    if let (Some((first, second)), Some(row)) = (repeated_column(columns), rows.first()) {
        let cells = cells(columns, row.text);
        let written = |i: usize| {
            Box::new(Written {
                key: columns.get(i).map(|c| c.name.clone()).unwrap_or_default(),
                value: cells
                    .get(i)
                    .copied()
                    .flatten()
                    .unwrap_or_default()
                    .to_owned(),
                line: row.number,
            })
        };
        return Err(Reason::TwoValues {
            record: "console table row (its header names the column twice)",
            first: written(first),
            second: written(second),
        });
    }
    // A column naming each row's subscription (`Select-Object Name,Enabled,Subscription`
    // in a loop over subscriptions), spelled as a CSV export's is.
    let subscription_column = find("SubscriptionId").or_else(|| find("Subscription"));
    let settings = rows
        .iter()
        .map(|row| {
            let cells = cells(columns, row.text);
            let cell = |i: usize| cells.get(i).copied().flatten();
            // A cell cut short to fit the console is neither a name nor an id.
            let whole = |column: Option<usize>| {
                let text = column.and_then(cell);
                let cut = text.is_some_and(is_cut_short);
                (text.filter(|_| !cut).map(str::to_owned), cut)
            };
            let (name, name_cut) = whole(name_column);
            let (id, id_cut) = whole(id_column);
            let nameless = name.is_none() && id.is_none() && (name_cut || id_cut);
            Setting {
                name,
                id,
                enabled: Flag::from_cell(cell(enabled_column)),
                location: Location::Line(row.number),
                recovered: nameless.then_some(CUT_SHORT),
                subscription: subscription_column.and_then(cell).map(str::to_owned),
            }
        })
        .collect();
    Ok(Some(TableRows {
        settings,
        has_kind: find("Kind").is_some(),
    }))
}

/// The first column whose name an earlier column has (in any case), with that earlier
/// column: `(earlier, repeat)`. Through a map, not pairwise: a header may be long.
fn repeated_column(columns: &[Column]) -> Option<(usize, usize)> {
    let mut seen = std::collections::HashMap::with_capacity(columns.len());
    columns.iter().enumerate().find_map(|(i, column)| {
        match seen.entry(column.name.to_ascii_lowercase()) {
            std::collections::hash_map::Entry::Occupied(first) => Some((*first.get(), i)),
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(i);
                None
            }
        }
    })
}

/// A row's cells by column; `None` where a column is empty.
fn cells<'a>(columns: &[Column], row: &'a str) -> Vec<Option<&'a str>> {
    let words = spans(row);
    if words.len() == columns.len() {
        return words.into_iter().map(|(_, w)| Some(w)).collect();
    }
    // Fewer words than columns: left to right, each word goes to the first remaining
    // column its characters overlap, else to the next remaining column.
    let mut cells = vec![None; columns.len()];
    let mut next = 0;
    for (start, word) in words {
        let end = start + word.chars().count();
        // The columns are in order and do not overlap: the only one that may overlap the
        // word is the first that ends after it starts (a search, not a walk per word).
        let remaining = columns.get(next..).unwrap_or_default();
        let first_after = next + remaining.partition_point(|c| c.end <= start);
        let slot = columns
            .get(first_after)
            .filter(|c| end > c.start)
            .map_or(next, |_| first_after);
        if let Some(cell) = cells.get_mut(slot) {
            *cell = Some(word);
        }
        next = slot + 1;
    }
    cells
}

/// A shell prompt (`PS C:\\audit>`, `$ `, `> `): the table before it has ended.
pub(crate) fn is_prompt(line: &str) -> bool {
    let line = line.trim_start();
    (line.starts_with("PS ") && line.contains('>'))
        || line.starts_with("$ ")
        || line.starts_with("> ")
}

/// Why a row names no setting: the console cut its `Name` or `Id` short.
pub const CUT_SHORT: &str = "its Name or Id was cut short by the console ('…', '...', or '?' \
                             where an ASCII save replaced '…'), so it names no setting";

/// A cell that a console cut short to fit its column: it ends with `...` or `…`, or with
/// `?` where a save in ASCII (Windows PowerShell 5.1 `Out-File -Encoding ascii`) replaced
/// the `…` (`Microsoft.Secur?`).
fn is_cut_short(cell: &str) -> bool {
    cell.ends_with("...") || cell.ends_with('…') || cell.ends_with('?')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::lines::numbered;

    #[test]
    fn cis_table_with_right_aligned_booleans() {
        let text = "\r\nName  Enabled\r\n----  -------\r\nWDATP    True\r\n\r\n\r\n";
        let tables = settings(&numbered(text)).unwrap();
        let s = &tables[0].settings[0];
        assert_eq!(s.name.as_deref(), Some("WDATP"));
        assert_eq!(s.enabled, Flag::Text("True".into()));
        assert_eq!(s.location, Location::Line(4));
        assert!(!tables[0].has_kind);
    }

    #[test]
    fn cut_short_ids_are_not_ids_and_empty_cells_are_missing() {
        let text = [
            "Enabled Id                                  Name  Type",
            "------- --                                  ----  ----",
            "   True /subscriptions/8d2e4f60-1a3b-4c5d-8e7… WDATP Microsoft.Security/settings",
            "        /subscriptions/8d2e4f60-1a3b-4c5d-8... MCAS  Microsoft.Security/settings",
        ]
        .join("\n");
        let rows = &settings(&numbered(&text)).unwrap()[0].settings;
        assert_eq!(rows[0].id, None);
        assert_eq!(rows[0].name.as_deref(), Some("WDATP"));
        assert_eq!(rows[0].enabled, Flag::Text("True".into()));
        assert_eq!(rows[1].enabled, Flag::Missing);
        assert_eq!(rows[1].name.as_deref(), Some("MCAS"));
        assert_eq!(rows[1].id, None);
    }

    #[test]
    fn a_table_without_name_reads_whole_ids_and_never_cut_cells() {
        let text = [
            "Enabled Id",
            "------- --",
            "   True /subscriptions/8d2e4f60-1a3b-4c5d-8e7f-90a1b2c3d4e5/providers/Microsoft.Security/settings/WDATP",
            "  False /subscriptions/8d2e4f60-1a3b-4c5d-8e7f-90a1b2c3d4e5/providers/Microsoft.Secur?",
        ]
        .join("\n");
        let rows = &settings(&numbered(&text)).unwrap()[0].settings;
        assert_eq!(rows[0].name, None);
        assert!(rows[0].id.as_deref().unwrap().ends_with("/WDATP"));
        assert_eq!(rows[0].recovered, None);
        assert_eq!(rows[1].id, None);
        assert_eq!(rows[1].recovered, Some(CUT_SHORT));
        let text =
            "Name               Enabled\n----               -------\nWDATP_UNIFIED_SOL…    True\n";
        let rows = &settings(&numbered(text)).unwrap()[0].settings;
        assert_eq!(rows[0].name, None);
        assert_eq!(rows[0].recovered, Some(CUT_SHORT));
    }

    #[test]
    fn az_table_has_a_kind_column() {
        let text = "Enabled    Kind                Name\n---------  ------------------  -----\nFalse      DataExportSettings  WDATP\n";
        let tables = settings(&numbered(text)).unwrap();
        assert!(tables[0].has_kind);
        assert_eq!(tables[0].settings[0].enabled, Flag::Text("False".into()));
    }

    #[test]
    fn a_prompt_right_after_a_table_is_not_a_row() {
        let text = "Name  Enabled\n----  -------\nMCAS     True\nPS C:\\>\n";
        assert_eq!(settings(&numbered(text)).unwrap()[0].settings.len(), 1);
    }

    #[test]
    fn tables_without_name_and_enabled_are_ignored() {
        let text = "Name   Account\n----   -------\nprod   auditor@contoso.com\n";
        assert!(settings(&numbered(text)).unwrap().is_empty());
        assert!(has_table(&numbered(text)));
    }

    #[test]
    fn a_subscription_column_names_each_rows_subscription() {
        for header in ["Subscription", "SubscriptionId", "subscriptionid"] {
            let dashes = "-".repeat(header.len());
            let text = format!(
                "Name  Enabled {header}\n----  ------- {dashes}\nWDATP    True 8d2e4f60-1a3b-4c5d-8e7f-90a1b2c3d4e5\nWDATP   False 11111111-2222-4333-8444-555555555555\n"
            );
            let rows = &settings(&numbered(&text)).unwrap()[0].settings;
            assert_eq!(
                rows[0].subscription.as_deref(),
                Some("8d2e4f60-1a3b-4c5d-8e7f-90a1b2c3d4e5"),
                "{header}"
            );
            assert_eq!(
                rows[1].subscription.as_deref(),
                Some("11111111-2222-4333-8444-555555555555"),
                "{header}"
            );
        }
    }

    #[test]
    fn a_header_naming_a_column_twice_is_an_error_naming_both_values() {
        for header in ["Name  Enabled enabled", "Name  ENABLED Enabled"] {
            let text = format!("\n{header}\n----  ------- -------\nWDATP    True   False\n");
            let Err(why) = settings(&numbered(&text)) else {
                panic!("{text}");
            };
            let why = why.to_string();
            assert!(
                why.contains("console table row (its header names the column twice)")
                    && why.contains("is \"True\" at line 4")
                    && why.contains("is \"False\" at line 4"),
                "{why}"
            );
        }
        // A table that is not a settings table may repeat a column.
        let text = "A  A\n-- --\nx  y\n";
        assert!(settings(&numbered(text)).unwrap().is_empty());
    }
}
