//! Error text saved where collection failed: az CLI stderr (`ERROR: (AuthorizationFailed)
//! The client ...`, or the same without `ERROR:`) and PowerShell error records
//! (`Get-AzSecuritySetting : The client ...`, or `Get-AzSecuritySetting: ...` in
//! PowerShell 7). They prove nothing about WDATP; the subscription comes from the scope the
//! message names, never from client or object ids.

use super::lines::Line;
use super::{Body, Format, Item, Location, Parsed};
use crate::subscription::{self, IdScope};

/// az CLI error text (`ERROR: (Code) ...`).
pub const AZCLI_ERROR: Format = Format::new("azcli-error");
/// A PowerShell error record (`Get-AzSecuritySetting : ...`).
pub const POWERSHELL_ERROR: Format = Format::new("powershell-error");

/// Parses a file that is error text (after any `WARNING:` lines and the prompt of the
/// command that failed): every error record in
/// it, each with its own scope (a loop over subscriptions leaves one per failed call);
/// `None` when the text does not start with an error.
#[must_use]
pub fn parse(lines: &[Line<'_>]) -> Option<Parsed> {
    // Warnings, and the prompt and command a console copy shows, may come first.
    let first = lines.iter().find(|l| {
        let text = l.text.trim_start();
        !l.is_blank() && !text.starts_with("WARNING:") && !super::table::is_prompt(text)
    })?;
    let format = kind_of(first.text)?;
    Some(Parsed::new(format, Body::Items(find(lines))))
}

/// The shape of the first error record in `lines` (az CLI's or PowerShell's), if any.
#[must_use]
pub(crate) fn first_kind(lines: &[Line<'_>]) -> Option<Format> {
    lines.iter().find_map(|l| kind_of(l.text))
}

/// Every error record in `lines` (inside a transcript, beside a table), as items. A
/// record runs from its first line to a blank line or the next record.
#[must_use]
pub fn find(lines: &[Line<'_>]) -> Vec<Item> {
    let mut items = Vec::new();
    let mut rest = lines;
    while let Some(position) = rest.iter().position(|l| kind_of(l.text).is_some()) {
        let Some((first, after)) = rest.get(position..).and_then(<[Line<'_>]>::split_first) else {
            break;
        };
        let length = after
            .iter()
            .position(|l| l.is_blank() || kind_of(l.text).is_some())
            .unwrap_or(after.len());
        let text: Vec<&str> = std::iter::once(first)
            .chain(after.iter().take(length))
            .map(|l| l.text)
            .collect();
        items.push(collection_error(first, &text));
        rest = after.get(length..).unwrap_or_default();
    }
    items
}

fn collection_error(first: &Line<'_>, text: &[&str]) -> Item {
    let line = without_native_prefix(first.text.trim());
    // PowerShell 7's concise view puts the message under the command it quotes:
    // `Get-AzSecuritySetting: ` / `Line |` / `   2 |  Get-AzSecuritySetting` /
    // `     |  ~~~~~` / `     | Operation returned ...`. The message is the error.
    let message: Vec<&str> = text
        .iter()
        .skip(1)
        .filter_map(|l| concise_message(l))
        .filter(|m| !m.is_empty())
        .collect();
    let concise = kind_of(first.text) == Some(POWERSHELL_ERROR);
    let summary = match (concise && !message.is_empty(), line.split_once(':')) {
        (true, Some((cmdlet, _))) => format!("{}: {}", cmdlet.trim(), message.concat().trim()),
        _ => line
            .strip_prefix("ERROR:")
            .unwrap_or(line)
            .trim()
            .to_owned(),
    };
    let cleaned: Vec<&str> = text
        .iter()
        .map(|l| concise_message(l).unwrap_or(l))
        .collect();
    Item::CollectionError {
        summary,
        scope: scope_of(&cleaned),
        location: Location::Line(first.number),
    }
}

/// The message text of a line of PowerShell 7's concise error view (`     | message`),
/// empty for its `~~~~` underline; `None` for any other line (`Line |`, `   2 |  command`).
fn concise_message(line: &str) -> Option<&str> {
    let rest = line.trim_start().strip_prefix('|')?;
    // The console wraps the message at its width, inside words: the pieces are joined as
    // they are, with the blank the view puts after `|` removed.
    let message = rest.strip_prefix(' ').unwrap_or(rest);
    Some(if message.trim().chars().all(|c| c == '~') {
        ""
    } else {
        message
    })
}

/// The scope an error names; consoles wrap long messages, so when nothing is found in the
/// lines as they are, they are joined without their breaks and searched again.
fn scope_of(lines: &[&str]) -> IdScope {
    let joined = lines.join(" ");
    match subscription::scope_of_message(&joined) {
        IdScope::Subscription(sub) => IdScope::Subscription(sub),
        found => match subscription::scope_of_message(&lines.concat()) {
            IdScope::Subscription(sub) => IdScope::Subscription(sub),
            _ => found,
        },
    }
}

/// az CLI error (`ERROR: ...`, `(Code) ...`) or PowerShell error record (`Verb-Noun : ...`).
fn kind_of(line: &str) -> Option<Format> {
    let line = without_native_prefix(line.trim_start());
    if line.starts_with("ERROR:") {
        return Some(AZCLI_ERROR);
    }
    if let Some(rest) = line.strip_prefix('(') {
        let code = rest.split_once(')')?.0;
        if !code.is_empty() && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '.') {
            return Some(AZCLI_ERROR);
        }
        return None;
    }
    let (cmdlet, _) = line.split_once(':')?;
    let (verb, noun) = cmdlet.trim_end().split_once('-')?;
    let is_noun = noun.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && noun.chars().all(|c| c.is_ascii_alphanumeric());
    (CMDLET_VERBS.contains(&verb) && is_noun).then_some(POWERSHELL_ERROR)
}

/// The verbs of the cmdlets whose error records evidence may hold; `Follow-Up: ...` in
/// someone's notes is not an error record.
const CMDLET_VERBS: &[&str] = &[
    "Add",
    "Connect",
    "ConvertFrom",
    "ConvertTo",
    "Disconnect",
    "Export",
    "Format",
    "Get",
    "Import",
    "Invoke",
    "New",
    "Out",
    "Remove",
    "Select",
    "Set",
    "Start",
    "Stop",
    "Update",
    "Where",
    "Write",
];

/// Windows PowerShell 5.1 wraps a native command's stderr as an error record named after
/// the command: `az : ERROR: (AuthorizationFailed) ...`. The az error is what follows.
fn without_native_prefix(line: &str) -> &str {
    match line.split_once(" : ") {
        Some((command, rest)) if !command.contains(' ') && rest.starts_with("ERROR:") => rest,
        _ => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::lines::numbered;

    const SUB: &str = "8d2e4f60-1a3b-4c5d-8e7f-90a1b2c3d4e5";

    fn scope(parsed: &Parsed) -> IdScope {
        match &parsed.body {
            Body::Items(items) => match items.first() {
                Some(Item::CollectionError { scope, .. }) => scope.clone(),
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
    }

    /// Asserts that `text` is error text of `format` whose scope is `SUB`.
    fn assert_error_scoped_to_sub(text: &str, format: Format) {
        let parsed = parse(&numbered(text)).unwrap();
        assert_eq!(parsed.format, format);
        assert_eq!(
            scope(&parsed),
            IdScope::Subscription(subscription::SubscriptionId::parse(SUB).unwrap())
        );
    }

    #[test]
    fn az_error_names_its_scope_not_the_client() {
        let text = format!(
            "ERROR: (AuthorizationFailed) The client 'a@b.c' with object id '3a632cb2-9dea-4909-a4af-0ea382978a18' does not have authorization to perform action 'Microsoft.Security/settings/read' over scope '/subscriptions/{SUB}' or the scope is invalid.\nCode: AuthorizationFailed\n"
        );
        assert_error_scoped_to_sub(&text, AZCLI_ERROR);
    }

    #[test]
    fn wrapped_powershell_error_record() {
        let text = format!(
            "Get-AzSecuritySetting : The client 'x' with object id 'y' does not have authorization over scope '/subscriptions/{}\r\n{}' or the scope is invalid.\r\nAt line:1 char:1\r\n",
            &SUB[..20],
            &SUB[20..]
        );
        assert_error_scoped_to_sub(&text, POWERSHELL_ERROR);
    }

    #[test]
    fn az_stderr_wrapped_by_windows_powershell() {
        let text = format!(
            "az : ERROR: (AuthorizationFailed) denied over scope '/subscriptions/{SUB}'\r\nAt line:1 char:1\r\n"
        );
        assert_error_scoped_to_sub(&text, AZCLI_ERROR);
    }

    #[test]
    fn an_error_after_the_command_that_failed_is_error_text() {
        let text = format!(
            "$ az security setting list -o json\nERROR: (SubscriptionNotFound) The subscription '{SUB}' could not be found.\n"
        );
        assert_error_scoped_to_sub(&text, AZCLI_ERROR);
        let text = format!(
            "PS C:\\audit> Get-AzSecuritySetting\nGet-AzSecuritySetting : denied over scope '/subscriptions/{SUB}'\n"
        );
        assert_error_scoped_to_sub(&text, POWERSHELL_ERROR);
    }

    #[test]
    fn powershell_7_concise_view_summary_is_the_message() {
        let text = format!(
            "Get-AzSecuritySetting: \nLine |\n   2 |  Get-AzSecuritySetting\n     |  ~~~~~~~~~~~~~~~~~~~~~\n     | Operation returned an invalid status code 'Forbidden' AuthorizationFailed over scope \n     | '/subscriptions/{SUB}'\n"
        );
        let parsed = parse(&numbered(&text)).unwrap();
        assert_eq!(parsed.format, POWERSHELL_ERROR);
        let Body::Items(items) = &parsed.body else {
            panic!()
        };
        let Some(Item::CollectionError { summary, .. }) = items.first() else {
            panic!("{items:?}")
        };
        assert!(
            summary.starts_with(
                "Get-AzSecuritySetting: Operation returned an invalid status code 'Forbidden'"
            ),
            "{summary}"
        );
        assert_eq!(
            scope(&parsed),
            IdScope::Subscription(subscription::SubscriptionId::parse(SUB).unwrap())
        );
    }

    #[test]
    fn ordinary_text_is_not_an_error() {
        assert!(parse(&numbered("Name  Enabled\n----  -------\n")).is_none());
        assert!(parse(&numbered("(see notes) collected by hand\n")).is_none());
    }
}
