//! The settings in a JSON document: [`Object`], typed by the keys the settings exporters
//! write (REST, az CLI, PowerShell, error bodies, documentation wrappers, `Invoke-AzRestMethod`),
//! and what each object says: whether it is a setting, of which exporter, with which
//! `enabled` value at which place.

use serde::Deserialize;
use serde::de::{self, MapAccess, SeqAccess};

use super::super::{Flag, Item, Location, SETTINGS_TYPE, Setting, is_settings_id};
use super::values::{Describe, Fold, Kind, Listed, Scalar, Shaped, json_object, visit_other_kinds};
use crate::escape::{EXCERPT_CHARS, excerpt};
use crate::subscription::{self, IdScope};

json_object! {
    /// Any JSON object, typed by the keys settings exporters write; other keys are skipped.
    pub(super) struct Object {
        id: Scalar = "id",
        id_pascal: Scalar = "Id",
        name: Scalar = "name",
        name_pascal: Scalar = "Name",
        type_: Scalar = "type",
        type_pascal: Scalar = "Type",
        properties: Shaped<Properties> = "properties",
        enabled: Scalar = "enabled",
        enabled_pascal: Scalar = "Enabled",
        pub(super) value: Listed<Elements> = "value",
        pub(super) next_link: Scalar = "nextLink",
        pub(super) error: Shaped<ErrorBody> = "error",
        /// REST documentation examples: `responses."200".body`.
        pub(super) responses: Shaped<Responses> = "responses",
        /// `Invoke-AzRestMethod` output: the HTTP status.
        pub(super) status_code: Scalar = "StatusCode",
        /// `Invoke-AzRestMethod` output: the response body as a string.
        pub(super) content: Scalar = "Content",
        /// A Terraform state file (`terraform.tfstate`).
        pub(super) terraform_version: Scalar = "terraform_version",
        /// A HAR network log (`{"log":{"entries":[...]}}`).
        pub(super) log: Shaped<super::har::Log> = "log",
        /// A field naming the setting's subscription (a script's own output).
        subscription_id: Scalar = "subscriptionId" | "SubscriptionId",
    }
    check one_enabled;
}

/// Why an object holding `enabled` both in its `properties` and beside them (az CLI's
/// flattened spelling) cannot be read: the two differ, and no exporter writes both.
fn one_enabled(object: &Object) -> Result<(), String> {
    let Shaped::Object(properties) = &object.properties else {
        return Ok(());
    };
    if properties.enabled.is_missing() {
        return Ok(());
    }
    for (key, beside) in [
        ("enabled", &object.enabled),
        ("Enabled", &object.enabled_pascal),
    ] {
        if !beside.is_missing() && *beside != properties.enabled {
            return Err(format!(
                "two values for one setting in one object: \"properties\".\"enabled\" ({}) and \
                 {key:?} ({}) beside it",
                properties.enabled.describe(),
                beside.describe()
            ));
        }
    }
    Ok(())
}

json_object! {
    /// The `responses` of a REST documentation example.
    pub(super) struct Responses {
        pub(super) ok: Shaped<Response> = "200",
    }
}

json_object! {
    /// One documented response.
    pub(super) struct Response {
        pub(super) body: Shaped<Box<Object>> = "body",
    }
}

json_object! {
    /// A setting's `properties`.
    struct Properties {
        enabled: Scalar = "enabled",
    }
}

json_object! {
    /// An ARM error's `error` object.
    pub(super) struct ErrorBody {
        code: Scalar = "code",
        message: Scalar = "message",
    }
}

/// The key style of a settings object, which names the exporter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub(super) enum Style {
    /// `properties.enabled` (REST, `jq`, `az rest`, `Invoke-RestMethod`).
    #[default]
    Rest,
    /// Top-level `enabled` (az CLI `security setting`).
    AzCli,
    /// `PascalCase` `Enabled`, `Id`, `Name` (`Get-AzSecuritySetting | ConvertTo-Json`).
    PowerShell,
}

/// What an object's `type` or `id` says it is.
pub(super) enum Typing {
    Settings,
    Foreign(String),
    Untyped,
}

/// A setting read from an object, placed relative to the object: its `enabled` value is at
/// `<the object's pointer><suffix>`.
#[derive(Debug)]
pub(super) struct Candidate {
    name: Option<String>,
    id: Option<String>,
    subscription: Option<String>,
    enabled: Flag,
    suffix: &'static str,
    recovered: Option<&'static str>,
}

impl Candidate {
    /// The setting, for an object found at JSON pointer `pointer`.
    pub(super) fn at(self, pointer: &str) -> Setting {
        let location = format!("{pointer}{}", self.suffix);
        self.located(location)
    }

    /// The setting, for element `index` of the array at JSON pointer `array`.
    pub(super) fn at_element(self, array: &str, index: usize) -> Setting {
        let location = format!("{array}/{index}{}", self.suffix);
        self.located(location)
    }

    fn located(self, pointer: String) -> Setting {
        Setting {
            name: self.name,
            id: self.id,
            enabled: self.enabled,
            location: Location::Pointer(pointer),
            recovered: self.recovered,
            subscription: self.subscription,
        }
    }
}

/// The elements of an array, folded one at a time: the objects that name a setting, and
/// what the others are. Nothing else of an element is kept, so that an array of a million
/// numbers or empty objects costs a few counters.
#[derive(Debug, Default)]
pub(super) struct Elements {
    /// How many elements.
    pub(super) len: usize,
    /// Objects with a name or an id, with their index.
    pub(super) candidates: Vec<(usize, Candidate)>,
    /// Whether some object is a setting (typed so, or a name with an enabled value).
    pub(super) any_setting: bool,
    /// The first resource type that is not settings.
    pub(super) foreign: Option<String>,
    /// The first element that is not an object.
    pub(super) first_non_object: Option<(usize, &'static str)>,
    /// The exporter's key style, over every object.
    pub(super) style: Style,
    /// Whether some element is an object.
    pub(super) any_object: bool,
    /// The first element, when it is a boolean (`az ... --query "[?name=='WDATP'].enabled"`
    /// prints `[true]`).
    pub(super) first_bool: Option<bool>,
}

/// An element of an array: an object, a boolean, or another kind.
enum Element {
    Object(Box<Object>),
    Bool(bool),
    Other(Kind),
}

struct ElementVisitor;

impl<'de> de::Visitor<'de> for ElementVisitor {
    type Value = Element;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Element, A::Error> {
        Object::deserialize(serde::de::value::MapAccessDeserializer::new(map))
            .map(|o| Element::Object(Box::new(o)))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Element, E> {
        Ok(Element::Bool(v))
    }

    visit_other_kinds!(Element::Other, [number, null, string, array]);
}

impl<'de> Deserialize<'de> for Element {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ElementVisitor)
    }
}

impl<'de> Fold<'de> for Elements {
    fn next<A: SeqAccess<'de>>(&mut self, index: usize, seq: &mut A) -> Result<bool, A::Error> {
        let Some(element) = seq.next_element::<Element>()? else {
            return Ok(false);
        };
        self.len += 1;
        match element {
            Element::Bool(value) => {
                if index == 0 {
                    self.first_bool = Some(value);
                }
                self.first_non_object
                    .get_or_insert((index, Kind::Bool.phrase()));
            }
            Element::Other(kind) => {
                self.first_non_object.get_or_insert((index, kind.phrase()));
            }
            Element::Object(object) => {
                self.any_object = true;
                self.style = self.style.max(object.style());
                match object.typing() {
                    Typing::Foreign(kind) => {
                        self.foreign.get_or_insert(kind);
                    }
                    Typing::Settings => self.any_setting = true,
                    Typing::Untyped => {
                        self.any_setting |= object.has_name() && object.has_enabled();
                    }
                }
                if object.has_name() {
                    self.candidates.push((index, object.into_candidate()));
                }
            }
        }
        Ok(true)
    }
}

impl Object {
    pub(super) fn name(&self) -> Option<&str> {
        self.name.as_str().or_else(|| self.name_pascal.as_str())
    }

    fn id(&self) -> Option<&str> {
        self.id.as_str().or_else(|| self.id_pascal.as_str())
    }

    pub(super) fn has_name(&self) -> bool {
        self.name().is_some() || self.id().is_some()
    }

    /// Whether the object holds an `enabled` value anywhere a settings exporter puts it;
    /// `properties` alone is not enough (every ARM resource has them).
    pub(super) fn has_enabled(&self) -> bool {
        let in_properties = match &self.properties {
            Shaped::Object(properties) => !properties.enabled.is_missing(),
            Shaped::Text(text) => text.to_ascii_lowercase().contains("enabled="),
            Shaped::Missing | Shaped::Other(_) => false,
        };
        in_properties || !self.enabled.is_missing() || !self.enabled_pascal.is_missing()
    }

    pub(super) fn style(&self) -> Style {
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

    pub(super) fn typing(&self) -> Typing {
        let type_ = self.type_.as_str().or_else(|| self.type_pascal.as_str());
        if let Some(type_) = type_ {
            return if type_.eq_ignore_ascii_case(SETTINGS_TYPE) {
                Typing::Settings
            } else {
                Typing::Foreign(type_.to_owned())
            };
        }
        if let Some(id) = self.id() {
            if is_settings_id(id) {
                return Typing::Settings;
            }
            if subscription::find_ascii_case_insensitive(id, "/providers/").is_some() {
                return Typing::Foreign(format!("id {}", excerpt(id, EXCERPT_CHARS)));
            }
        }
        Typing::Untyped
    }

    /// Whether the object is neither a list nor an error.
    fn is_plain(&self) -> bool {
        matches!(self.value, Listed::Missing)
            && matches!(self.error, Shaped::Missing | Shaped::Other(_))
    }

    /// A single object that is a setting on its own (REST GET, az show, one PowerShell result).
    pub(super) fn is_lone_setting(&self) -> bool {
        self.is_plain()
            && self.has_name()
            && match self.typing() {
                Typing::Settings => true,
                Typing::Foreign(_) => false,
                Typing::Untyped => self.has_enabled(),
            }
    }

    /// The setting this object describes. Where `enabled` is missing, the location points
    /// at the object that lacks it (`.../properties`, or the object itself), so that it
    /// always resolves.
    pub(super) fn into_candidate(self) -> Candidate {
        let name = self.name().map(str::to_owned);
        let id = self.id().map(str::to_owned);
        let subscription = self.subscription_id.as_str().map(str::to_owned);
        let (enabled, suffix, recovered) = match self.properties {
            Shaped::Object(properties) if properties.enabled.is_missing() => {
                (Flag::Missing, "/properties", None)
            }
            Shaped::Object(properties) => {
                (properties.enabled.into_flag(), "/properties/enabled", None)
            }
            Shaped::Text(text) => {
                let (flag, recovered) = recover_truncated_properties(&text);
                (flag, "/properties", recovered)
            }
            Shaped::Other(kind) => (Flag::Other(kind.phrase()), "/properties", None),
            Shaped::Missing if !self.enabled.is_missing() => {
                (self.enabled.into_flag(), "/enabled", None)
            }
            Shaped::Missing if !self.enabled_pascal.is_missing() => {
                (self.enabled_pascal.into_flag(), "/Enabled", None)
            }
            Shaped::Missing => (Flag::Missing, "", None),
        };
        Candidate {
            name,
            id,
            subscription,
            enabled,
            suffix,
            recovered,
        }
    }

    /// The collection error an ARM error body records, located at `<prefix>/error`.
    pub(super) fn into_error(self, prefix: &str) -> Item {
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

/// The note on a value read from a depth-truncated `"@{...}"` string.
pub(crate) const TRUNCATED_NOTE: &str = "recovered from a depth-truncated Windows PowerShell \
                                          5.1 export (properties saved as the string \"@{...}\")";

/// Windows PowerShell 5.1 `ConvertTo-Json` stops at depth 2 and writes a nested object as
/// the string `@{enabled=True}`. The value is still there, in PowerShell's own spelling.
fn recover_truncated_properties(text: &str) -> (Flag, Option<&'static str>) {
    const NOTE: &str = TRUNCATED_NOTE;
    let Some(inner) = text
        .trim()
        .strip_prefix("@{")
        .and_then(|rest| rest.strip_suffix('}'))
    else {
        return (Flag::Other(Kind::String.phrase()), None);
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

#[cfg(test)]
mod tests {
    use super::super::parse_document;
    use crate::formats::{Body, Reason};

    const ID: &str = "/subscriptions/11111111-2222-4333-8444-555555555555/providers/Microsoft.Security/settings/WDATP";

    fn reason(text: &str) -> String {
        match parse_document(text).body {
            Body::Malformed(Reason::InvalidJson(why)) => why,
            other => panic!("not malformed: {other:?}"),
        }
    }

    #[test]
    fn keys_differing_only_in_case_are_malformed_naming_both_values() {
        let why = reason(&format!(
            r#"[{{"enabled":true,"Enabled":false,"Id":"{ID}","Name":"WDATP"}}]"#
        ));
        assert!(
            why.contains(r#"duplicate key: "enabled" (true) and "Enabled" (false)"#),
            "{why}"
        );
        let why = reason(&format!(
            r#"{{"value":[{{"id":"{ID}","name":"WDATP","properties":{{"Enabled":false,"enabled":true}}}}]}}"#
        ));
        assert!(why.contains(r#""Enabled" and "enabled" (true)"#), "{why}");
        let why = reason(&format!(r#"{{"id":"{ID}","Id":"{ID}","enabled":true}}"#));
        assert!(why.contains(r#"duplicate key: "id" (""#), "{why}");
    }

    #[test]
    fn a_key_repeated_with_the_same_value_is_malformed_as_an_exact_duplicate() {
        let why = reason(r#"{"name":"WDATP","enabled":true,"enabled":true}"#);
        assert!(
            why.contains(r#"duplicate key: "enabled" (true) and "enabled" (true)"#),
            "{why}"
        );
        let why = reason(r#"{"name":"WDATP","Enabled":true,"enabled":true}"#);
        assert!(why.contains("differ only in case"), "{why}");
    }

    #[test]
    fn enabled_in_and_beside_properties_with_two_values_is_malformed() {
        let why = reason(&format!(
            r#"{{"id":"{ID}","name":"WDATP","enabled":false,"properties":{{"enabled":true}}}}"#
        ));
        assert!(
            why.contains(r#""properties"."enabled" (true) and "enabled" (false) beside it"#),
            "{why}"
        );
        // The same value in both places says one thing.
        let text = format!(
            r#"{{"id":"{ID}","name":"WDATP","Enabled":true,"properties":{{"enabled":true}}}}"#
        );
        assert!(matches!(parse_document(&text).body, Body::Items(_)));
    }

    #[test]
    fn keys_the_tool_does_not_read_are_checked_too() {
        let why = reason(&format!(
            r#"{{"value":[{{"id":"{ID}","name":"WDATP","kind":"a","properties":{{"enabled":true}},"Kind":"b"}}]}}"#
        ));
        assert!(
            why.contains(r#"duplicate key: "kind" and "Kind" ("b")"#),
            "{why}"
        );
        let why = reason(r#"{"value":[],"nextLink":null,"NextLink":"https://x"}"#);
        assert!(why.contains(r#""nextLink" (null) and "NextLink""#), "{why}");
    }

    #[test]
    fn objects_inside_values_not_kept_are_checked_too() {
        let why = reason(&format!(
            r#"{{"value":[{{"id":"{ID}","name":"WDATP","properties":{{"enabled":true,"extra":{{"a":[{{"x":1,"X":2}}]}}}}}}]}}"#
        ));
        assert!(why.contains(r#"duplicate key: "x" and "X" (2)"#), "{why}");
        let why = reason(&format!(
            r#"{{"value":[{{"id":"{ID}","name":"WDATP","properties":{{"enabled":{{"b":1,"b":2}}}}}}]}}"#
        ));
        assert!(why.contains(r#"duplicate key: "b" and "b" (2)"#), "{why}");
        let text = format!(
            r#"{{"value":[{{"id":"{ID}","name":"WDATP","tags":{{"a":{{"b":[1,{{"c":null}}]}},"A2":"x"}},"properties":{{"enabled":true}}}}]}}"#
        );
        assert!(matches!(parse_document(&text).body, Body::Items(_)));
    }

    #[test]
    fn deeply_nested_values_not_kept_are_still_read() {
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        let text = format!(
            r#"{{"value":[{{"id":"{ID}","name":"WDATP","extra":{deep},"properties":{{"enabled":true}}}}]}}"#
        );
        assert!(
            matches!(parse_document(&text).body, Body::Items(_)),
            "{:?}",
            parse_document(&text).body
        );
    }

    #[test]
    fn objects_with_many_keys_find_duplicates_past_the_inline_ones() {
        let keys: Vec<String> = (0..40).map(|i| format!(r#""k{i}":{i}"#)).collect();
        let keys = keys.join(",") + ",";
        let why = reason(&format!(
            r#"{{{keys}"name":"WDATP","enabled":true,"K39":1}}"#
        ));
        assert!(why.contains(r#""k39" and "K39" (1)"#), "{why}");
        let text = format!(r#"{{{keys}"name":"WDATP","enabled":true}}"#);
        assert!(matches!(parse_document(&text).body, Body::Items(_)));
    }
}
