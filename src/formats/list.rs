//! PowerShell `Format-List` console text: blocks of `Key : Value` lines separated by blank
//! lines, one block per object (`Enabled : True` / `Id : /subscriptions/...` /
//! `Name : WDATP` / `Type : ...`). A value too long for the console continues on the next,
//! indented line.

use std::borrow::Cow;

use super::lines::Line;
use super::reason::Written;
use super::{Flag, Location, Reason, Setting};

/// The settings of every `Format-List` output in `lines`, one list per output: blocks
/// separated only by blank lines are one output; any other line ends it. Blocks without both
/// a `Name` and an `Enabled` key are not settings.
///
/// # Errors
///
/// A settings block that lists a property twice (in any case): one object of PowerShell's
/// has one value per property, so the text cannot be read to one.
pub fn listings(lines: &[Line<'_>]) -> Result<Vec<Vec<Setting>>, Reason> {
    let mut listings = Vec::new();
    for blocks in outputs(lines) {
        let mut settings = Vec::new();
        for block in &blocks {
            if let Some(setting) = setting(block)? {
                settings.push(setting);
            }
        }
        if !settings.is_empty() {
            listings.push(settings);
        }
    }
    Ok(listings)
}

fn setting(block: &[Field<'_>]) -> Result<Option<Setting>, Reason> {
    let get = |key: &str| block.iter().find(|f| f.key.eq_ignore_ascii_case(key));
    let (Some(name), Some(enabled)) = (get("Name"), get("Enabled")) else {
        return Ok(None);
    };
    if let Some((first, second)) = repeated(block) {
        let written = |f: &Field<'_>| Written {
            key: f.key.to_owned(),
            value: f.value.trim().to_owned(),
            line: f.line,
        };
        return Err(Reason::TwoValues {
            record: "Format-List record",
            first: Box::new(written(first)),
            second: Box::new(written(second)),
        });
    }
    let value = enabled.value.trim();
    Ok(Some(Setting {
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
    }))
}

/// The first field whose key an earlier field of the block has (in any case), with that
/// earlier field. Through a map, not pairwise: a block may hold any number of fields.
fn repeated<'b, 'a>(block: &'b [Field<'a>]) -> Option<(&'b Field<'a>, &'b Field<'a>)> {
    let mut seen = std::collections::HashMap::with_capacity(block.len());
    block
        .iter()
        .find_map(|second| match seen.entry(second.key.to_ascii_lowercase()) {
            std::collections::hash_map::Entry::Occupied(first) => Some((*first.get(), second)),
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(second);
                None
            }
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
        let s = listings(&numbered(text)).unwrap().concat();
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
        assert_eq!(listings(&numbered(text)).unwrap().len(), 2);
    }

    #[test]
    fn a_property_listed_twice_in_one_record_is_an_error_naming_both_values() {
        let text = "\nEnabled : True\nId      : /subscriptions/8d2e4f60-1a3b-4c5d-8e7f-90a1b2c3d4e5/providers/Microsoft.Security/settings/WDATP\nName    : WDATP\nType    : Microsoft.Security/settings\nEnabled : False\n";
        let Err(Reason::TwoValues {
            record,
            first,
            second,
        }) = listings(&numbered(text))
        else {
            panic!("{:?}", listings(&numbered(text)))
        };
        assert_eq!(record, "Format-List record");
        assert_eq!((first.value.as_str(), first.line), ("True", 2));
        assert_eq!((second.value.as_str(), second.line), ("False", 6));
        // In any case, with the same value too.
        let text = "Enabled : True\nName    : WDATP\nenabled : True\n";
        assert!(listings(&numbered(text)).is_err());
        // Two records, each with its own properties, are two objects.
        let text = "Enabled : True\nName    : MCAS\n\nEnabled : False\nName    : WDATP\n";
        assert_eq!(listings(&numbered(text)).unwrap().concat().len(), 2);
    }

    #[test]
    fn wrapped_values_are_joined() {
        let text = "Enabled : False\nId      : /subscriptions/8d2e4f60-1a3b-4c5d-8e7f-90a1b2c3d4e5/providers/Microsoft.Secu\n          rity/settings/WDATP\nName    : WDATP\n";
        let s = listings(&numbered(text)).unwrap().concat();
        assert!(
            s[0].id
                .as_deref()
                .unwrap()
                .ends_with("Microsoft.Security/settings/WDATP")
        );
    }
}
