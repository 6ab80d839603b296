//! A browser's saved network log of the Azure portal (HAR, "Save all as HAR with
//! content"): `{"log":{"entries":[{"request":{"url":...},"response":{"status":...,
//! "content":{"text":...}}}, ...]}}`. The entries whose request is the settings call
//! (`.../providers/Microsoft.Security/settings`, the list or one setting) are read: a 2xx
//! response's body text is the evidence, located
//! `/log/entries/N/response/content/text#<pointer inside>`; a non-2xx response is a failed
//! collection for the subscription its URL names. Every other entry is ignored.
//!
//! The portal often sends the settings call inside an ARM batch
//! (`POST https://management.azure.com/batch?api-version=...`, its body
//! `{"requests":[{"httpMethod":"GET","url":".../settings?api-version=...","name":...}]}`),
//! whose response holds one response per request (`{"responses":[{"name":...,
//! "httpStatusCode":200,"content":{...}}]}`). Each settings request of a batch is matched to
//! its response by `name` when both carry the same one, else by position, and read like a
//! call of its own, located `.../content/text#/responses/K/content/<pointer>`
//! ([`batch`]).
//!
//! Settings read from a call are attributed to the subscription its URL names when their
//! own id does not name one. A body saved base64-encoded (`"encoding": "base64"`) is
//! decoded first; one that does not decode says so.
//!
//! Entries are folded one at a time and only the settings calls are kept, so a log of
//! thousands of portal requests costs little more than its settings responses.

mod batch;

use base64::Engine as _;
use serde::de::SeqAccess;

use super::super::{Body, Item, Location, Reason, map_settings, prefix_pointers};
use super::values::{Fold, Listed, Scalar, Shaped, json_object};
use super::{Top, is_json_start};
use crate::escape::{EXCERPT_CHARS, excerpt};
use crate::subscription::{self, IdScope};
use batch::{
    BatchReply, BatchResponses, Inner, answer_of, batch, is_batch_call, settings_requests,
};

/// What the `detail` of a setting read from a base64-encoded HAR body says.
pub const BASE64_NOTE: &str = "read from a HAR response body saved base64-encoded";

json_object! {
    /// A HAR file's `log`.
    pub(super) struct Log {
        entries: Listed<Entries> = "entries",
    }
}

impl Log {
    /// Whether the log has an `entries` array: a HAR file, whatever it holds.
    pub(super) fn has_entries(&self) -> bool {
        matches!(self.entries, Listed::List(_))
    }
}

json_object! {
    /// One entry of the log: a request and its response.
    struct Entry {
        request: Shaped<Request> = "request",
        response: Shaped<Response> = "response",
    }
}

json_object! {
    /// An entry's request.
    struct Request {
        url: Scalar = "url",
        post_data: Shaped<PostData> = "postData",
    }
}

json_object! {
    /// A request's body.
    struct PostData {
        text: Scalar = "text",
    }
}

json_object! {
    /// An entry's response.
    struct Response {
        status: Scalar = "status",
        status_text: Scalar = "statusText",
        content: Shaped<Content> = "content",
    }
}

json_object! {
    /// A response's body.
    struct Content {
        text: Scalar = "text",
        encoding: Scalar = "encoding",
    }
}

/// What a HAR entry asked for: the settings call itself, or a batch holding settings calls
/// (and the names of all its requests).
#[derive(Debug)]
enum Asked {
    Settings,
    Batch(Vec<Inner>, Vec<String>),
}

/// A settings call of the log, as kept.
#[derive(Debug)]
struct Call {
    index: usize,
    url: String,
    asked: Asked,
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
        let Shaped::Object(Request {
            url: Scalar::Str(url),
            post_data,
        }) = entry.request
        else {
            return Ok(true);
        };
        let asked = if is_settings_call(&url) {
            Asked::Settings
        } else if is_batch_call(&url) {
            match settings_requests(post_data) {
                Some((inner, names)) => Asked::Batch(inner, names),
                None => return Ok(true),
            }
        } else {
            return Ok(true);
        };
        let (status, status_text, text, base64) = match entry.response {
            Shaped::Object(response) => {
                let status = status_code(&response.status);
                let status_text = response.status_text.as_str().unwrap_or_default().to_owned();
                match response.content {
                    Shaped::Object(content) => {
                        let base64 = content
                            .encoding
                            .as_str()
                            .is_some_and(|e| e.trim().eq_ignore_ascii_case("base64"));
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
            asked,
            status,
            status_text,
            text,
            base64,
        });
        Ok(true)
    }
}

/// A status code written as a number or a string.
fn status_code(status: &Scalar) -> Option<u16> {
    match status {
        Scalar::Number(n) => n.parse::<u16>().ok(),
        Scalar::Str(s) => s.trim().parse::<u16>().ok(),
        _ => None,
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
fn arm_error_summary(body: Body) -> Option<String> {
    match body {
        Body::Items(items) => items.into_iter().find_map(|item| match item {
            Item::CollectionError { summary, .. } => Some(summary),
            _ => None,
        }),
        _ => None,
    }
}

/// A failed call's record: what failed, with the ARM error its body holds, scoped to the
/// subscription the URL names.
fn failure(
    what: &str,
    url: &str,
    status: Option<u16>,
    status_text: &str,
    body: Option<Body>,
    location: String,
) -> Item {
    let status = status.map_or_else(|| "no status".to_owned(), |s| format!("HTTP {s}"));
    let mut summary = format!(
        "the portal's {what} {} failed with {status} {}",
        excerpt(url, EXCERPT_CHARS),
        excerpt(status_text, EXCERPT_CHARS)
    )
    .trim_end()
    .to_owned();
    if let Some(why) = body.and_then(arm_error_summary) {
        summary = format!("{summary}: {why}");
    }
    Item::CollectionError {
        summary,
        scope: subscription::scope_of_resource_id(url),
        location: Location::Pointer(location),
    }
}

/// Gives every setting without a subscription of its own the one the call's URL names.
fn owned_by_url(body: Body, url: &str) -> Body {
    let IdScope::Subscription(sub) = subscription::scope_of_resource_id(url) else {
        return body;
    };
    map_settings(body, |mut s| {
        s.subscription.get_or_insert_with(|| sub.to_string());
        s
    })
}

/// Notes on every setting that it was read from a base64-encoded body.
fn noted(body: Body, base64: bool) -> Body {
    if !base64 {
        return body;
    }
    map_settings(body, |mut s| {
        s.recovered.get_or_insert(BASE64_NOTE);
        s
    })
}

/// A call's response text, decoded from base64 when it was saved so; why not, when it
/// cannot be read as JSON.
fn body_text(call: &Call) -> Result<String, String> {
    let raw = call.text.as_deref().unwrap_or_default();
    if raw.trim().is_empty() {
        return Err("not saved (save the log with content)".to_owned());
    }
    if !call.base64 {
        return if is_json_start(raw.trim_start()) {
            Ok(raw.to_owned())
        } else {
            Err("not JSON".to_owned())
        };
    }
    let compact: String = raw.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|e| {
            format!(
                "base64-encoded but not valid base64 ({})",
                excerpt(&e.to_string(), EXCERPT_CHARS)
            )
        })?;
    let text = crate::decode::decode(&bytes)
        .map_err(|_| "base64-encoded bytes that are not text".to_owned())?
        .text
        .trim_start_matches('\u{feff}')
        .to_owned();
    if is_json_start(text.trim_start()) {
        Ok(text)
    } else if text.trim().is_empty() {
        Err("empty once decoded from base64".to_owned())
    } else {
        Err("not JSON once decoded from base64".to_owned())
    }
}

/// A settings call (or a batch's settings request) whose response cannot be read: why, the
/// URL it asked for and where its response is.
struct Unread {
    reason: Reason,
    url: String,
    location: String,
}

/// The items of a HAR log: each settings call's body, or its failure. A call whose response
/// cannot be read makes the file malformed (or unrecognized) when nothing else is read;
/// beside other evidence it is a collection error for the subscription its URL names, so
/// that no subscription's call is dropped unseen.
pub(super) fn classify(log: Log, prefix: &str) -> Body {
    let Listed::List(entries) = log.entries else {
        return Body::Unrecognized(Reason::HarWithoutSettingsCalls(0));
    };
    if entries.calls.is_empty() {
        return Body::Unrecognized(Reason::HarWithoutSettingsCalls(entries.len));
    }
    let mut items = Vec::new();
    let mut unread = Vec::new();
    for call in entries.calls {
        let at = format!("{prefix}/log/entries/{}/response", call.index);
        let ok = call.status.is_some_and(|s| (200..300).contains(&s));
        let text = body_text(&call);
        if !ok {
            let body = || text.as_deref().ok().map(|t| super::parse_document(t).body);
            match &call.asked {
                Asked::Settings => items.push(failure(
                    "request",
                    &call.url,
                    call.status,
                    &call.status_text,
                    body(),
                    format!("{at}/status"),
                )),
                // A failed batch failed for every settings request it carried.
                Asked::Batch(inner, _) => {
                    for request in inner {
                        items.push(failure(
                            "batch carrying the request",
                            &request.url,
                            call.status,
                            &call.status_text,
                            body(),
                            format!("{at}/status"),
                        ));
                    }
                }
            }
            continue;
        }
        let location = format!("{at}/content/text");
        let text = match text {
            Ok(text) => text,
            Err(why) => {
                let urls = match &call.asked {
                    Asked::Settings => vec![call.url.clone()],
                    Asked::Batch(inner, _) => inner.iter().map(|r| r.url.clone()).collect(),
                };
                for url in urls {
                    unread.push(Unread {
                        reason: Reason::HarBodyUnreadable(call.index, why.clone()),
                        url,
                        location: location.clone(),
                    });
                }
                continue;
            }
        };
        let inner_prefix = format!("{location}#");
        let bodies = match call.asked {
            Asked::Settings => vec![(
                Ok(owned_by_url(
                    prefix_pointers(super::parse_document(&text).body, &inner_prefix),
                    &call.url,
                )),
                call.url,
            )],
            Asked::Batch(inner, names) => batch(&text, inner, &names, &inner_prefix),
        };
        for (body, url) in bodies {
            let reason = match body.map(|body| noted(body, call.base64)) {
                Ok(Body::Items(found)) => {
                    items.extend(found);
                    continue;
                }
                Ok(Body::Empty) => continue,
                Ok(Body::Malformed(why) | Body::Unrecognized(why)) => Reason::InHarEntry {
                    index: call.index,
                    reason: Box::new(why),
                },
                Err(why) => Reason::HarBodyUnreadable(call.index, why),
            };
            unread.push(Unread {
                reason,
                url,
                location: location.clone(),
            });
        }
    }
    if items.is_empty() && !unread.is_empty() {
        return nothing_read(unread.swap_remove(0).reason);
    }
    items.extend(unread.into_iter().map(|u| Item::CollectionError {
        summary: u.reason.to_string(),
        scope: subscription::scope_of_resource_id(&u.url),
        location: Location::Pointer(u.location),
    }));
    Body::Items(items)
}

/// A HAR log none of whose settings calls could be read: malformed (or unrecognized, for a
/// body in no settings shape), for the first reason.
fn nothing_read(reason: Reason) -> Body {
    match reason {
        Reason::InHarEntry { index, reason } => match *reason {
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
        why => Body::Malformed(why),
    }
}

/// The body of a successful settings call of a HAR log, for queries: its JSON text
/// (decoded from base64 where it was saved so), the pointer prefix of that text
/// (`/log/entries/N/response/content/text#`), and for a batch the positions `K` of the
/// responses that answer its settings requests (each at `/responses/K/content`).
#[derive(Debug)]
pub(crate) struct SettingsBody {
    /// The prefix of pointers into `text`.
    pub(crate) prefix: String,
    /// The body's JSON text.
    pub(crate) text: String,
    /// For a batch, the responses that answer its settings requests; `None` for a call of
    /// its own.
    pub(crate) answers: Option<Vec<usize>>,
}

/// The bodies of the successful settings calls of a HAR log (one document), as
/// [`classify`] reads them, for the queries to run on; none when the text is not one.
pub(crate) fn settings_bodies(text: &str) -> Vec<SettingsBody> {
    let Ok(Top::Object(mut object)) = serde_json::from_str::<Top>(text) else {
        return Vec::new();
    };
    let Shaped::Object(Log {
        entries: Listed::List(entries),
    }) = std::mem::take(&mut object.log)
    else {
        return Vec::new();
    };
    let mut bodies = Vec::new();
    for call in entries.calls {
        if !call.status.is_some_and(|s| (200..300).contains(&s)) {
            continue;
        }
        let Ok(text) = body_text(&call) else {
            continue;
        };
        let prefix = format!("/log/entries/{}/response/content/text#", call.index);
        let answers = match &call.asked {
            Asked::Settings => None,
            Asked::Batch(inner, names) => {
                let Ok(BatchReply {
                    responses: Listed::List(BatchResponses { answers }),
                }) = serde_json::from_str::<BatchReply>(&text)
                else {
                    continue;
                };
                let mut given: Vec<usize> = inner
                    .iter()
                    .filter_map(|request| answer_of(request, names, &answers))
                    .filter_map(|at| answers.get(at))
                    .filter(|answer| answer.status.is_some_and(|s| (200..300).contains(&s)))
                    .map(|answer| answer.index)
                    .collect();
                given.sort_unstable();
                given.dedup();
                Some(given)
            }
        };
        bodies.push(SettingsBody {
            prefix,
            text,
            answers,
        });
    }
    bodies
}

#[cfg(test)]
mod tests;
