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
//! call of its own, located `.../content/text#/responses/K/content/<pointer>`.
//!
//! Settings read from a call are attributed to the subscription its URL names when their
//! own id does not name one. A body saved base64-encoded (`"encoding": "base64"`) is
//! decoded first; one that does not decode says so.
//!
//! Entries are folded one at a time and only the settings calls are kept, so a log of
//! thousands of portal requests costs little more than its settings responses.

use base64::Engine as _;
use serde::de::SeqAccess;

use super::super::{Body, Item, Location, Reason, map_settings, prefix_pointers};
use super::values::{Describe, Fold, Kind, Listed, Scalar, Shaped, json_object};
use super::{Top, is_json_start};
use crate::escape::{EXCERPT_CHARS, excerpt};
use crate::subscription::{self, IdScope};

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

json_object! {
    /// The body of an ARM batch request: the requests it sends.
    struct BatchBody {
        requests: Listed<BatchRequests> = "requests",
    }
}

json_object! {
    /// One request of a batch.
    struct BatchRequest {
        url: Scalar = "url",
        name: Scalar = "name",
    }
}

/// A settings request inside a batch: its position among the batch's requests, its URL
/// and its `name`, if any.
#[derive(Debug)]
struct Inner {
    index: usize,
    url: String,
    name: Option<String>,
}

/// The settings requests of a batch; of the others, only their names are kept.
#[derive(Debug, Default)]
struct BatchRequests {
    settings: Vec<Inner>,
    /// The `name` of every request of the batch, settings or not.
    names: Vec<String>,
}

impl<'de> Fold<'de> for BatchRequests {
    fn next<A: SeqAccess<'de>>(&mut self, index: usize, seq: &mut A) -> Result<bool, A::Error> {
        let Some(request) = seq.next_element::<Shaped<BatchRequest>>()? else {
            return Ok(false);
        };
        let Shaped::Object(BatchRequest { url, name }) = request else {
            return Ok(true);
        };
        let name = name.as_str().map(str::to_owned);
        if let Some(name) = &name {
            self.names.push(name.clone());
        }
        if let Scalar::Str(url) = url
            && is_settings_call(&url)
        {
            self.settings.push(Inner { index, url, name });
        }
        Ok(true)
    }
}

json_object! {
    /// The body of an ARM batch response: one response per request.
    struct BatchReply {
        responses: Listed<BatchResponses> = "responses",
    }
}

json_object! {
    /// One response of a batch.
    struct BatchResponse {
        name: Scalar = "name",
        status: Scalar = "httpStatusCode",
        content: Option<Top> = "content",
    }
}

impl Describe for Option<Top> {
    fn describe(&self) -> String {
        match self {
            None => Kind::Null.phrase().to_owned(),
            Some(Top::Object(_)) => Kind::Object.phrase().to_owned(),
            Some(Top::Array(_)) => Kind::Array.phrase().to_owned(),
            Some(Top::Scalar(Scalar::Bool(b))) => b.to_string(),
            Some(Top::Scalar(scalar)) => scalar.kind_phrase().to_owned(),
        }
    }
}

/// One response of a batch, as kept.
#[derive(Debug)]
struct Answer {
    index: usize,
    name: Option<String>,
    status: Option<u16>,
    content: Option<Top>,
}

/// The responses of a batch.
#[derive(Debug, Default)]
struct BatchResponses {
    answers: Vec<Answer>,
}

impl<'de> Fold<'de> for BatchResponses {
    fn next<A: SeqAccess<'de>>(&mut self, index: usize, seq: &mut A) -> Result<bool, A::Error> {
        let Some(response) = seq.next_element::<Shaped<BatchResponse>>()? else {
            return Ok(false);
        };
        if let Shaped::Object(response) = response {
            self.answers.push(Answer {
                index,
                name: response.name.as_str().map(str::to_owned),
                status: status_code(&response.status),
                content: response.content,
            });
        }
        Ok(true)
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

/// The settings requests a batch's request body sends, and the names of all its requests;
/// `None` when it sends none or its body cannot be read (then the entry is not a settings
/// call).
fn settings_requests(post_data: Shaped<PostData>) -> Option<(Vec<Inner>, Vec<String>)> {
    let Shaped::Object(PostData {
        text: Scalar::Str(text),
    }) = post_data
    else {
        return None;
    };
    let body: BatchBody = serde_json::from_str(&text).ok()?;
    match body.requests {
        Listed::List(requests) if !requests.settings.is_empty() => {
            Some((requests.settings, requests.names))
        }
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

/// Whether a request URL is an ARM batch (`https://management.azure.com/batch?...`): its
/// path is `/batch`, any case.
fn is_batch_call(url: &str) -> bool {
    let path = url.split(['?', '#']).next().unwrap_or_default();
    let path = path.split_once("://").map_or(path, |(_, rest)| {
        rest.find('/').and_then(|at| rest.get(at..)).unwrap_or("")
    });
    path.trim_end_matches('/').eq_ignore_ascii_case("/batch")
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

/// The response of a batch that answers `request`: by `name` when exactly one request and
/// exactly one response carry its name, else by position.
fn answer_of(request: &Inner, names: &[String], answers: &[Answer]) -> Option<usize> {
    let by_name = request.name.as_deref().and_then(|name| {
        let requests = names.iter().filter(|n| *n == name).count();
        let mut carrying = answers
            .iter()
            .enumerate()
            .filter(|(_, a)| a.name.as_deref() == Some(name));
        match (requests, carrying.next(), carrying.next()) {
            (1, Some((at, _)), None) => Some(at),
            _ => None,
        }
    });
    by_name.or_else(|| answers.iter().position(|a| a.index == request.index))
}

/// The bodies a batch response holds for its settings requests, each with the request's
/// URL: each request's response ([`answer_of`]) read as a call of its own, located
/// `<prefix>/responses/K/content<pointer>`; a non-2xx one a failure for the request's
/// subscription; `Err` for a request without a readable response of its own (none, or one
/// another request was already given), or when the batch response cannot be read at all.
fn batch(
    text: &str,
    inner: Vec<Inner>,
    names: &[String],
    prefix: &str,
) -> Vec<(Result<Body, String>, String)> {
    let reply: Result<BatchReply, String> =
        serde_json::from_str(text).map_err(|e| match e.classify() {
            serde_json::error::Category::Eof => format!(
                "a truncated batch response (it ends at line {} column {})",
                e.line(),
                e.column()
            ),
            _ => format!(
                "not a batch response: {}",
                excerpt(&e.to_string(), EXCERPT_CHARS)
            ),
        });
    let mut answers = match reply.map(|r| r.responses) {
        Ok(Listed::List(BatchResponses { answers })) => answers,
        Ok(_) => {
            let why = "a batch response without a responses array";
            return inner
                .into_iter()
                .map(|r| (Err(why.to_owned()), r.url))
                .collect();
        }
        Err(why) => {
            return inner
                .into_iter()
                .map(|r| (Err(why.clone()), r.url))
                .collect();
        }
    };
    let mut given: Vec<Option<usize>> = vec![None; answers.len()];
    let mut bodies = Vec::new();
    for request in inner {
        let found = answer_of(&request, names, &answers);
        let Some((at, answer)) = found.and_then(|at| Some((at, answers.get_mut(at)?))) else {
            bodies.push((
                Err(format!(
                    "a batch response without a response for its settings request {} ({})",
                    request.index,
                    excerpt(&request.url, EXCERPT_CHARS)
                )),
                request.url,
            ));
            continue;
        };
        if let Some(Some(earlier)) = given.get(at) {
            bodies.push((
                Err(format!(
                    "a batch response whose response {} answers both its settings requests \
                     {earlier} and {} ({}): which request it answers is ambiguous",
                    answer.index,
                    request.index,
                    excerpt(&request.url, EXCERPT_CHARS)
                )),
                request.url,
            ));
            continue;
        }
        if let Some(slot) = given.get_mut(at) {
            *slot = Some(request.index);
        }
        let at = format!("{prefix}/responses/{}", answer.index);
        let content = answer.content.take().map(|top| {
            let (_, body) = super::classify(top, &format!("{at}/content"));
            body
        });
        let body = if answer.status.is_some_and(|s| (200..300).contains(&s)) {
            content
                .map(|body| owned_by_url(body, &request.url))
                .ok_or_else(|| {
                    format!(
                        "a batch response whose response {} (HTTP {}) has no content",
                        answer.index,
                        answer.status.unwrap_or_default()
                    )
                })
        } else {
            Ok(Body::Items(vec![failure(
                "batch request",
                &request.url,
                answer.status,
                "",
                content,
                format!("{at}/httpStatusCode"),
            )]))
        };
        bodies.push((body, request.url));
    }
    bodies
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

    const A: &str = "6b1f0c2d-3e4a-4b5c-8d6e-7f8091a2b3c4";
    const B: &str = "2c7d9e1f-4a5b-4c6d-9e8f-0a1b2c3d4e5f";

    fn settings_url(sub: &str) -> String {
        format!(
            "https://management.azure.com/subscriptions/{sub}/providers/Microsoft.Security/settings?api-version=2022-05-01"
        )
    }

    fn list(sub: &str, wdatp: bool) -> serde_json::Value {
        let setting = |name: &str, enabled: bool| {
            serde_json::json!({
                "id": format!("/subscriptions/{sub}/providers/Microsoft.Security/settings/{name}"),
                "name": name,
                "type": "Microsoft.Security/settings",
                "kind": "DataExportSettings",
                "properties": {"enabled": enabled}
            })
        };
        serde_json::json!({"value": [setting("MCAS", true), setting("WDATP", wdatp)]})
    }

    /// A HAR log of one entry: a POST to the batch endpoint with `requests`, answered with
    /// `responses`.
    fn batch_har(requests: &serde_json::Value, responses: &serde_json::Value) -> String {
        serde_json::json!({"log": {"entries": [{
            "request": {
                "method": "POST",
                "url": "https://management.azure.com/batch?api-version=2020-06-01",
                "postData": {"mimeType": "application/json", "text": requests.to_string()}
            },
            "response": {
                "status": 200,
                "statusText": "",
                "content": {"mimeType": "application/json", "text": responses.to_string()}
            }
        }]}})
        .to_string()
    }

    fn items(text: &str) -> Vec<Item> {
        match super::super::parse_document(text).body {
            Body::Items(items) => items,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn batches_and_their_settings_requests_are_recognised() {
        assert!(is_batch_call(
            "https://management.azure.com/batch?api-version=2020-06-01"
        ));
        assert!(is_batch_call("https://management.azure.com/Batch/"));
        assert!(!is_batch_call(
            "https://management.azure.com/subscriptions/x/batch2"
        ));
        assert!(!is_batch_call("https://management.azure.com/batch/x"));
        assert!(!is_batch_call("batch"));
    }

    #[test]
    fn a_batch_response_is_read_per_request_by_position() {
        let requests = serde_json::json!({"requests": [
            {"httpMethod": "GET", "url": settings_url(A)},
            {"httpMethod": "GET", "url": "https://management.azure.com/subscriptions/x/providers/Microsoft.Security/pricings?api-version=2024-01-01"},
            {"httpMethod": "GET", "url": settings_url(B)}
        ]});
        let responses = serde_json::json!({"responses": [
            {"httpStatusCode": 200, "content": list(A, true)},
            {"httpStatusCode": 200, "content": {"value": []}},
            {"httpStatusCode": 200, "content": list(B, false)}
        ]});
        let items = items(&batch_har(&requests, &responses));
        let [
            Item::Settings {
                extent,
                settings: a,
            },
            Item::Settings { settings: b, .. },
        ] = items.as_slice()
        else {
            panic!("{items:?}")
        };
        assert_eq!(*extent, crate::formats::Extent::Complete);
        assert_eq!(
            a[1].location,
            Location::Pointer(
                "/log/entries/0/response/content/text#/responses/0/content/value/1/properties/enabled"
                    .into()
            )
        );
        assert_eq!(a[1].subscription.as_deref(), Some(A));
        assert_eq!(b[1].enabled, crate::formats::Flag::Bool(false));
        assert_eq!(
            b[1].location,
            Location::Pointer(
                "/log/entries/0/response/content/text#/responses/2/content/value/1/properties/enabled"
                    .into()
            )
        );
        assert_eq!(b[1].subscription.as_deref(), Some(B));
    }

    #[test]
    fn a_batch_response_is_matched_by_name_and_failures_are_scoped_to_the_request() {
        let requests = serde_json::json!({"requests": [
            {"httpMethod": "GET", "name": "n-a", "url": settings_url(A)},
            {"httpMethod": "GET", "name": "n-b", "url": settings_url(B)}
        ]});
        let responses = serde_json::json!({"responses": [
            {"name": "n-b", "httpStatusCode": 403, "content": {"error": {
                "code": "AuthorizationFailed", "message": "The client 'x' does not have authorization"}}},
            {"name": "n-a", "httpStatusCode": 200, "content": list(A, true)}
        ]});
        let items = items(&batch_har(&requests, &responses));
        let [
            Item::Settings { settings, .. },
            Item::CollectionError {
                summary,
                scope,
                location,
            },
        ] = items.as_slice()
        else {
            panic!("{items:?}")
        };
        assert!(
            settings[1]
                .location
                .to_string()
                .contains("#/responses/1/content/")
        );
        assert!(summary.contains("AuthorizationFailed"), "{summary}");
        assert_eq!(
            *scope,
            IdScope::Subscription(crate::subscription::SubscriptionId::parse(B).unwrap())
        );
        assert_eq!(
            *location,
            Location::Pointer(
                "/log/entries/0/response/content/text#/responses/0/httpStatusCode".into()
            )
        );
    }

    #[test]
    fn requests_sharing_a_name_are_matched_by_position() {
        let requests = serde_json::json!({"requests": [
            {"httpMethod": "GET", "name": "same", "url": settings_url(A)},
            {"httpMethod": "GET", "name": "same", "url": settings_url(B)}
        ]});
        let responses = serde_json::json!({"responses": [
            {"name": "same", "httpStatusCode": 200, "content": list(A, true)},
            {"name": "same", "httpStatusCode": 200, "content": list(B, false)}
        ]});
        let found = items(&batch_har(&requests, &responses));
        let [
            Item::Settings { settings: a, .. },
            Item::Settings { settings: b, .. },
        ] = found.as_slice()
        else {
            panic!("{found:?}")
        };
        assert_eq!(a[1].subscription.as_deref(), Some(A));
        assert_eq!(b[1].subscription.as_deref(), Some(B));
        assert_eq!(b[1].enabled, crate::formats::Flag::Bool(false));
        assert!(
            b[1].location.to_string().contains("#/responses/1/content/"),
            "{}",
            b[1].location
        );
        // A name another request of the batch (not a settings one) shares is no match
        // either.
        let requests = serde_json::json!({"requests": [
            {"name": "x", "url": "https://management.azure.com/subscriptions/x/providers/Microsoft.Security/pricings"},
            {"name": "x", "url": settings_url(B)}
        ]});
        let responses = serde_json::json!({"responses": [
            {"name": "x", "httpStatusCode": 200, "content": list(A, true)},
            {"name": "x", "httpStatusCode": 200, "content": list(B, false)}
        ]});
        let found = items(&batch_har(&requests, &responses));
        let [Item::Settings { settings, .. }] = found.as_slice() else {
            panic!("{found:?}")
        };
        assert_eq!(settings[1].enabled, crate::formats::Flag::Bool(false));
    }

    #[test]
    fn a_response_answering_two_requests_is_ambiguous_and_reported_for_the_second() {
        let requests = serde_json::json!({"requests": [
            {"name": "x", "url": settings_url(A)},
            {"url": settings_url(B)}
        ]});
        let responses = serde_json::json!({"responses": [
            {"name": "y", "httpStatusCode": 200, "content": {"value": []}},
            {"name": "x", "httpStatusCode": 200, "content": list(A, true)}
        ]});
        let found = items(&batch_har(&requests, &responses));
        let [
            Item::Settings { settings, .. },
            Item::CollectionError { summary, scope, .. },
        ] = found.as_slice()
        else {
            panic!("{found:?}")
        };
        assert_eq!(settings[1].subscription.as_deref(), Some(A));
        assert!(
            summary.contains("answers both its settings requests 0 and 1"),
            "{summary}"
        );
        assert_eq!(
            *scope,
            IdScope::Subscription(crate::subscription::SubscriptionId::parse(B).unwrap())
        );
    }

    #[test]
    fn an_unreadable_response_beside_evidence_is_a_collection_error_for_its_subscription() {
        let requests = serde_json::json!({"requests": [
            {"url": settings_url(A)},
            {"url": settings_url(B)}
        ]});
        let responses = serde_json::json!({"responses": [
            {"httpStatusCode": 200, "content": list(A, true)}
        ]});
        let found = items(&batch_har(&requests, &responses));
        let [
            Item::Settings { .. },
            Item::CollectionError {
                summary,
                scope,
                location,
            },
        ] = found.as_slice()
        else {
            panic!("{found:?}")
        };
        assert!(
            summary.contains("without a response for its settings request 1"),
            "{summary}"
        );
        assert_eq!(
            *scope,
            IdScope::Subscription(crate::subscription::SubscriptionId::parse(B).unwrap())
        );
        assert_eq!(
            *location,
            Location::Pointer("/log/entries/0/response/content/text".into())
        );
    }

    #[test]
    fn a_batch_without_the_response_of_its_settings_request_says_so() {
        let requests = serde_json::json!({"requests": [{"url": settings_url(A)}]});
        let responses = serde_json::json!({"responses": []});
        let parsed = super::super::parse_document(&batch_har(&requests, &responses));
        let Body::Malformed(why) = parsed.body else {
            panic!("{parsed:?}")
        };
        assert!(
            why.to_string()
                .contains("without a response for its settings request 0"),
            "{why}"
        );
    }

    #[test]
    fn a_failed_batch_fails_each_settings_request_it_carried() {
        let requests =
            serde_json::json!({"requests": [{"url": settings_url(A)}, {"url": settings_url(B)}]});
        let error = serde_json::json!({"error": {"code": "ExpiredAuthenticationToken", "message": "The access token expired."}});
        let text = batch_har(&requests, &error).replace("\"status\":200", "\"status\":401");
        let items = items(&text);
        assert_eq!(items.len(), 2, "{items:?}");
        for (item, sub) in items.iter().zip([A, B]) {
            let Item::CollectionError {
                summary,
                scope,
                location,
            } = item
            else {
                panic!("{items:?}")
            };
            assert!(
                summary.contains("HTTP 401") && summary.contains("ExpiredAuthenticationToken"),
                "{summary}"
            );
            assert_eq!(
                *scope,
                IdScope::Subscription(crate::subscription::SubscriptionId::parse(sub).unwrap())
            );
            assert_eq!(
                *location,
                Location::Pointer("/log/entries/0/response/status".into())
            );
        }
    }

    fn get_har(text: &str, encoding: &str) -> String {
        serde_json::json!({"log": {"entries": [{
            "request": {"method": "GET", "url": settings_url(A)},
            "response": {"status": 200, "content": {"text": text, "encoding": encoding}}
        }]}})
        .to_string()
    }

    #[test]
    fn a_base64_body_is_decoded_and_read() {
        let body = list(A, true).to_string();
        let encoded = base64::engine::general_purpose::STANDARD.encode(body.as_bytes());
        let items = items(&get_har(&encoded, "base64"));
        let [Item::Settings { settings, .. }] = items.as_slice() else {
            panic!("{items:?}")
        };
        assert_eq!(settings[1].enabled, crate::formats::Flag::Bool(true));
        assert_eq!(
            settings[1].location,
            Location::Pointer(
                "/log/entries/0/response/content/text#/value/1/properties/enabled".into()
            )
        );
        assert_eq!(settings[1].recovered, Some(BASE64_NOTE));
    }

    #[test]
    fn a_body_that_is_not_base64_is_malformed_and_says_why() {
        let parsed = super::super::parse_document(&get_har("{not base64!}", "base64"));
        let Body::Malformed(why) = parsed.body else {
            panic!("{parsed:?}")
        };
        let why = why.to_string();
        assert!(
            why.contains("HAR entry 0 is base64-encoded but not valid base64 ("),
            "{why}"
        );
        let encoded = base64::engine::general_purpose::STANDARD.encode(b"hello");
        let parsed = super::super::parse_document(&get_har(&encoded, "base64"));
        assert!(
            matches!(&parsed.body, Body::Malformed(why) if why.to_string().contains("not JSON once decoded")),
            "{parsed:?}"
        );
    }
}
