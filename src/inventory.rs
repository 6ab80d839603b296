//! The inventory of subscriptions in scope (`--subscriptions <FILE>`).
//!
//! Either one GUID per line; a CSV with a `subscription_id`, `SubscriptionId` or `Id`
//! column (`,` or `;` delimited); `az account list` output (JSON, TSV or table); or
//! `Get-AzSubscription`'s console table. Lines starting with `#` are comments; blank lines are skipped. The file is
//! decoded like evidence, so a UTF-16 list saved from PowerShell reads too. Anything that
//! is not a subscription id is a fatal error naming the line: a silently shortened
//! inventory would hide gaps; so is an inventory without any subscription. It is read like
//! evidence: only a regular file, within `--max-file-size`, never a FIFO or device.

use std::path::Path;

use crate::decode;
use crate::error::Error;
use crate::subscription::SubscriptionId;

/// The subscriptions in scope, and their names where the inventory gives them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inventory {
    /// Sorted, de-duplicated.
    pub ids: Vec<SubscriptionId>,
    /// The name the inventory gives each subscription, if any.
    pub names: std::collections::BTreeMap<SubscriptionId, String>,
}

/// Reads an inventory file into sorted, de-duplicated subscription ids.
///
/// # Errors
/// [`Error::ReadInventory`] when the file cannot be read, [`Error::Inventory`] when a line
/// holds something other than a subscription id.
pub fn load(path: &Path, limit: u64) -> Result<Inventory, Error> {
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
    let named = parse_named(&decoded.text).map_err(|(line, reason)| invalid(line, reason))?;
    if named.is_empty() {
        return Err(invalid(
            1,
            "no subscription id at all (only blank lines, comments or a header): \
             an empty inventory would hide every gap"
                .to_owned(),
        ));
    }
    let mut inventory = Inventory::default();
    for (id, name) in named {
        if let Some(name) = name {
            inventory.names.insert(id, name);
        }
        inventory.ids.push(id);
    }
    inventory.ids.sort();
    inventory.ids.dedup();
    Ok(inventory)
}

/// Subscriptions with their names where the file gives them; or the 1-based line and the
/// reason it cannot be read.
type Parse = Result<Vec<(SubscriptionId, Option<String>)>, (usize, String)>;

/// Parses inventory text; an error carries the 1-based line and the reason.
#[cfg(test)]
fn parse(text: &str) -> Result<Vec<SubscriptionId>, (usize, String)> {
    Ok(parse_named(text)?.into_iter().map(|(id, _)| id).collect())
}

/// Parses inventory text into subscriptions with their names where the file gives them.
fn parse_named(text: &str) -> Parse {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'));
    let Some((first_line, first)) = lines.next() else {
        return Ok(Vec::new());
    };
    if first.starts_with('[') || first.starts_with('{') {
        return parse_json(text);
    }
    if let Some(table) = parse_table(text) {
        return table;
    }
    let is_header = |cell: &str| {
        ["subscription_id", "subscriptionid", "id", "name"]
            .iter()
            .any(|h| cell.trim_matches('"').eq_ignore_ascii_case(h))
    };
    if first.contains([',', ';']) || is_header(first) {
        return parse_csv(text, first);
    }
    if first.contains('\t') {
        return parse_tsv(text);
    }
    std::iter::once((first_line, first))
        .chain(lines)
        .map(|(line, text)| {
            SubscriptionId::parse(text)
                .map(|id| (id, None))
                .ok_or_else(|| (line, format!("{text:?} is not a subscription id")))
        })
        .collect()
}

/// `az account list -o json`: objects with `id` (the subscription) and `name`; `tenantId`
/// and `homeTenantId` are never taken.
fn parse_json(text: &str) -> Parse {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| (e.line(), format!("invalid JSON: {e}")))?;
    let objects = match &value {
        serde_json::Value::Array(items) => items.iter().collect(),
        object @ serde_json::Value::Object(_) => vec![object],
        _ => Vec::new(),
    };
    objects
        .into_iter()
        .enumerate()
        .map(|(index, object)| {
            let id = object
                .get("id")
                .or_else(|| object.get("subscriptionId"))
                .and_then(serde_json::Value::as_str)
                .and_then(|id| SubscriptionId::parse(id.rsplit('/').next().unwrap_or(id)))
                .ok_or_else(|| {
                    (
                        1,
                        format!("entry {index} has no \"id\" that is a subscription id"),
                    )
                })?;
            let name = object
                .get("name")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned);
            Ok((id, name))
        })
        .collect()
}

/// A console table over a line of dashes: `az account list -o table` (a `SubscriptionId`
/// column) or `Get-AzSubscription`'s default view (`Name  Id  TenantId  State`). The
/// subscription is the cell in the `SubscriptionId` (else `Id`) column; a leading `Name`
/// column gives the name, unless the console cut it short (`...`, `…`). `None` when the
/// text is no such table.
fn parse_table(text: &str) -> Option<Parse> {
    let lines = crate::formats::lines::numbered(text);
    let is = |word: &str, name: &str| word.eq_ignore_ascii_case(name);
    let position = lines.windows(2).position(|pair| {
        matches!(pair, [header, dashes]
        if dashes.text.trim_start().starts_with("--") && {
            let mut words = header.text.split_whitespace();
            words.clone().any(|w| is(w, "SubscriptionId"))
                || (words.clone().any(|w| is(w, "Id")) && words.any(|w| is(w, "TenantId")))
        })
    })?;
    let header = lines.get(position)?;
    let words: Vec<&str> = header.text.split_whitespace().collect();
    let column = words
        .iter()
        .position(|w| is(w, "SubscriptionId"))
        .or_else(|| words.iter().position(|w| is(w, "Id")))?;
    let named = words.first().is_some_and(|w| is(w, "Name"));
    let rows = lines.iter().skip(position + 2).filter(|l| !l.is_blank());
    Some(
        rows.map(|row| {
            // Names may hold spaces: the subscription's cell is found counting from the
            // right, and the name is every cell before the columns after it.
            let cells: Vec<&str> = row.text.split_whitespace().collect();
            let from_right = words.len() - column;
            let at = cells.len().checked_sub(from_right);
            let cell = at.and_then(|i| cells.get(i)).copied().unwrap_or_default();
            let id = SubscriptionId::parse(cell)
                .ok_or_else(|| (row.number, format!("{cell:?} is not a subscription id")))?;
            let others = words.len() - 1;
            let name = cells
                .len()
                .checked_sub(others)
                .and_then(|end| cells.get(..end))
                .map(|name| name.join(" "))
                .filter(|name| {
                    named && !name.is_empty() && !name.ends_with("...") && !name.ends_with('…')
                });
            Ok((id, name))
        })
        .collect(),
    )
}

/// `az account list -o tsv`: no header, fields in az's sorted-key order (`cloudName`,
/// `homeTenantId`, `id`, ...): the third is the subscription, never a tenant.
fn parse_tsv(text: &str) -> Parse {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|(i, line)| {
            let cell = line.split('\t').nth(2).unwrap_or_default().trim();
            SubscriptionId::parse(cell)
                .map(|id| (id, None))
                .ok_or_else(|| {
                    (
                        i + 1,
                        format!(
                            "{cell:?} (the third field of az account list -o tsv) is not a \
                         subscription id"
                        ),
                    )
                })
        })
        .collect()
}

fn parse_csv(text: &str, header: &str) -> Parse {
    // `Export-Csv` of Windows PowerShell 5.1 starts with a `#TYPE` line: a comment here.
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
    let find = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    // `Get-AzSubscription | Export-Csv` names it `Id` (newer Az also `SubscriptionId`).
    let column = find("subscription_id")
        .or_else(|| find("SubscriptionId"))
        .or_else(|| find("Id"))
        .ok_or_else(|| {
            (
                1,
                "the CSV header has no subscription_id, SubscriptionId or Id column".to_owned(),
            )
        })?;
    let name_column = find("subscription_name").or_else(|| find("Name"));
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
        let name = name_column
            .and_then(|c| record.get(c))
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
        ids.push((id, name));
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
    fn inventories_as_clients_send_them() {
        let tenant = "cfe7d051-2224-4983-a9f3-2b88ec615d56";
        let export = format!(
            "#TYPE Microsoft.Azure.Commands.Profile.Models.PSAzureSubscription\r\n\
             \"Name\",\"Id\",\"TenantId\",\"State\"\r\n\
             \"Prod\",\"{A}\",\"{tenant}\",\"Enabled\"\r\n\"Dev\",\"{B}\",\"{tenant}\",\"Enabled\"\r\n"
        );
        let named = parse_named(&export).unwrap();
        assert_eq!(named[0].0.as_str(), A);
        assert_eq!(named[1].1.as_deref(), Some("Dev"));
        let json = format!(
            r#"[{{"cloudName": "AzureCloud", "homeTenantId": "{tenant}", "id": "{A}", "name": "Prod", "tenantId": "{tenant}"}}]"#
        );
        assert_eq!(
            parse_named(&json).unwrap()[0],
            (SubscriptionId::parse(A).unwrap(), Some("Prod".into()))
        );
        let tsv =
            format!("AzureCloud\t{tenant}\t{B}\tTrue\t\tDev\tEnabled\t{tenant}\tme@x\tuser\n");
        assert_eq!(parse(&tsv).unwrap()[0].as_str(), B);
        let table = format!(
            "Name    CloudName    SubscriptionId                        TenantId                              State    IsDefault\n\
             ------  -----------  ------------------------------------  ------------------------------------  -------  -----------\n\
             My Dev  AzureCloud   {B}  {tenant}  Enabled  True\n"
        );
        assert_eq!(parse(&table).unwrap()[0].as_str(), B);
    }

    /// `Get-AzSubscription`'s default view, as a console shows it: names with spaces, one
    /// cut short, a blank line before and after.
    #[test]
    fn get_azsubscription_console_table() {
        let tenant = "cfe7d051-2224-4983-a9f3-2b88ec615d56";
        let table = format!(
            "\r\nName                           Id                                   TenantId                             State\r\n\
             ----                           --                                   --------                             -----\r\n\
             Contoso Production             {A} {tenant} Enabled\r\n\
             Contoso Shared Services – Con… {B} {tenant} Warned\r\n\r\n"
        );
        let named = parse_named(&table).unwrap();
        assert_eq!(
            named,
            [
                (
                    SubscriptionId::parse(A).unwrap(),
                    Some("Contoso Production".to_owned())
                ),
                (SubscriptionId::parse(B).unwrap(), None),
            ]
        );
        let cut = table.replace(&format!("{A} "), "3f6c2a1e-8b4d-4c7a-9e2f-5d1b7a9c0… ");
        assert_eq!(parse_named(&cut).unwrap_err().0, 4);
    }

    #[test]
    fn a_line_that_is_not_an_id_is_an_error_with_its_line() {
        assert_eq!(parse(&format!("{A}\nprod\n")).unwrap_err().0, 2);
        assert!(
            parse("name,account\nx,y\n")
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
