//! A browser's saved network log of the Azure portal (HAR, "Save all as HAR with
//! content"): `{"log":{"entries":[{"request":{"url":...},"response":{"status":...,
//! "content":{"text":...}}}, ...]}}`. The entries whose request is the settings call
//! (`.../providers/Microsoft.Security/settings`, the list or one setting) are read: a 2xx
//! response's body text is the evidence, located
//! `/log/entries/N/response/content/text#<pointer inside>`; a non-2xx response is a failed
//! collection for the subscription its URL names. Every other entry is ignored.
//!
//! Entries are folded one at a time and only the settings calls are kept, so a log of
//! thousands of portal requests costs little more than its settings responses.

use serde::Deserialize;
use serde::de::SeqAccess;

use super::super::{Body, Item, Location, Reason, prefix_pointers};
use super::is_json_start;
use super::values::{Fold, Listed, Scalar, Shaped};
use crate::escape::{EXCERPT_CHARS, excerpt};
use crate::subscription;

/// A HAR file's `log`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Log {
    entries: Listed<Entries>,
}

impl Log {
    /// Whether the log has an `entries` array: a HAR file, whatever it holds.
    pub(super) fn has_entries(&self) -> bool {
        matches!(self.entries, Listed::List(_))
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Entry {
    request: Shaped<Request>,
    response: Shaped<Response>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Request {
    url: Scalar,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Response {
    status: Scalar,
    #[serde(rename = "statusText")]
    status_text: Scalar,
    content: Shaped<Content>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Content {
    text: Scalar,
    encoding: Scalar,
}

/// A settings call of the log, as kept.
#[derive(Debug)]
struct Call {
    index: usize,
    url: String,
    status: Option<u16>,
    status_text: String,
    text: Option<String>,
    base64: bool,
}

/// The settings calls of a log's entries; the others are only counted.
#[derive(Debug, Default)]
pub(super) struct Entries {
    len: usize,
    calls: Vec<Call>,
}

impl<'de> Fold<'de> for Entries {
    fn next<A: SeqAccess<'de>>(&mut self, index: usize, seq: &mut A) -> Result<bool, A::Error> {
        let Some(entry) = seq.next_element::<Shaped<Entry>>()? else {
            return Ok(false);
        };
        self.len += 1;
        let Shaped::Object(entry) = entry else {
            return Ok(true);
        };
        let url = match entry.request {
            Shaped::Object(Request {
                url: Scalar::Str(url),
            }) if is_settings_call(&url) => url,
            _ => return Ok(true),
        };
        let (status, status_text, text, base64) = match entry.response {
            Shaped::Object(response) => {
                let status = match &response.status {
                    Scalar::Number(n) => n.parse::<u16>().ok(),
                    Scalar::Str(s) => s.trim().parse::<u16>().ok(),
                    _ => None,
                };
                let status_text = response.status_text.as_str().unwrap_or_default().to_owned();
                match response.content {
                    Shaped::Object(content) => {
                        let base64 = content
                            .encoding
                            .as_str()
                            .is_some_and(|e| e.eq_ignore_ascii_case("base64"));
                        let text = match content.text {
                            Scalar::Str(text) => Some(text),
                            _ => None,
                        };
                        (status, status_text, text, base64)
                    }
                    _ => (status, status_text, None, false),
                }
            }
            _ => (None, String::new(), None, false),
        };
        self.calls.push(Call {
            index,
            url,
            status,
            status_text,
            text,
            base64,
        });
        Ok(true)
    }
}

/// Whether a request URL is the settings call: the list (`.../settings`) or one setting
/// (`.../settings/<name>`), before any query string; any case.
fn is_settings_call(url: &str) -> bool {
    const KEY: &str = "/providers/Microsoft.Security/settings";
    let path = url.split(['?', '#']).next().unwrap_or_default();
    let Some(at) = subscription::find_ascii_case_insensitive(path, KEY) else {
        return false;
    };
    let rest = path.get(at + KEY.len()..).unwrap_or_default();
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    rest.is_empty()
        || rest
            .strip_prefix('/')
            .is_some_and(|name| !name.contains('/'))
}

/// The summary of the ARM error a failed call's body holds, if it holds one.
fn arm_error_summary(text: &str) -> Option<String> {
    if !is_json_start(text.trim_start()) {
        return None;
    }
    match super::parse_document(text).body {
        Body::Items(items) => items.into_iter().find_map(|item| match item {
            Item::CollectionError { summary, .. } => Some(summary),
            _ => None,
        }),
        _ => None,
    }
}

/// The items of a HAR log: each settings call's body, or its failure.
pub(super) fn classify(log: Log, prefix: &str) -> Body {
    let Listed::List(entries) = log.entries else {
        return Body::Unrecognized(Reason::HarWithoutSettingsCalls(0));
    };
    if entries.calls.is_empty() {
        return Body::Unrecognized(Reason::HarWithoutSettingsCalls(entries.len));
    }
    let mut items = Vec::new();
    let mut unread = None;
    for call in entries.calls {
        let at = format!("{prefix}/log/entries/{}/response", call.index);
        let ok = call.status.is_some_and(|s| (200..300).contains(&s));
        if !ok {
            let status = call
                .status
                .map_or_else(|| "no status".to_owned(), |s| format!("HTTP {s}"));
            let mut summary = format!(
                "the portal's request {} failed with {status} {}",
                excerpt(&call.url, EXCERPT_CHARS),
                excerpt(&call.status_text, EXCERPT_CHARS)
            )
            .trim_end()
            .to_owned();
            // An ARM error body says why; the scope is the subscription the URL names.
            if let Some(why) = call.text.as_deref().and_then(arm_error_summary) {
                summary = format!("{summary}: {why}");
            }
            items.push(Item::CollectionError {
                summary,
                scope: subscription::scope_of_resource_id(&call.url),
                location: Location::Pointer(format!("{at}/status")),
            });
            continue;
        }
        let text = call.text.as_deref().unwrap_or_default();
        if call.base64 || !is_json_start(text.trim_start()) {
            unread.get_or_insert(if call.base64 {
                Reason::HarBodyUnreadable(call.index, "base64-encoded")
            } else if text.trim().is_empty() {
                Reason::HarBodyUnreadable(call.index, "not saved (save the log with content)")
            } else {
                Reason::HarBodyUnreadable(call.index, "not JSON")
            });
            continue;
        }
        let body = prefix_pointers(
            super::parse_document(text).body,
            &format!("{at}/content/text#"),
        );
        match body {
            Body::Items(found) => items.extend(found),
            Body::Malformed(why) | Body::Unrecognized(why) => {
                unread.get_or_insert(Reason::InHarEntry {
                    index: call.index,
                    reason: Box::new(why),
                });
            }
            Body::Empty => {}
        }
    }
    match (items.is_empty(), unread) {
        (true, Some(Reason::InHarEntry { index, reason })) => match *reason {
            malformed @ (Reason::TruncatedJson { .. } | Reason::InvalidJson(_)) => {
                Body::Malformed(Reason::InHarEntry {
                    index,
                    reason: Box::new(malformed),
                })
            }
            other => Body::Unrecognized(Reason::InHarEntry {
                index,
                reason: Box::new(other),
            }),
        },
        (true, Some(why)) => Body::Malformed(why),
        _ => Body::Items(items),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_settings_call_is_the_list_or_one_setting() {
        let base = "https://management.azure.com/subscriptions/6b1f0c2d-3e4a-4b5c-8d6e-7f8091a2b3c4/providers/Microsoft.Security/settings";
        assert!(is_settings_call(&format!("{base}?api-version=2022-05-01")));
        assert!(is_settings_call(&format!(
            "{base}/WDATP?api-version=2022-05-01"
        )));
        assert!(!is_settings_call(&format!("{base}/WDATP/extra")));
        assert!(!is_settings_call(
            "https://management.azure.com/subscriptions/x/providers/Microsoft.Security/pricings?api-version=2024-01-01"
        ));
        assert!(!is_settings_call(
            "https://management.azure.com/subscriptions/x/providers/Microsoft.Security/settingsX"
        ));
    }
}
