//! The inventory of subscriptions in scope (`--subscriptions <FILE>`).
//!
//! Either one GUID per line, or a CSV with a `subscription_id` column (`,` or `;`
//! delimited). Lines starting with `#` are comments; blank lines are skipped. The file is
//! decoded like evidence, so a UTF-16 list saved from PowerShell reads too. Anything that
//! is not a subscription id is a fatal error naming the line: a silently shortened
//! inventory would hide gaps; so is an inventory without any subscription. It is read like
//! evidence: only a regular file, within `--max-file-size`, never a FIFO or device.

use std::path::Path;

use crate::decode;
use crate::error::Error;
use crate::subscription::SubscriptionId;

/// Reads an inventory file into sorted, de-duplicated subscription ids.
///
/// # Errors
/// [`Error::ReadInventory`] when the file cannot be read, [`Error::Inventory`] when a line
/// holds something other than a subscription id.
pub fn load(path: &Path, limit: u64) -> Result<Vec<SubscriptionId>, Error> {
    let bytes = crate::read::read(path, limit)
        .map_err(|source| Error::ReadInventory {
            path: path.to_path_buf(),
            source,
        })?
        .bytes;
    let invalid = |line: usize, reason: String| Error::Inventory {
        path: path.to_path_buf(),
        line,
        reason,
    };
    let decoded = decode::decode(&bytes).map_err(|e| invalid(1, e.to_string()))?;
    let mut ids = parse(&decoded.text).map_err(|(line, reason)| invalid(line, reason))?;
    if ids.is_empty() {
        return Err(invalid(
            1,
            "no subscription id at all (only blank lines, comments or a header): \
             an empty inventory would hide every gap"
                .to_owned(),
        ));
    }
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// Parses inventory text; an error carries the 1-based line and the reason.
fn parse(text: &str) -> Result<Vec<SubscriptionId>, (usize, String)> {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'));
    let Some((first_line, first)) = lines.next() else {
        return Ok(Vec::new());
    };
    if first.contains([',', ';']) || first.eq_ignore_ascii_case("subscription_id") {
        return parse_csv(text, first);
    }
    std::iter::once((first_line, first))
        .chain(lines)
        .map(|(line, text)| {
            SubscriptionId::parse(text)
                .ok_or_else(|| (line, format!("{text:?} is not a subscription id")))
        })
        .collect()
}

fn parse_csv(text: &str, header: &str) -> Result<Vec<SubscriptionId>, (usize, String)> {
    let delimiter = crate::formats::powershell_csv::delimiter_of(header);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .comment(Some(b'#'))
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let line_of = |pos: Option<&csv::Position>| {
        pos.map_or(0, |p| usize::try_from(p.line()).unwrap_or(usize::MAX))
    };
    let headers = reader
        .headers()
        .map_err(|e| (line_of(e.position()), e.to_string()))?
        .clone();
    let column = headers
        .iter()
        .position(|h| h.eq_ignore_ascii_case("subscription_id"))
        .ok_or_else(|| (1, "the CSV header has no subscription_id column".to_owned()))?;
    let mut ids = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| (line_of(e.position()), e.to_string()))?;
        let line = line_of(record.position());
        let cell = record.get(column).unwrap_or_default();
        if cell.is_empty() && record.iter().all(str::is_empty) {
            continue;
        }
        let id = SubscriptionId::parse(cell)
            .ok_or_else(|| (line, format!("{cell:?} is not a subscription id")))?;
        ids.push(id);
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "3f6c2a1e-8b4d-4c7a-9e2f-5d1b7a9c0e41";
    const B: &str = "8d2e4f60-1a3b-4c5d-8e7f-90a1b2c3d4e5";

    #[test]
    fn one_guid_per_line_with_comments() {
        let ids = parse(&format!("# scope\n{A}\n\n  {}  \n", B.to_uppercase())).unwrap();
        assert_eq!(ids.len(), 2);
        assert_eq!(ids[1].as_str(), B);
    }

    #[test]
    fn csv_with_subscription_id_column() {
        let ids = parse(&format!("name;subscription_id\n# x\nprod;{A}\ntest;{B}\n")).unwrap();
        assert_eq!(
            ids.iter().map(SubscriptionId::as_str).collect::<Vec<_>>(),
            [A, B]
        );
    }

    #[test]
    fn a_line_that_is_not_an_id_is_an_error_with_its_line() {
        assert_eq!(parse(&format!("{A}\nprod\n")).unwrap_err().0, 2);
        assert!(
            parse("name,id\nx,y\n")
                .unwrap_err()
                .1
                .contains("subscription_id")
        );
        assert_eq!(
            parse(&format!("subscription_id\n{A}\nnope\n"))
                .unwrap_err()
                .0,
            3
        );
    }
}
