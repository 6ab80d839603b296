//! Context switches in console text: `Set-AzContext -Subscription <GUID>`,
//! `Select-AzSubscription`, `az account set --subscription <GUID>` (typed at a prompt or
//! echoed by a script), and the context table `Set-AzContext` prints, whose `Name` column
//! holds `<name> (<GUID>)`. Output without subscription ids that follows a switch belongs
//! to the subscription switched to, until the next switch. A switch by name, not id, is
//! recorded too: what follows it belongs to no subscription that can be named. A tenant id
//! is never a subscription.

use super::lines::Line;
use super::{Item, Location};
use crate::subscription::{IdScope, SubscriptionId};

/// The commands that switch the subscription later commands run against.
const SWITCHES: &[&str] = &[
    "Set-AzContext",
    "Select-AzSubscription",
    "Set-AzureRmContext",
    "Select-AzureRmSubscription",
    "Connect-AzAccount",
    "az account set",
];

/// Every context switch in `lines`, in order.
#[must_use]
pub fn find(lines: &[Line<'_>]) -> Vec<Item> {
    let mut items = Vec::new();
    let mut in_context_table = false;
    for (index, line) in lines.iter().enumerate() {
        if might_switch(line.text)
            && let Some(scope) = switch_command(line.text)
        {
            items.push(Item::Context {
                scope,
                location: Location::Line(line.number),
            });
            continue;
        }
        let is_header = line.text.trim_start().starts_with("Name ")
            && is_context_header(line.text)
            && lines
                .get(index + 1)
                .is_some_and(|next| next.text.trim_start().starts_with("----"));
        if is_header {
            in_context_table = true;
            continue;
        }
        if in_context_table {
            if line.is_blank() {
                in_context_table = false;
            } else if let Some(sub) = guid_in_parentheses(line.text) {
                items.push(Item::Context {
                    scope: IdScope::Subscription(sub),
                    location: Location::Line(line.number),
                });
            }
        }
    }
    items
}

/// The subscription a switch command names: a GUID, or `Redacted` holding the name when it
/// names the subscription otherwise; `None` when the line is no switch (or, for
/// `Connect-AzAccount`, names no subscription). The value of a subscription flag
/// (`-Subscription`, `-SubscriptionId`, `-SubscriptionName`, `--subscription`, `-s`), else
/// the first argument that is not a flag or a flag's value, is the subscription; a
/// `-Tenant` value never is.
fn switch_command(line: &str) -> Option<IdScope> {
    let command = without_prompt(line.trim());
    let switch = SWITCHES.iter().find(|s| {
        command
            .get(..s.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(s))
    })?;
    let arguments = command.get(switch.len()..)?;
    if !arguments.is_empty() && !arguments.starts_with([' ', '\t']) {
        return None;
    }
    let words: Vec<&str> = arguments
        .split_whitespace()
        .map(|w| w.trim_matches(['"', '\'']))
        .collect();
    let is_subscription_flag = |flag: &str| {
        let flag = flag.to_ascii_lowercase();
        flag.starts_with("-subscription") || flag == "--subscription" || flag == "-s"
    };
    let flagged = words
        .windows(2)
        .find(|pair| pair.first().is_some_and(|f| is_subscription_flag(f)))
        .and_then(|pair| pair.get(1).copied());
    // Without a subscription flag: the first word that is neither a flag nor a flag's value.
    let positional = || {
        let mut previous_was_flag = false;
        words.iter().copied().find(|w| {
            let is_flag = w.starts_with('-');
            let take = !is_flag && !previous_was_flag;
            previous_was_flag = is_flag;
            take
        })
    };
    let named = match flagged.or_else(positional) {
        Some(named) => named,
        None if switch.eq_ignore_ascii_case("Connect-AzAccount") => return None,
        None => return Some(IdScope::Redacted(arguments.trim().to_owned())),
    };
    Some(match SubscriptionId::parse(named) {
        Some(sub) => IdScope::Subscription(sub),
        None => IdScope::Redacted(named.to_owned()),
    })
}

/// A cheap first look: only lines whose command starts like a switch are read further.
fn might_switch(line: &str) -> bool {
    without_prompt(line.trim_start())
        .as_bytes()
        .first()
        .is_some_and(|b| matches!(b.to_ascii_lowercase(), b's' | b'c' | b'a'))
}

/// The command typed after a prompt (`PS C:\audit> `, `$ `, `> `), or the line itself.
fn without_prompt(line: &str) -> &str {
    if line.starts_with("PS ")
        && let Some(at) = line.find("> ")
    {
        return line.get(at + 2..).unwrap_or_default().trim_start();
    }
    line.strip_prefix("$ ")
        .or_else(|| line.strip_prefix("> "))
        .unwrap_or(line)
        .trim_start()
}

/// The header `Set-AzContext` prints: `Name Account SubscriptionName Environment TenantId`.
fn is_context_header(line: &str) -> bool {
    let words: Vec<&str> = line.split_whitespace().collect();
    words.first() == Some(&"Name")
        && words.contains(&"Account")
        && words.contains(&"SubscriptionName")
}

/// A whole GUID between parentheses, as the context table's `Name` column writes it.
fn guid_in_parentheses(line: &str) -> Option<SubscriptionId> {
    let mut rest = line;
    while let Some(open) = rest.find('(') {
        let after = rest.get(open + 1..)?;
        // A GUID is 36 bytes: only a `)` right after them can close one (looking for the
        // next `)` from each `(` read a line of many `(` once per `(`).
        if after.as_bytes().get(36) == Some(&b')')
            && let Some(sub) = after.get(..36).and_then(SubscriptionId::parse)
        {
            return Some(sub);
        }
        rest = after;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::lines::numbered;

    const SUB: &str = "b27edbde-877f-441a-ad59-d391f97d42c0";

    fn scopes(text: &str) -> Vec<IdScope> {
        find(&numbered(text))
            .into_iter()
            .filter_map(|item| match item {
                Item::Context { scope, .. } => Some(scope),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn switch_commands_name_their_subscription() {
        let sub = IdScope::Subscription(SubscriptionId::parse(SUB).unwrap());
        assert_eq!(
            scopes(&format!(
                "PS C:\\audit> Set-AzContext -Subscription {SUB}\n"
            )),
            std::slice::from_ref(&sub)
        );
        assert_eq!(
            scopes(&format!("$ az account set --subscription \"{SUB}\"\n")),
            std::slice::from_ref(&sub)
        );
        assert_eq!(
            scopes(&format!("Select-AzSubscription -SubscriptionId '{SUB}'\n")),
            [sub]
        );
        assert_eq!(
            scopes("PS C:\\> Set-AzContext -Subscription Prod\n"),
            [IdScope::Redacted("Prod".into())]
        );
        assert!(scopes("Get-AzContext\nSet-AzContextual x\nConnect-AzAccount\n").is_empty());
        let tenant = "cfe7d051-2224-4983-a9f3-2b88ec615d56";
        assert_eq!(
            scopes(&format!(
                "PS C:\\> Set-AzContext -Tenant {tenant} -Subscription {SUB}\n"
            )),
            [IdScope::Subscription(SubscriptionId::parse(SUB).unwrap())]
        );
        assert_eq!(
            scopes(&format!(
                "Set-AzContext -Subscription \"Dev\" -Tenant {tenant}\n"
            )),
            [IdScope::Redacted("Dev".into())]
        );
        assert_eq!(
            scopes(&format!(
                "Connect-AzAccount -Tenant {tenant} -Subscription {SUB}\n"
            )),
            [IdScope::Subscription(SubscriptionId::parse(SUB).unwrap())]
        );
    }

    #[test]
    fn the_context_table_gives_the_subscription_never_the_tenant() {
        let text = format!(
            "Name                          Account   SubscriptionName Environment TenantId\n\
             ----                          -------   ---------------- ----------- --------\n\
             Prod ({SUB}) - x  a@b.c     Prod             AzureCloud  cfe7d051-2224-4983-a9f3-2b88ec615d56\n"
        );
        assert_eq!(
            scopes(&text),
            [IdScope::Subscription(SubscriptionId::parse(SUB).unwrap())]
        );
        let cut = "Name Account SubscriptionName Environment TenantId\n---- ------- ---------------- ----------- --------\nDev (b27edbde-877f-441a-ad59-... a@b.c Dev AzureCloud cfe7d051-2224-4983-a9f3-2b88ec615d56\n";
        assert!(scopes(cut).is_empty());
    }
}
