//! How a file that decides nothing would count: one hint per cause the collector can fix
//! (no subscription named, a filtered view, one page of several, a table the console cut,
//! a depth-limited export, an error instead of data, a file cut short), derived from the
//! typed reasons of [`Reason`] and from the outcomes. Every wording is here, once.

use crate::evaluate::Observation;
use crate::formats::{Body, Extent, Item, Parsed, Reason};
use crate::subscription::{IdScope, scope_of_resource_id};
use crate::vocabulary::outcome::Outcome;

/// A value without a subscription.
pub(super) const NO_SUBSCRIPTION: &str = "it names no subscription; placed in a folder named by \
     the subscription's GUID, it would count, from the path";
/// A value its content places ambiguously: it names several subscriptions, or switches to
/// one by name; the path is then never read.
const ONE_SUBSCRIPTION_PER_FILE: &str = "it names several subscriptions, or one by name only, \
     and none for this entry; saved one subscription per file, with resource ids (az security \
     setting list -o json), it would count";
/// A filtering command's output, or a single other setting.
const WHOLE_LIST: &str = "it shows part of the settings list; saved whole and unfiltered (az \
     security setting list, Get-AzSecuritySetting, without Where-Object, Select-Object or a \
     --query filter), it would count";
/// One page of a paged list.
const EVERY_PAGE: &str = "it is one page of a paged list; saved with every page (follow \
     nextLink until there is none, or use az security setting list, which does), it would count";
/// A console table whose names the console cut short.
const WIDER_TABLE: &str = "the console cut names short; saved as JSON (-o json, ConvertTo-Json \
     -Depth 10) or as a table wide enough (Format-Table -AutoSize | Out-String -Width 4096), it \
     would count";
/// A Windows PowerShell 5.1 export cut at depth 2.
const DEEPER_JSON: &str = "ConvertTo-Json stopped at its default depth and wrote the properties \
     as the string \"@{...}\"; saved with ConvertTo-Json -Depth 10, it would count";
/// An error recorded instead of data.
const COLLECT_AGAIN: &str = "it records an error instead of data; collected again by an account \
     that can read the subscription's settings (the Security Reader role), it would count";
/// A file that ends before its end.
const SAVE_WHOLE: &str = "the file ends before its end (an interrupted save or copy); saved \
     again whole, it would count";
/// A table or CSV without the columns that hold the value.
const NAME_AND_ENABLED: &str = "it lacks the Name and Enabled columns; saved with them \
     (Get-AzSecuritySetting | Format-Table Name, Enabled, Id, Export-Csv of the whole objects, \
     or as JSON), it would count";
/// A transcript, CLIXML archive or HAR log around no settings.
const RUN_THE_COMMAND: &str = "it records the session but no settings; with the settings \
     command run while recording (Get-AzSecuritySetting, az security setting list, or the \
     portal's Environment settings page for a HAR log), it would count";
/// A response without a settings body.
const NO_BODY: &str = "the response holds no settings body; saved with the response body (the \
     Content of Invoke-AzRestMethod, curl -i without -I), it would count";
/// Content that names subscriptions without their settings.
const EXPORT_SETTINGS: &str = "it names subscriptions but holds none of their Defender for \
     Cloud settings; an export of the settings (az security setting list --subscription ID), it \
     would count";
/// An empty file.
const EMPTY: &str = "the file is empty (a command whose error went elsewhere?); saved with the \
     command's output, it would count";
/// A CSV whose quoting or fields are broken.
const EXPORT_CSV_AGAIN: &str = "its rows cannot be told apart; exported again with Export-Csv \
     -NoTypeInformation, unedited, it would count";
/// Bytes that are not text.
const SAVE_AS_TEXT: &str = "its bytes are not text in an encoding the tool reads; saved as \
     UTF-8 or UTF-16 text (Out-File -Encoding utf8, a redirect in a shell), it would count";

/// How the file would count for the check of `o`, when it decides nothing for it for a
/// reason the collector can fix; `None` when it decides, or no collection would change it.
pub(super) fn hint(o: &Observation, parsed: &Parsed) -> Option<&'static str> {
    if o.outcome.is_deciding() {
        if o.subscription.is_some() {
            return None;
        }
        // The path decides only when nothing in the file names a subscription.
        return Some(if names_any(parsed) {
            ONE_SUBSCRIPTION_PER_FILE
        } else {
            NO_SUBSCRIPTION
        });
    }
    match &parsed.body {
        Body::Malformed(reason) | Body::Unrecognized(reason) => of_reason(reason),
        Body::Empty => Some(EMPTY),
        Body::Items(items) => of_items(o.outcome, items),
    }
}

/// Whether anything in the file names a subscription, or a context switch names one that
/// is not a subscription id (by name): then its path is never read for it.
fn names_any(parsed: &Parsed) -> bool {
    let Body::Items(items) = &parsed.body else {
        return false;
    };
    let named = |scope: &IdScope| !matches!(scope, IdScope::None);
    items.iter().any(|item| match item {
        Item::Settings { settings, .. } => settings.iter().any(|s| {
            s.subscription.is_some()
                || s.id
                    .as_deref()
                    .is_some_and(|id| matches!(scope_of_resource_id(id), IdScope::Subscription(_)))
        }),
        Item::Context { scope, .. } | Item::CollectionError { scope, .. } => named(scope),
        Item::Scalar { .. } => false,
    })
}

/// The hint for an outcome that decides nothing, from what the file's items show.
fn of_items(outcome: Outcome, items: &[Item]) -> Option<&'static str> {
    let settings = || {
        items.iter().filter_map(|item| match item {
            Item::Settings { extent, settings } => Some((*extent, settings)),
            _ => None,
        })
    };
    let extent = |wanted: Extent| settings().any(|(e, _)| e == wanted);
    let recovered =
        |note: &str| settings().any(|(_, list)| list.iter().any(|s| s.recovered == Some(note)));
    match outcome {
        Outcome::CollectionError if extent(Extent::Page) => Some(EVERY_PAGE),
        Outcome::CollectionError => Some(COLLECT_AGAIN),
        Outcome::Malformed if recovered(crate::formats::table::CUT_SHORT) => Some(WIDER_TABLE),
        Outcome::Malformed if recovered(crate::formats::json::TRUNCATED_NOTE) => Some(DEEPER_JSON),
        Outcome::Unrecognized if settings().next().is_some() => Some(WHOLE_LIST),
        _ => None,
    }
}

/// The hint for a file that cannot be read to a value, or holds no evidence, for `reason`.
fn of_reason(reason: &Reason) -> Option<&'static str> {
    match reason {
        Reason::TruncatedJson { .. } | Reason::TruncatedXml { .. } => Some(SAVE_WHOLE),
        Reason::InStream { reason, .. }
        | Reason::NoneInStream { reason, .. }
        | Reason::InHarEntry { reason, .. }
        | Reason::UnreadableWithIds { reason, .. } => of_reason(reason),
        Reason::EmptyContent
        | Reason::HttpEmptyBody(_)
        | Reason::ContentNotJson
        | Reason::HttpBodyNotJson(_)
        | Reason::ExampleWithoutBody
        | Reason::HarBodyUnreadable(..) => Some(NO_BODY),
        Reason::CsvWithoutColumns | Reason::TableWithoutColumns => Some(NAME_AND_ENABLED),
        Reason::CsvInvalid { .. }
        | Reason::CsvFieldCount { .. }
        | Reason::CsvQuoteAcrossLines { .. }
        | Reason::CsvWithoutHeader
        | Reason::CsvWithoutRows => Some(EXPORT_CSV_AGAIN),
        Reason::TranscriptWithoutEvidence
        | Reason::ClixmlWithoutSettings
        | Reason::HarWithoutSettingsCalls(_) => Some(RUN_THE_COMMAND),
        Reason::IdsWithoutSettings { .. } | Reason::TerraformState => Some(EXPORT_SETTINGS),
        Reason::Undecodable(_) => Some(SAVE_AS_TEXT),
        // Edited or foreign content: no collection step makes it count.
        Reason::InvalidJson(_)
        | Reason::InvalidYaml(_)
        | Reason::InvalidXml(_)
        | Reason::NotAnObject { .. }
        | Reason::HttpStatusLine(_)
        | Reason::BareJsonValue(_)
        | Reason::ValueNotAList(_)
        | Reason::NoSettingsKeys
        | Reason::EmptyList
        | Reason::ForeignList(_)
        | Reason::NotSettings
        | Reason::UnknownText
        | Reason::NotText { .. }
        | Reason::TwoValues { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every reason that wraps another takes its hint, and the hints are distinct sentences
    /// saying what would make the file count.
    #[test]
    fn wrapped_reasons_take_the_inner_hint() {
        let inner = Reason::TruncatedJson { line: 1, column: 2 };
        let wrapped = Reason::UnreadableWithIds {
            subscriptions: vec!["0a1b2c3d-0000-4a00-8000-000000000001".to_owned()],
            reason: Box::new(inner.clone()),
        };
        assert_eq!(of_reason(&wrapped), of_reason(&inner));
        assert_eq!(of_reason(&wrapped), Some(SAVE_WHOLE));
        assert_eq!(of_reason(&Reason::UnknownText), None);
        for hint in [
            NO_SUBSCRIPTION,
            ONE_SUBSCRIPTION_PER_FILE,
            WHOLE_LIST,
            EVERY_PAGE,
            WIDER_TABLE,
            DEEPER_JSON,
            COLLECT_AGAIN,
            SAVE_WHOLE,
            NAME_AND_ENABLED,
            RUN_THE_COMMAND,
            NO_BODY,
            EXPORT_SETTINGS,
            EMPTY,
            EXPORT_CSV_AGAIN,
            SAVE_AS_TEXT,
        ] {
            assert!(
                hint.contains("; ") && hint.contains("it would count"),
                "{hint}"
            );
        }
    }
}
