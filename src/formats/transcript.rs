//! PowerShell `Start-Transcript` files: a banner, each prompt and command, and the console
//! output, which here is a `Format-Table` or `Format-List` of settings, or an error record.

use super::lines::Line;
use super::{Body, Extent, Format, Item, Parsed, error_text, list, table};

/// Whether the text is a transcript (its banner says so).
#[must_use]
pub fn is_transcript(lines: &[Line<'_>]) -> bool {
    lines
        .iter()
        .take(40)
        .any(|l| l.text.contains("PowerShell transcript start"))
}

/// Reads every settings table, settings list and error record in a transcript.
#[must_use]
pub fn parse(lines: &[Line<'_>]) -> Parsed {
    let mut settings: Vec<_> = table::settings(lines)
        .into_iter()
        .flat_map(|t| t.settings)
        .collect();
    settings.extend(list::settings(lines));
    let mut items = Vec::new();
    if !settings.is_empty() {
        let extent = if settings.len() > 1 {
            Extent::Complete
        } else {
            Extent::Single
        };
        items.push(Item::Settings { extent, settings });
    }
    items.extend(error_text::find(lines));
    if items.is_empty() {
        return Parsed::new(
            Format::PowerShellTranscript,
            Body::Unrecognized(
                "a PowerShell transcript without a settings table, list or error".to_owned(),
            ),
        );
    }
    Parsed::new(Format::PowerShellTranscript, Body::Items(items))
}
