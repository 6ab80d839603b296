//! JSON evidence: REST settings lists and single settings, `value` arrays, jq streams,
//! az CLI and PowerShell `ConvertTo-Json` output, ARM error bodies.
//!
//! One typed pass over the text: serde deserializes straight into [`Object`], whose fields
//! are the keys any of these exporters write. Leaves are [`Scalar`]s that accept every JSON
//! kind, so a wrong type (`"enabled": null`, `"value": "x"`) is recorded, not fatal; only a
//! syntax error stops the parse, and that makes the file malformed. Locations are JSON
//! pointers built from the positions the values were read at.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{Body, Extent, Flag, Format, Item, Location, Parsed, SETTINGS_TYPE, Setting};
use crate::subscription::{self, IdScope};

/// Whether text (already stripped of leading whitespace) opens a JSON object or array.
#[must_use]
pub fn is_json_start(text: &str) -> bool {
    text.starts_with(['{', '['])
}

/// Parses JSON evidence: one document, or several one after another.
#[must_use]
pub fn parse(text: &str) -> Parsed {
    let mut docs = Vec::new();
    for doc in serde_json::Deserializer::from_str(text).into_iter::<Top>() {
        match doc {
            Ok(doc) => docs.push(doc),
            Err(e) => return Parsed::new(Format::Json, Body::Malformed(describe_error(&e))),
        }
    }
    match docs.len() {
        0 => Parsed::new(Format::Empty, Body::Empty),
        1 => {
            let doc = docs
                .into_iter()
                .next()
                .map_or(Top::Scalar(Scalar::Missing), |d| d);
            let (format, body) = classify(doc, "");
            Parsed::new(format, body)
        }
        count => Parsed::new(Format::JsonStream, classify_stream(docs, count)),
    }
}

fn describe_error(e: &serde_json::Error) -> String {
    match e.classify() {
        serde_json::error::Category::Eof => format!(
            "truncated JSON: the text ends at line {} column {} before the document is complete",
            e.line(),
            e.column()
        ),
        _ => format!("invalid JSON: {e}"),
    }
}

/// Several top-level values: `jq '.value[]'` prints each setting as its own document, and
/// appended outputs (`>>`) give several whole documents.
fn classify_stream(docs: Vec<Top>, count: usize) -> Body {
    let mut loose = Vec::new();
    let mut loose_style = Style::Rest;
    let mut items = Vec::new();
    let mut not_evidence = None;
    for (index, doc) in docs.into_iter().enumerate() {
        let prefix = format!("/{index}");
        match doc {
            Top::Object(object) if object.is_lone_setting() => {
                let read = (*object).into_setting(prefix);
                loose_style = loose_style.max(read.style);
                loose.push(read.setting);
            }
            doc => match classify(doc, &prefix).1 {
                Body::Items(found) => items.extend(found),
                // Other output appended beside the evidence (`az account show >> f`).
                Body::Unrecognized(why) => {
                    not_evidence = not_evidence.or(Some((index, why)));
                }
                Body::Malformed(why) => {
                    return Body::Malformed(format!(
                        "value {} of the {count} JSON values in the file: {why}",
                        index + 1
                    ));
                }
                Body::Empty => {}
            },
        }
    }
    if let (true, Some((index, why))) = (items.is_empty() && loose.is_empty(), not_evidence) {
        return Body::Unrecognized(format!(
            "none of the {count} JSON values in the file is settings evidence (value {}: {why})",
            index + 1
        ));
    }
    if !loose.is_empty() {
        // `jq '.value[]'` prints a REST list's settings one after another: together they
        // are that list. az or PowerShell objects one after another are single results
        // appended (`>>`), which say nothing about the settings they do not show.
        let extent = if loose_style == Style::Rest {
            Extent::Listing
        } else {
            Extent::Single
        };
        items.insert(
            0,
            Item::Settings {
                extent,
                settings: loose,
            },
        );
    }
    Body::Items(items)
}

/// Classifies one document whose JSON pointer is `prefix`.
fn classify(doc: Top, prefix: &str) -> (Format, Body) {
    match doc {
        Top::Object(object) => classify_object(*object, prefix),
        Top::Array(elements) => classify_array(elements, prefix),
        Top::Scalar(scalar) => (
            Format::Json,
            Body::Unrecognized(format!(
                "a bare JSON value ({}) is not a settings export",
                scalar.kind_phrase()
            )),
        ),
    }
}

fn classify_object(mut object: Object, prefix: &str) -> (Format, Body) {
    if let Shaped::Object(responses) = std::mem::take(&mut object.responses) {
        return classify_doc_example(responses, prefix);
    }
    if let (Scalar::Str(content), false) = (&object.content, object.status_code.is_missing()) {
        return classify_invoke_response(content, &object.status_code, prefix);
    }
    if !matches!(object.error, Shaped::Missing | Shaped::Other(_)) {
        return (
            Format::ArmError,
            Body::Items(vec![object.into_error(prefix)]),
        );
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
                    return (Format::Json, body);
                }
                (Format::RestList, body)
            }
            Listed::Other(kind) => (
                Format::Json,
                Body::Unrecognized(format!(
                    "`value` is {}, not a list of settings",
                    kind.phrase()
                )),
            ),
            Listed::Missing => (Format::Json, Body::Unrecognized(String::new())),
        };
    }
    if object.is_lone_setting() {
        let read = object.into_setting(prefix.to_owned());
        let format = read.style.format_for_object();
        return (
            format,
            Body::Items(vec![Item::Settings {
                extent: Extent::Single,
                settings: vec![read.setting],
            }]),
        );
    }
    (
        Format::Json,
        Body::Unrecognized(
            "a JSON object with none of the keys of a settings export or error \
             (value, name, properties, enabled, error)"
                .to_owned(),
        ),
    )
}

/// A REST documentation or "Try it" example: the evidence is `responses."200".body`.
fn classify_doc_example(responses: Responses, prefix: &str) -> (Format, Body) {
    let body = match responses.ok {
        Shaped::Object(response) => response.body,
        _ => Shaped::Missing,
    };
    let Shaped::Object(body) = body else {
        return (
            Format::Json,
            Body::Unrecognized("a REST example without a 200 response body".to_owned()),
        );
    };
    let (_, body) = classify_object(*body, &format!("{prefix}/responses/200/body"));
    if matches!(body, Body::Unrecognized(_)) {
        return (Format::Json, body);
    }
    (Format::RestDocExample, body)
}

/// `Invoke-AzRestMethod | ConvertTo-Json`: the response body is the JSON held in the
/// `Content` string; its locations are written `<pointer to Content>#<pointer inside>`.
fn classify_invoke_response(content: &str, status: &Scalar, prefix: &str) -> (Format, Body) {
    let inner = if content.trim().is_empty() {
        Body::Empty
    } else if is_json_start(content.trim_start()) {
        super::prefix_pointers(parse(content).body, &format!("{prefix}/Content#"))
    } else {
        Body::Unrecognized("the Content string is not JSON".to_owned())
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
            Body::Empty => Body::Malformed("an empty Content string".to_owned()),
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
    (Format::InvokeAzRestMethod, body)
}

fn classify_array(elements: Vec<Shaped<Object>>, prefix: &str) -> (Format, Body) {
    let style = elements
        .iter()
        .filter_map(|e| match e {
            Shaped::Object(o) => Some(o.style()),
            _ => None,
        })
        .max()
        .unwrap_or(Style::Rest);
    let format = match style {
        Style::Rest => Format::RestArray,
        Style::AzCli => Format::AzCliJson,
        Style::PowerShell => Format::PowerShellJson,
    };
    let body = settings_list(elements, prefix, Extent::Listing);
    if matches!(body, Body::Unrecognized(_)) {
        return (Format::Json, body);
    }
    (format, body)
}

/// The elements of a settings list (a `value` array, or a top-level array).
fn settings_list(elements: Vec<Shaped<Object>>, prefix: &str, extent: Extent) -> Body {
    if elements.is_empty() {
        return Body::Unrecognized("an empty list: nothing shows it is a settings list".to_owned());
    }
    let mut foreign = None;
    let mut any_setting = false;
    for element in &elements {
        if let Shaped::Object(object) = element {
            match object.typing() {
                Typing::Foreign(kind) => foreign = foreign.or(Some(kind)),
                Typing::Settings => any_setting = true,
                Typing::Untyped => any_setting |= object.has_name() && object.has_enabled(),
            }
        }
    }
    if let Some(kind) = foreign {
        return Body::Unrecognized(format!(
            "a list of {kind} resources, not Defender for Cloud settings"
        ));
    }
    if !any_setting {
        return Body::Unrecognized(
            "a list whose entries are not settings (no name with an enabled value)".to_owned(),
        );
    }
    let mut settings = Vec::with_capacity(elements.len());
    for (index, element) in elements.into_iter().enumerate() {
        let pointer = format!("{prefix}/{index}");
        match element {
            Shaped::Object(object) => settings.push(object.into_setting(pointer).setting),
            Shaped::Text(_) | Shaped::Other(_) | Shaped::Missing => {
                let kind = element.kind_phrase();
                return Body::Malformed(format!(
                    "entry {pointer} of the settings list is {kind}, not a setting"
                ));
            }
        }
    }
    Body::Items(vec![Item::Settings { extent, settings }])
}

/// The key style of a settings object, which names the exporter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Style {
    /// `properties.enabled` (REST, `jq`, `az rest`, `Invoke-RestMethod`).
    Rest,
    /// Top-level `enabled` (az CLI `security setting`).
    AzCli,
    /// `PascalCase` `Enabled`, `Id`, `Name` (`Get-AzSecuritySetting | ConvertTo-Json`).
    PowerShell,
}

impl Style {
    fn format_for_object(self) -> Format {
        match self {
            Self::Rest => Format::RestSetting,
            Self::AzCli => Format::AzCliJson,
            Self::PowerShell => Format::PowerShellJson,
        }
    }
}

/// What an object's `type` or `id` says it is.
enum Typing {
    Settings,
    Foreign(String),
    Untyped,
}

struct ReadSetting {
    setting: Setting,
    style: Style,
}

/// Any JSON object, typed by the keys settings exporters write; other keys are skipped.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Object {
    id: Scalar,
    #[serde(rename = "Id")]
    id_pascal: Scalar,
    name: Scalar,
    #[serde(rename = "Name")]
    name_pascal: Scalar,
    #[serde(rename = "type")]
    type_: Scalar,
    #[serde(rename = "Type")]
    type_pascal: Scalar,
    properties: Shaped<Properties>,
    enabled: Scalar,
    #[serde(rename = "Enabled")]
    enabled_pascal: Scalar,
    value: Listed<Shaped<Object>>,
    #[serde(rename = "nextLink")]
    next_link: Scalar,
    error: Shaped<ErrorBody>,
    /// REST documentation examples: `responses."200".body`.
    responses: Shaped<Responses>,
    /// `Invoke-AzRestMethod` output: the HTTP status.
    #[serde(rename = "StatusCode")]
    status_code: Scalar,
    /// `Invoke-AzRestMethod` output: the response body as a string.
    #[serde(rename = "Content")]
    content: Scalar,
}

/// The `responses` of a REST documentation example.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Responses {
    #[serde(rename = "200")]
    ok: Shaped<Response>,
}

/// One documented response.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Response {
    body: Shaped<Box<Object>>,
}

/// A setting's `properties`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Properties {
    enabled: Scalar,
}

/// An ARM error's `error` object.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ErrorBody {
    code: Scalar,
    message: Scalar,
}

impl Object {
    fn name(&self) -> Option<&str> {
        self.name.as_str().or_else(|| self.name_pascal.as_str())
    }

    fn id(&self) -> Option<&str> {
        self.id.as_str().or_else(|| self.id_pascal.as_str())
    }

    fn has_name(&self) -> bool {
        self.name().is_some() || self.id().is_some()
    }

    /// Whether the object holds an `enabled` value anywhere a settings exporter puts it;
    /// `properties` alone is not enough (every ARM resource has them).
    fn has_enabled(&self) -> bool {
        let in_properties = match &self.properties {
            Shaped::Object(properties) => !properties.enabled.is_missing(),
            Shaped::Text(text) => text.to_ascii_lowercase().contains("enabled="),
            Shaped::Missing | Shaped::Other(_) => false,
        };
        in_properties || !self.enabled.is_missing() || !self.enabled_pascal.is_missing()
    }

    fn style(&self) -> Style {
        if !self.enabled_pascal.is_missing()
            || !self.id_pascal.is_missing()
            || !self.name_pascal.is_missing()
        {
            Style::PowerShell
        } else if !self.enabled.is_missing() && matches!(self.properties, Shaped::Missing) {
            Style::AzCli
        } else {
            Style::Rest
        }
    }

    fn typing(&self) -> Typing {
        let type_ = self.type_.as_str().or_else(|| self.type_pascal.as_str());
        if let Some(type_) = type_ {
            return if type_.eq_ignore_ascii_case(SETTINGS_TYPE) {
                Typing::Settings
            } else {
                Typing::Foreign(type_.to_owned())
            };
        }
        if let Some(id) = self.id() {
            if super::is_settings_id(id) {
                return Typing::Settings;
            }
            if subscription::find_ascii_case_insensitive(id, "/providers/").is_some() {
                return Typing::Foreign(format!("id {id}"));
            }
        }
        Typing::Untyped
    }

    /// A single object that is a setting on its own (REST GET, az show, one PowerShell result).
    fn is_lone_setting(&self) -> bool {
        matches!(self.value, Listed::Missing)
            && matches!(self.error, Shaped::Missing | Shaped::Other(_))
            && self.has_name()
            && match self.typing() {
                Typing::Settings => true,
                Typing::Foreign(_) => false,
                Typing::Untyped => self.has_enabled(),
            }
    }

    fn into_setting(self, pointer: String) -> ReadSetting {
        let style = self.style();
        let name = self.name().map(str::to_owned);
        let id = self.id().map(str::to_owned);
        let (enabled, location, recovered) = match self.properties {
            Shaped::Object(properties) => (
                properties.enabled.into_flag(),
                format!("{pointer}/properties/enabled"),
                None,
            ),
            Shaped::Text(text) => {
                let (flag, recovered) = recover_truncated_properties(&text);
                (flag, format!("{pointer}/properties"), recovered)
            }
            Shaped::Other(kind) => (
                Flag::Other(kind.phrase()),
                format!("{pointer}/properties"),
                None,
            ),
            Shaped::Missing if !self.enabled.is_missing() => {
                (self.enabled.into_flag(), format!("{pointer}/enabled"), None)
            }
            Shaped::Missing if !self.enabled_pascal.is_missing() => (
                self.enabled_pascal.into_flag(),
                format!("{pointer}/Enabled"),
                None,
            ),
            Shaped::Missing => (Flag::Missing, pointer, None),
        };
        ReadSetting {
            setting: Setting {
                name,
                id,
                enabled,
                location: Location::Pointer(location),
                recovered,
            },
            style,
        }
    }

    fn into_error(self, prefix: &str) -> Item {
        let location = Location::Pointer(format!("{prefix}/error"));
        match self.error {
            Shaped::Object(body) => {
                let code = body.code.as_str().unwrap_or("error").to_owned();
                let message = body.message.as_str().unwrap_or_default();
                Item::CollectionError {
                    summary: if message.is_empty() {
                        code
                    } else {
                        format!("{code}: {message}")
                    },
                    scope: subscription::scope_of_message(message),
                    location,
                }
            }
            Shaped::Text(message) => Item::CollectionError {
                scope: subscription::scope_of_message(&message),
                summary: message,
                location,
            },
            Shaped::Missing | Shaped::Other(_) => Item::CollectionError {
                summary: "error".to_owned(),
                scope: IdScope::None,
                location,
            },
        }
    }
}

/// Windows PowerShell 5.1 `ConvertTo-Json` stops at depth 2 and writes a nested object as
/// the string `@{enabled=True}`. The value is still there, in PowerShell's own spelling.
fn recover_truncated_properties(text: &str) -> (Flag, Option<&'static str>) {
    const NOTE: &str = "recovered from a depth-truncated Windows PowerShell 5.1 export \
                        (properties saved as the string \"@{...}\")";
    let Some(inner) = text
        .trim()
        .strip_prefix("@{")
        .and_then(|rest| rest.strip_suffix('}'))
    else {
        return (Flag::Other("a string"), None);
    };
    let value = inner.split(';').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("enabled")
            .then(|| value.trim().to_owned())
    });
    match value {
        Some(value) if value.is_empty() => (Flag::Null, Some(NOTE)),
        Some(value) => (Flag::Text(value), Some(NOTE)),
        None => (Flag::Missing, Some(NOTE)),
    }
}

/// A top-level JSON document.
#[derive(Debug)]
enum Top {
    Object(Box<Object>),
    Array(Vec<Shaped<Object>>),
    Scalar(Scalar),
}

/// The kind of a JSON value, for reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Null,
    Bool,
    Number,
    String,
    Array,
    Object,
}

impl Kind {
    fn phrase(self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Bool => "a boolean",
            Self::Number => "a number",
            Self::String => "a string",
            Self::Array => "an array",
            Self::Object => "an object",
        }
    }
}

/// A JSON value where only scalars are kept; arrays and objects are skipped unread.
#[derive(Debug, Default, Clone, PartialEq)]
enum Scalar {
    #[default]
    Missing,
    Null,
    Bool(bool),
    Str(String),
    /// A number, as written.
    Number(String),
    Array,
    Object,
}

impl Scalar {
    fn as_str(&self) -> Option<&str> {
        match self {
            Self::Str(s) => Some(s),
            _ => None,
        }
    }

    fn is_missing(&self) -> bool {
        matches!(self, Self::Missing)
    }

    fn kind_phrase(&self) -> &'static str {
        match self {
            Self::Missing | Self::Null => Kind::Null.phrase(),
            Self::Bool(_) => Kind::Bool.phrase(),
            Self::Str(_) => Kind::String.phrase(),
            Self::Number(_) => Kind::Number.phrase(),
            Self::Array => Kind::Array.phrase(),
            Self::Object => Kind::Object.phrase(),
        }
    }

    fn into_flag(self) -> Flag {
        match self {
            Self::Missing => Flag::Missing,
            Self::Null => Flag::Null,
            Self::Bool(b) => Flag::Bool(b),
            Self::Str(s) => Flag::Text(s),
            Self::Number(_) => Flag::Other(Kind::Number.phrase()),
            Self::Array => Flag::Other(Kind::Array.phrase()),
            Self::Object => Flag::Other(Kind::Object.phrase()),
        }
    }
}

/// A value expected to be an object: kept as `T` when it is one, else its kind (or text).
#[derive(Debug, Default)]
enum Shaped<T> {
    #[default]
    Missing,
    Object(T),
    Text(String),
    Other(Kind),
}

impl<T> Shaped<T> {
    fn kind_phrase(&self) -> &'static str {
        match self {
            Self::Missing => Kind::Null.phrase(),
            Self::Object(_) => Kind::Object.phrase(),
            Self::Text(_) => Kind::String.phrase(),
            Self::Other(kind) => kind.phrase(),
        }
    }
}

/// A value expected to be an array: kept as `Vec<T>` when it is one, else its kind.
#[derive(Debug, Default)]
enum Listed<T> {
    #[default]
    Missing,
    List(Vec<T>),
    Other(Kind),
}

/// The visitor methods for JSON kinds a value's own visitor does not keep: each becomes
/// `$other(kind)`, nested containers are skipped unread.
macro_rules! visit_other_kinds {
    ($other:expr, [$($skip:ident),*]) => {
        $(visit_other_kinds!(@one $skip, $other);)*
    };
    (@one bool, $other:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($other(Kind::Bool))
        }
    };
    (@one number, $other:expr) => {
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($other(Kind::Number))
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($other(Kind::Number))
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($other(Kind::Number))
        }
    };
    (@one null, $other:expr) => {
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($other(Kind::Null))
        }
    };
    (@one string, $other:expr) => {
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($other(Kind::String))
        }
    };
    (@one array, $other:expr) => {
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok($other(Kind::Array))
        }
    };
    (@one object, $other:expr) => {
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok($other(Kind::Object))
        }
    };
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
        Ok(Scalar::Bool(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar::Str(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar, E> {
        Ok(Scalar::Str(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar::Number(v.to_string()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar::Number(v.to_string()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
        Ok(Scalar::Number(v.to_string()))
    }

    visit_other_kinds!(
        |kind| match kind {
            Kind::Array => Scalar::Array,
            _ => Scalar::Object,
        },
        [array, object]
    );
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ScalarVisitor)
    }
}

struct ShapedVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ShapedVisitor<T> {
    type Value = Shaped<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(Shaped::Object)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Shaped::Text(v.to_owned()))
    }

    visit_other_kinds!(Shaped::Other, [bool, number, null, array]);
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Shaped<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ShapedVisitor(PhantomData))
    }
}

struct ListedVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ListedVisitor<T> {
    type Value = Listed<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Listed::List(items))
    }

    visit_other_kinds!(Listed::Other, [bool, number, null, string, object]);
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Listed<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ListedVisitor(PhantomData))
    }
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
        match ListedVisitor::<Shaped<Object>>(PhantomData).visit_seq(seq)? {
            Listed::List(items) => Ok(Top::Array(items)),
            Listed::Missing | Listed::Other(_) => Ok(Top::Array(Vec::new())),
        }
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Top, E> {
        Ok(Top::Scalar(Scalar::Bool(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Top, E> {
        Ok(Top::Scalar(Scalar::Str(v.to_owned())))
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
mod tests {
    use super::*;

    const SUB: &str = "3f6c2a1e-8b4d-4c7a-9e2f-5d1b7a9c0e41";

    fn setting(name: &str, enabled: &str) -> String {
        format!(
            r#"{{"id":"/subscriptions/{SUB}/providers/Microsoft.Security/settings/{name}","name":"{name}","type":"Microsoft.Security/settings","kind":"DataExportSettings","properties":{{"enabled":{enabled}}}}}"#
        )
    }

    fn settings_of(parsed: &Parsed) -> (Extent, Vec<Setting>) {
        match &parsed.body {
            Body::Items(items) => match items.as_slice() {
                [Item::Settings { extent, settings }] => (*extent, settings.clone()),
                other => panic!("not one batch of settings: {other:?}"),
            },
            other => panic!("no items: {other:?}"),
        }
    }

    #[test]
    fn compact_list_gives_settings_with_pointers() {
        let text = format!(
            r#"{{"value":[{},{}]}}"#,
            setting("MCAS", "true"),
            setting("WDATP", "false")
        );
        let parsed = parse(&text);
        assert_eq!(parsed.format, Format::RestList);
        let (extent, settings) = settings_of(&parsed);
        assert_eq!(extent, Extent::Complete);
        assert_eq!(settings[1].name.as_deref(), Some("WDATP"));
        assert_eq!(settings[1].enabled, Flag::Bool(false));
        assert_eq!(
            settings[1].location,
            Location::Pointer("/value/1/properties/enabled".into())
        );
    }

    #[test]
    fn a_page_with_next_link_is_not_complete() {
        let text = format!(
            r#"{{"value":[{}],"nextLink":"https://management.azure.com/x?$skipToken=1"}}"#,
            setting("MCAS", "true")
        );
        assert_eq!(settings_of(&parse(&text)).0, Extent::Page);
        let text = format!(
            r#"{{"value":[{}],"nextLink":null}}"#,
            setting("MCAS", "true")
        );
        assert_eq!(settings_of(&parse(&text)).0, Extent::Complete);
    }

    #[test]
    fn wrong_types_are_recorded_not_fatal() {
        let text = format!(
            r#"{{"value":[{},{}]}}"#,
            setting("WDATP", "null"),
            setting("MCAS", r#"{"a":[1]}"#)
        );
        let (_, settings) = settings_of(&parse(&text));
        assert_eq!(settings[0].enabled, Flag::Null);
        assert_eq!(settings[1].enabled, Flag::Other("an object"));
        let text = r#"{"value":"nope"}"#;
        assert!(matches!(parse(text).body, Body::Unrecognized(_)));
    }

    #[test]
    fn truncated_json_is_malformed_with_its_position() {
        let parsed = parse(r#"{"value":[{"id":"/subscriptions/x","#);
        assert_eq!(parsed.format, Format::Json);
        match parsed.body {
            Body::Malformed(why) => assert!(why.starts_with("truncated JSON"), "{why}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn duplicate_keys_are_malformed() {
        let parsed = parse(r#"{"name":"WDATP","enabled":true,"enabled":false}"#);
        assert!(
            matches!(parsed.body, Body::Malformed(ref why) if why.contains("duplicate")),
            "{parsed:?}"
        );
    }

    #[test]
    fn other_resource_lists_are_not_settings() {
        let text = r#"{"value":[{"id":"/subscriptions/x/providers/Microsoft.Security/pricings/VirtualMachines","name":"VirtualMachines","type":"Microsoft.Security/pricings","properties":{"pricingTier":"Standard"}}]}"#;
        match parse(text).body {
            Body::Unrecognized(why) => {
                assert!(why.contains("Microsoft.Security/pricings"), "{why}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn key_styles_name_the_exporter() {
        let ps = r#"[{"Enabled": true, "Id": "/subscriptions/x/providers/Microsoft.Security/settings/WDATP", "Name": "WDATP", "Type": "Microsoft.Security/settings"}]"#;
        let parsed = parse(ps);
        assert_eq!(parsed.format, Format::PowerShellJson);
        assert_eq!(
            settings_of(&parsed).1[0].location,
            Location::Pointer("/0/Enabled".into())
        );
        let az = r#"{"enabled": false, "id": "/subscriptions/x/providers/Microsoft.Security/settings/WDATP", "kind": "DataExportSettings", "name": "WDATP", "type": "Microsoft.Security/settings"}"#;
        let parsed = parse(az);
        assert_eq!(parsed.format, Format::AzCliJson);
        assert_eq!(settings_of(&parsed).0, Extent::Single);
    }

    #[test]
    fn jq_stream_of_settings_is_one_listing() {
        let text = format!(
            "{}\n{}\n",
            setting("MCAS", "true"),
            setting("Sentinel", "false")
        );
        let parsed = parse(&text);
        assert_eq!(parsed.format, Format::JsonStream);
        let (extent, settings) = settings_of(&parsed);
        assert_eq!(extent, Extent::Listing);
        assert_eq!(
            settings[1].location,
            Location::Pointer("/1/properties/enabled".into())
        );
    }

    #[test]
    fn appended_az_show_objects_are_single_results_not_a_list() {
        let show = |name: &str| {
            format!(
                r#"{{"enabled": true, "id": "/subscriptions/{SUB}/providers/Microsoft.Security/settings/{name}", "name": "{name}"}}"#
            )
        };
        let parsed = parse(&format!("{}\n{}\n", show("MCAS"), show("Sentinel")));
        assert_eq!(settings_of(&parsed).0, Extent::Single);
    }

    #[test]
    fn resources_with_properties_but_no_enabled_are_not_settings() {
        let text = r#"{"value":[{"name":"Widget","properties":{"colour":"blue"}},{"name":"Gadget","properties":{}}]}"#;
        assert!(
            matches!(parse(text).body, Body::Unrecognized(_)),
            "{:?}",
            parse(text)
        );
    }

    #[test]
    fn depth_truncated_properties_are_recovered() {
        let text = r#"{"value": [{"id": "/subscriptions/x/providers/Microsoft.Security/settings/WDATP", "name": "WDATP", "properties": "@{enabled=True}"}]}"#;
        let (_, settings) = settings_of(&parse(text));
        assert_eq!(settings[0].enabled, Flag::Text("True".into()));
        assert_eq!(
            settings[0].location,
            Location::Pointer("/value/0/properties".into())
        );
        assert!(settings[0].recovered.is_some());
    }

    #[test]
    fn arm_error_names_its_scope() {
        let text = format!(
            r#"{{"error":{{"code":"AuthorizationFailed","message":"The client 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee' cannot read over scope '/subscriptions/{SUB}/providers/Microsoft.Security'"}}}}"#
        );
        let parsed = parse(&text);
        assert_eq!(parsed.format, Format::ArmError);
        match &parsed.body {
            Body::Items(items) => match items.as_slice() {
                [
                    Item::CollectionError {
                        scope: IdScope::Subscription(sub),
                        ..
                    },
                ] => {
                    assert_eq!(sub.as_str(), SUB);
                }
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
    }
}
