//! ARM batches in a HAR log: the settings requests a batch sends
//! (`{"requests":[{"httpMethod":"GET","url":".../settings?...","name":...}]}`), the
//! responses it got back (`{"responses":[{"name":...,"httpStatusCode":200,"content":{...}}]}`),
//! and which response answers which request: by `name` when both carry the same one, else by
//! position. Each answer is read like a call of its own.

use serde::de::SeqAccess;

use super::super::Top;
use super::super::values::{Describe, Fold, Kind, Listed, Scalar, Shaped, json_object};
use super::{PostData, failure, is_settings_call, owned_by_url, status_code};
use crate::escape::{EXCERPT_CHARS, excerpt};
use crate::formats::Body;

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
pub(super) struct Inner {
    pub(super) index: usize,
    pub(super) url: String,
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
    pub(super) struct BatchReply {
        pub(super) responses: Listed<BatchResponses> = "responses",
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
pub(super) struct Answer {
    pub(super) index: usize,
    name: Option<String>,
    pub(super) status: Option<u16>,
    content: Option<Top>,
}

/// The responses of a batch.
#[derive(Debug, Default)]
pub(super) struct BatchResponses {
    pub(super) answers: Vec<Answer>,
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

/// The settings requests a batch's request body sends, and the names of all its requests;
/// `None` when it sends none or its body cannot be read (then the entry is not a settings
/// call).
pub(super) fn settings_requests(post_data: Shaped<PostData>) -> Option<(Vec<Inner>, Vec<String>)> {
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

/// Whether a request URL is an ARM batch (`https://management.azure.com/batch?...`): its
/// path is `/batch`, any case.
pub(super) fn is_batch_call(url: &str) -> bool {
    let path = url.split(['?', '#']).next().unwrap_or_default();
    let path = path.split_once("://").map_or(path, |(_, rest)| {
        rest.find('/').and_then(|at| rest.get(at..)).unwrap_or("")
    });
    path.trim_end_matches('/').eq_ignore_ascii_case("/batch")
}

/// The response of a batch that answers `request`: by `name` when exactly one request and
/// exactly one response carry its name, else by position.
pub(super) fn answer_of(request: &Inner, names: &[String], answers: &[Answer]) -> Option<usize> {
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
pub(super) fn batch(
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
            let (_, body) = super::super::classify(top, &format!("{at}/content"));
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
