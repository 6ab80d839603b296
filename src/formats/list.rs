//! PowerShell `Format-List` console text: blocks of `Key : Value` lines separated by blank
//! lines, one block per object (`Enabled : True` / `Id : /subscriptions/...` /
//! `Name : WDATP` / `Type : ...`). A value too long for the console continues on the next,
//! indented line.

use std::borrow::Cow;

use super::lines::Line;
use super::{Flag, Location, Setting};

/// The settings of every `Format-List` output in `lines`, one list per output: blocks
/// separated only by blank lines are one output; any other line ends it. Blocks without both
/// a `Name` and an `Enabled` key are not settings.
#[must_use]
pub fn listings(lines: &[Line<'_>]) -> Vec<Vec<Setting>> {
    outputs(lines)
        .into_iter()
        .map(|blocks| {
            blocks
                .iter()
                .filter_map(|block| setting(block))
                .collect::<Vec<_>>()
        })
        .filter(|settings| !settings.is_empty())
        .collect()
}

fn setting(block: &[Field<'_>]) -> Option<Setting> {
    let get = |key: &str| block.iter().find(|f| f.key.eq_ignore_ascii_case(key));
    let name = get("Name")?;
    let enabled = get("Enabled")?;
    let value = enabled.value.trim();
    Some(Setting {
        name: Some(name.value.trim().to_owned()),
        id: get("Id")
            .map(|f| f.value.trim().to_owned())
            .filter(|v| !v.is_empty()),
        enabled: Flag::from_cell(Some(value)),
        location: Location::Line(enabled.line),
        recovered: None,
        subscription: get("SubscriptionId")
            .map(|f| f.value.trim().to_owned())
            .filter(|v| !v.is_empty()),
    })
}

/// One `Key : value` line; the value is borrowed unless a wrapped line was joined to it.
struct Field<'a> {
    key: &'a str,
    value: Cow<'a, str>,
    line: usize,
}

/// Blocks of fields, grouped by the output they belong to.
fn outputs<'a>(lines: &[Line<'a>]) -> Vec<Vec<Vec<Field<'a>>>> {
    let mut outputs = Vec::new();
    let mut blocks: Vec<Vec<Field<'a>>> = Vec::new();
    let mut block: Vec<Field<'a>> = Vec::new();
    for line in lines {
        if line.is_blank() {
            if !block.is_empty() {
                blocks.push(std::mem::take(&mut block));
            }
            continue;
        }
        match field(line.text) {
            Some((key, value)) => block.push(Field {
                key,
                value: Cow::Borrowed(value),
                line: line.number,
            }),
            None => match block.last_mut() {
                // A long value wrapped onto an indented line.
                Some(last) if line.text.starts_with(' ') => {
                    last.value.to_mut().push_str(line.text.trim());
                }
                // Any other line (a prompt, a table) ends the output.
                _ => {
                    if !block.is_empty() {
                        blocks.push(std::mem::take(&mut block));
                    }
                    if !blocks.is_empty() {
                        outputs.push(std::mem::take(&mut blocks));
                    }
                }
            },
        }
    }
    if !block.is_empty() {
        blocks.push(block);
    }
    if !blocks.is_empty() {
        outputs.push(blocks);
    }
    outputs
}

/// `Key   : value` -> (`Key`, `value`): one word, padding, ` : `.
fn field(text: &str) -> Option<(&str, &str)> {
    let (key, value) = text
        .split_once(" : ")
        .or_else(|| text.strip_suffix(" :").map(|key| (key, "")))?;
    let key = key.trim_end();
    (!key.is_empty() && !key.starts_with(' ') && !key.contains(' ')).then_some((key, value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::lines::numbered;

    #[test]
    fn blocks_become_settings_with_the_enabled_line() {
        let text = "\r\nEnabled : True\r\nId      : /subscriptions/8d2e4f60-1a3b-4c5d-8e7f-90a1b2c3d4e5/providers/Microsoft.Security/settings/WDATP\r\nName    : WDATP\r\nType    : Microsoft.Security/settings\r\n\r\nEnabled : \r\nName    : MCAS\r\n";
        let s = listings(&numbered(text)).concat();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].name.as_deref(), Some("WDATP"));
        assert_eq!(s[0].enabled, Flag::Text("True".into()));
        assert_eq!(s[0].location, Location::Line(2));
        assert!(s[0].id.as_deref().unwrap().ends_with("/WDATP"));
        assert_eq!(s[1].enabled, Flag::Missing);
    }

    #[test]
    fn each_command_output_is_its_own_listing() {
        let text = "Enabled : True\nName    : MCAS\n\nPS C:\\> Get-AzSecuritySetting | fl\n\nEnabled : False\nName    : WDATP\n";
        assert_eq!(listings(&numbered(text)).len(), 2);
    }

    #[test]
    fn wrapped_values_are_joined() {
        let text = "Enabled : False\nId      : /subscriptions/8d2e4f60-1a3b-4c5d-8e7f-90a1b2c3d4e5/providers/Microsoft.Secu\n          rity/settings/WDATP\nName    : WDATP\n";
        let s = listings(&numbered(text)).concat();
        assert!(
            s[0].id
                .as_deref()
                .unwrap()
                .ends_with("Microsoft.Security/settings/WDATP")
        );
    }
}
