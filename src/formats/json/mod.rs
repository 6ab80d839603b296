//! JSON evidence: REST settings lists and single settings, `value` arrays, jq streams,
//! az CLI and PowerShell `ConvertTo-Json` output, ARM error bodies, documentation wrappers
//! and `Invoke-AzRestMethod` output.
//!
//! One typed pass over the text: serde deserializes straight into [`object::Object`], whose
//! fields are the keys these exporters write, with lenient leaves ([`values`]) so a wrong
//! type is recorded, not fatal; only a syntax error stops the parse, and that makes the
//! file malformed. This module classifies the documents; `object` says what each object
//! is. Arrays are folded element by element and several documents are classified one at a
//! time, so memory follows the settings found, not the size or shape of the text.
//! Locations are JSON pointers built from the positions the values were read at.

pub mod comments;
mod har;
mod object;
mod values;

pub(crate) use har::settings_bodies;
pub(crate) use object::TRUNCATED_NOTE;

use std::fmt;

use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use super::{Body, Extent, Format, Item, Location, Parsed, Parser, Reason, Setting, Text};
use crate::subscription::IdScope;
use object::{Elements, Object, Responses, Style};
use values::{Kind, Listed, Scalar, Shaped, fold_seq, visit_other_kinds};

/// REST `settings` list response: an object with a `value` array.
pub const REST_LIST: Format = Format::new("rest-list");
/// The `value` array of a REST list response saved on its own.
pub const REST_ARRAY: Format = Format::new("rest-array");
/// REST GET of one setting: one bare setting object.
pub const REST_SETTING: Format = Format::new("rest-setting");
/// Several top-level JSON values one after another (`jq '.value[]'`, appended outputs).
pub const JSON_STREAM: Format = Format::new("json-stream");
/// `az security setting list/show -o json`: `enabled` flattened beside `name`.
pub const AZCLI_JSON: Format = Format::new("azcli-json");
/// `Get-AzSecuritySetting | ConvertTo-Json`: `PascalCase` `Enabled`, `Id`, `Name`.
pub const POWERSHELL_JSON: Format = Format::new("powershell-json");
/// An ARM error body: `{"error": {"code": ..., "message": ...}}`.
pub const ARM_ERROR: Format = Format::new("arm-error");
/// A REST documentation or "Try it" example: `responses."200".body`.
pub const REST_DOC_EXAMPLE: Format = Format::new("rest-doc-example");
/// `Invoke-AzRestMethod` saved with `ConvertTo-Json`: the body is the `Content` string.
pub const INVOKE_AZRESTMETHOD: Format = Format::new("invoke-azrestmethod");
/// The output of an az `--query` filter of one boolean: `[true]` or `[false]`.
pub const AZCLI_QUERY: Format = Format::new("azcli-query");
/// A browser's saved network log (HAR) of the Azure portal: the settings calls' bodies.
pub const HAR: Format = Format::new("har");

/// JSON evidence, in every shape above.
pub const PARSER: Parser = Parser {
    family: "json",
    formats: &[
        REST_LIST,
        REST_ARRAY,
        REST_SETTING,
        JSON_STREAM,
        AZCLI_JSON,
        POWERSHELL_JSON,
        ARM_ERROR,
        REST_DOC_EXAMPLE,
        INVOKE_AZRESTMETHOD,
        HAR,
        AZCLI_QUERY,
        Format::JSON,
    ],
    parse,
};

fn parse(input: &Text<'_>) -> Option<Parsed> {
    let start = input.start();
    if is_json_start(start) {
        let parsed = parse_document(input.text());
        if matches!(parsed.body, Body::Malformed(_))
            && let Some(read) = comments::parse(input.text())
            && !matches!(read.body, Body::Malformed(_))
        {
            return Some(read);
        }
        return Some(parsed);
    }
    if start.starts_with("//") || start.starts_with("/*") {
        return comments::parse(input.text());
    }
    None
}

/// Reads a stream of documents through another serde data format (YAML's documents, `---`
/// between them) as JSON is read: one document exactly as a JSON document (the same typed
/// pass and classification, JSON pointers into the document); several as a JSON stream,
/// each classified on its own and its pointers prefixed `/N` (N counting the documents that
/// are not empty), so each is attributed on its own. Empty documents (a trailing `---`) are
/// skipped. Stops at the first document that does not read.
///
/// # Errors
///
/// The deserializer's error for the first document that is not well formed.
pub(crate) fn classify_each<'de, D: Deserializer<'de>>(
    documents: impl Iterator<Item = D>,
) -> Result<(Format, Body), D::Error> {
    let mut first = None;
    let mut stream = Stream::new(YAML_DOCUMENTS);
    let mut count = 0;
    for document in documents {
        let top = Top::deserialize(document)?;
        if matches!(top, Top::Scalar(Scalar::Null)) {
            continue;
        }
        count += 1;
        match first.take() {
            None if count == 1 => first = Some(top),
            earlier => {
                stream.extend(earlier);
                stream.add(top);
            }
        }
    }
    Ok(match first {
        Some(only) => classify(only, ""),
        None if count == 0 => (Format::JSON, Body::Unrecognized(Reason::NoSettingsKeys)),
        None => (JSON_STREAM, stream.finish()),
    })
}

/// Whether text (already stripped of leading whitespace) opens a JSON object or array.
#[must_use]
pub fn is_json_start(text: &str) -> bool {
    text.starts_with(['{', '['])
}

/// Parses JSON evidence: one document, or several one after another.
#[must_use]
pub fn parse_document(text: &str) -> Parsed {
    let read = read_documents(text);
    match read.stop {
        None => Parsed::new(read.format, read.body),
        Some((offset, e)) => {
            // Error text written after the documents (`az ... 2>&1` in a loop) is read with
            // them; anything else that stops the JSON makes the file malformed.
            let rest = text.get(offset..).unwrap_or_default();
            if read.count == 0 || is_json_start(rest.trim_start()) {
                return malformed(&e);
            }
            with_errors_after(Parsed::new(read.format, read.body), text, offset)
        }
    }
}

/// The JSON documents at the start of `text` (which follows error text in a file), and
/// the offset in `text` where the text after them starts, if any. Documents are read up to
/// the first that does not read.
///
/// # Errors
///
/// When no document reads there: the offset in `text` where reading stopped.
pub(crate) fn documents_after_text(text: &str) -> Result<(Body, Option<usize>), usize> {
    let read = read_documents(text);
    match read.stop {
        Some((_, e)) if read.count == 0 => Err(offset_of(text, &e)),
        stop => Ok((read.body, stop.map(|(offset, _)| offset))),
    }
}

/// The byte offset in `text` of the position a JSON error names: serde counts lines by
/// `\n` alone and columns in bytes after the last one.
fn offset_of(text: &str, e: &serde_json::Error) -> usize {
    let line_start = match e.line().checked_sub(2) {
        None => 0,
        Some(breaks) => text
            .bytes()
            .enumerate()
            .filter(|(_, b)| *b == b'\n')
            .nth(breaks)
            .map_or(text.len(), |(at, _)| at + 1),
    };
    line_start.saturating_add(e.column()).min(text.len())
}

/// JSON documents read from the start of a text.
struct Read {
    /// How many documents were read.
    count: usize,
    format: Format,
    body: Body,
    /// Where the documents stop before the end of the text: the offset after the last one
    /// read, and the error that stopped the next.
    stop: Option<(usize, serde_json::Error)>,
}

/// Reads and classifies JSON documents from the start of `text`, one after another, up to
/// the end of the text or the first that does not read.
fn read_documents(text: &str) -> Read {
    let mut documents = serde_json::Deserializer::from_str(text).into_iter::<Top>();
    let mut first = None;
    let mut stream = Stream::new(JSON_VALUES);
    let mut count = 0;
    let mut stop = None;
    loop {
        let offset = documents.byte_offset();
        match documents.next() {
            None => break,
            Some(Ok(document)) => {
                count += 1;
                match first.take() {
                    None if count == 1 => first = Some(document),
                    earlier => {
                        stream.extend(earlier);
                        stream.add(document);
                    }
                }
            }
            Some(Err(e)) => {
                stop = Some((offset, e));
                break;
            }
        }
    }
    let (format, body) = match first {
        None if count == 0 => (Format::EMPTY, Body::Empty),
        Some(only) => classify(only, ""),
        None => (JSON_STREAM, stream.finish()),
    };
    Read {
        count,
        format,
        body,
        stop,
    }
}

/// The documents' items, and the error records and JSON documents written after them; the
/// file is malformed, as any JSON followed by other text, when that text holds no error
/// record.
fn with_errors_after(parsed: Parsed, text: &str, offset: usize) -> Parsed {
    let lines = super::lines::numbered(text);
    let index = lines
        .partition_point(|l| l.start <= offset)
        .saturating_sub(1);
    // The line where the documents end starts the text; JSON may open a line after it.
    let after = super::after_text(text, &lines, index, index + 1);
    match parsed.body {
        Body::Items(mut items) if after.errors > 0 => {
            items.extend(after.items);
            Parsed::new(parsed.format, Body::Items(items))
        }
        // Documents that are not evidence (`{"value":[]}`, `az account show`) before the
        // error records are left out, as they are after error text: the errors remain.
        Body::Unrecognized(_) | Body::Empty if after.errors > 0 => {
            let format = super::error_text::first_kind(lines.get(index..).unwrap_or_default())
                .unwrap_or(Format::JSON);
            Parsed::new(format, Body::Items(after.items))
        }
        _ => Parsed::new(
            Format::JSON,
            Body::Malformed(Reason::InvalidJson(format!(
                "text that is neither JSON nor an error record follows the JSON at line {}",
                lines.get(index).map_or(1, |l| l.number)
            ))),
        ),
    }
}

fn malformed(e: &serde_json::Error) -> Parsed {
    Parsed::new(Format::JSON, Body::Malformed(describe_error(e)))
}

fn describe_error(e: &serde_json::Error) -> Reason {
    match e.classify() {
        serde_json::error::Category::Eof => Reason::TruncatedJson {
            line: e.line(),
            column: e.column(),
        },
        _ => Reason::InvalidJson(e.to_string()),
    }
}

/// What the parts of a JSON stream are called in reasons.
const JSON_VALUES: &str = "JSON values";
/// What the parts of a YAML stream are called in reasons.
const YAML_DOCUMENTS: &str = "YAML documents";

/// Several top-level values, classified one at a time: `jq '.value[]'` prints each setting
/// as its own document, and appended outputs (`>>`) give several whole documents.
struct Stream {
    /// What its parts are called (`JSON values`, `YAML documents`).
    what: &'static str,
    count: usize,
    items: Vec<Item>,
    /// Consecutive REST-style settings printed one by one (`jq '.value[]'`): one listing.
    run: Vec<Setting>,
    not_evidence: Option<(usize, Reason)>,
    malformed: Option<(usize, Reason)>,
}

impl Stream {
    fn new(what: &'static str) -> Self {
        Self {
            what,
            count: 0,
            items: Vec::new(),
            run: Vec::new(),
            not_evidence: None,
            malformed: None,
        }
    }

    /// Adds a document, if there is one.
    fn extend(&mut self, document: Option<Top>) {
        if let Some(document) = document {
            self.add(document);
        }
    }

    fn add(&mut self, document: Top) {
        let index = self.count;
        self.count += 1;
        let pointer = format!("/{index}");
        match document {
            Top::Object(object) if object.is_lone_setting() => {
                let style = object.style();
                let setting = object.into_candidate().at(&pointer);
                if style == Style::Rest {
                    self.run.push(setting);
                } else {
                    // az or PowerShell objects one after another are single results
                    // appended (`>>`): each says nothing about the settings it does not show.
                    self.end_run();
                    self.items.push(Item::Settings {
                        extent: Extent::Single,
                        settings: vec![setting],
                    });
                }
            }
            document => {
                self.end_run();
                match classify(document, &pointer).1 {
                    Body::Items(found) => self.items.extend(found),
                    // Other output appended beside the evidence (`az account show >> f`).
                    Body::Unrecognized(why) => {
                        self.not_evidence.get_or_insert((index, why));
                    }
                    Body::Malformed(why) => {
                        self.malformed.get_or_insert((index, why));
                    }
                    Body::Empty => {}
                }
            }
        }
    }

    /// Ends a run of settings printed one by one: together they are that list.
    fn end_run(&mut self) {
        if !self.run.is_empty() {
            self.items.push(Item::Settings {
                extent: Extent::Listing,
                settings: std::mem::take(&mut self.run),
            });
        }
    }

    fn finish(mut self) -> Body {
        self.end_run();
        let count = self.count;
        if let Some((index, reason)) = self.malformed {
            return Body::Malformed(Reason::InStream {
                index,
                count,
                what: self.what,
                reason: Box::new(reason),
            });
        }
        if let (true, Some((index, reason))) = (self.items.is_empty(), self.not_evidence) {
            return Body::Unrecognized(Reason::NoneInStream {
                index,
                count,
                what: self.what,
                reason: Box::new(reason),
            });
        }
        Body::Items(self.items)
    }
}

/// Classifies one document whose JSON pointer is `prefix`.
fn classify(doc: Top, prefix: &str) -> (Format, Body) {
    match doc {
        Top::Object(object) => classify_object(*object, prefix),
        Top::Array(elements) => classify_array(elements, prefix),
        Top::Scalar(scalar) => (
            Format::JSON,
            Body::Unrecognized(Reason::BareJsonValue(scalar.kind_phrase())),
        ),
    }
}

fn classify_object(mut object: Object, prefix: &str) -> (Format, Body) {
    if let Shaped::Object(log) = std::mem::take(&mut object.log)
        && log.has_entries()
    {
        return (HAR, har::classify(log, prefix));
    }
    if let Shaped::Object(responses) = std::mem::take(&mut object.responses) {
        return classify_doc_example(responses, prefix);
    }
    if let (Scalar::Str(content), false) = (&object.content, object.status_code.is_missing()) {
        return classify_invoke_response(content, &object.status_code, prefix);
    }
    if !matches!(object.error, Shaped::Missing | Shaped::Other(_)) {
        return (ARM_ERROR, Body::Items(vec![object.into_error(prefix)]));
    }
    if !matches!(object.value, Listed::Missing) {
        let extent = match &object.next_link {
            Scalar::Str(link) if !link.trim().is_empty() => Extent::Page,
            _ => Extent::Complete,
        };
        return match object.value {
            Listed::List(elements) => {
                let body = settings_list(elements, &format!("{prefix}/value"), extent);
                if matches!(body, Body::Unrecognized(_)) {
                    return (Format::JSON, body);
                }
                (REST_LIST, body)
            }
            Listed::Other(kind) => (
                Format::JSON,
                Body::Unrecognized(Reason::ValueNotAList(kind.phrase())),
            ),
            Listed::Missing => (Format::JSON, Body::Unrecognized(Reason::NoSettingsKeys)),
        };
    }
    if object.is_lone_setting() {
        let format = match object.style() {
            Style::Rest => REST_SETTING,
            Style::AzCli => AZCLI_JSON,
            Style::PowerShell => POWERSHELL_JSON,
        };
        return (
            format,
            Body::Items(vec![Item::Settings {
                extent: Extent::Single,
                settings: vec![object.into_candidate().at(prefix)],
            }]),
        );
    }
    if !object.terraform_version.is_missing() {
        return (Format::JSON, Body::Unrecognized(Reason::TerraformState));
    }
    (Format::JSON, Body::Unrecognized(Reason::NoSettingsKeys))
}

/// A REST documentation or "Try it" example: the evidence is `responses."200".body`.
fn classify_doc_example(responses: Responses, prefix: &str) -> (Format, Body) {
    let body = match responses.ok {
        Shaped::Object(response) => response.body,
        _ => Shaped::Missing,
    };
    let Shaped::Object(body) = body else {
        return (Format::JSON, Body::Unrecognized(Reason::ExampleWithoutBody));
    };
    let (_, body) = classify_object(*body, &format!("{prefix}/responses/200/body"));
    if matches!(body, Body::Unrecognized(_)) {
        return (Format::JSON, body);
    }
    (REST_DOC_EXAMPLE, body)
}

/// `Invoke-AzRestMethod | ConvertTo-Json`: the response body is the JSON held in the
/// `Content` string; its locations are written `<pointer to Content>#<pointer inside>`.
fn classify_invoke_response(content: &str, status: &Scalar, prefix: &str) -> (Format, Body) {
    let inner = if content.trim().is_empty() {
        Body::Empty
    } else if is_json_start(content.trim_start()) {
        super::prefix_pointers(parse_document(content).body, &format!("{prefix}/Content#"))
    } else {
        Body::Unrecognized(Reason::ContentNotJson)
    };
    let status = match status {
        Scalar::Number(n) => n.parse::<u16>().ok(),
        Scalar::Str(s) => s.trim().parse::<u16>().ok(),
        _ => None,
    };
    let failed = status.is_some_and(|s| !(200..300).contains(&s));
    let body = match inner {
        Body::Items(items)
            if !failed
                || items
                    .iter()
                    .any(|i| matches!(i, Item::CollectionError { .. })) =>
        {
            Body::Items(items)
        }
        inner if !failed => match inner {
            Body::Empty => Body::Malformed(Reason::EmptyContent),
            other => other,
        },
        _ => Body::Items(vec![Item::CollectionError {
            summary: format!(
                "Invoke-AzRestMethod returned HTTP {}",
                status.map_or_else(|| "error".to_owned(), |s| s.to_string())
            ),
            scope: IdScope::None,
            location: Location::Pointer(format!("{prefix}/StatusCode")),
        }]),
    };
    (INVOKE_AZRESTMETHOD, body)
}

fn classify_array(elements: Elements, prefix: &str) -> (Format, Body) {
    // `az security setting list --query "[?name=='WDATP'].enabled"`: one filtered result,
    // a bare value like the CIS one-liner's, never a list.
    if let (1, Some(value)) = (elements.len, elements.first_bool) {
        return (
            AZCLI_QUERY,
            Body::Items(vec![Item::Scalar {
                value: super::Flag::Bool(value),
                location: Location::Pointer(format!("{prefix}/0")),
            }]),
        );
    }
    let format = match elements.style {
        Style::Rest => REST_ARRAY,
        Style::AzCli => AZCLI_JSON,
        Style::PowerShell => POWERSHELL_JSON,
    };
    let body = settings_list(elements, prefix, Extent::Listing);
    if matches!(body, Body::Unrecognized(_)) {
        return (Format::JSON, body);
    }
    (format, body)
}

/// The elements of a settings list (a `value` array, or a top-level array).
fn settings_list(elements: Elements, prefix: &str, extent: Extent) -> Body {
    if elements.len == 0 {
        return Body::Unrecognized(Reason::EmptyList);
    }
    if let Some(kind) = elements.foreign {
        return Body::Unrecognized(Reason::ForeignList(kind));
    }
    if !elements.any_setting {
        return Body::Unrecognized(Reason::NotSettings);
    }
    if let Some((index, kind)) = elements.first_non_object {
        return Body::Malformed(Reason::NotAnObject {
            pointer: format!("{prefix}/{index}"),
            kind,
        });
    }
    let settings = elements
        .candidates
        .into_iter()
        .map(|(index, candidate)| candidate.at_element(prefix, index))
        .collect();
    Body::Items(vec![Item::Settings { extent, settings }])
}

/// A top-level JSON document.
#[derive(Debug)]
enum Top {
    Object(Box<Object>),
    Array(Elements),
    Scalar(Scalar),
}

struct TopVisitor;

impl<'de> Visitor<'de> for TopVisitor {
    type Value = Top;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Top, A::Error> {
        Object::deserialize(MapAccessDeserializer::new(map)).map(|o| Top::Object(Box::new(o)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Top, A::Error> {
        fold_seq(seq).map(Top::Array)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Top, E> {
        Ok(Top::Scalar(Scalar::Bool(v)))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Top, E> {
        Ok(Top::Scalar(Scalar::Str(String::new())))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Top, E> {
        Ok(Top::Scalar(Scalar::Null))
    }

    visit_other_kinds!(|_| Top::Scalar(Scalar::Number(String::new())), [number]);
}

impl<'de> Deserialize<'de> for Top {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TopVisitor)
    }
}

#[cfg(test)]
mod tests;
