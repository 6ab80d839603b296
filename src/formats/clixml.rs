//! `Get-AzSecuritySetting | Export-Clixml`: PowerShell's archive of objects, `<Objs
//! Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">` holding one
//! `<Obj>` per result, with its type names (`<TN>`) and its properties (`<Props>`, or `<MS>`
//! for note properties) written `<S N="Name">WDATP</S>`, `<B N="Enabled">true</B>`. Windows
//! PowerShell 5.1 writes it as UTF-16LE with a BOM, PowerShell 7 as UTF-8 with a BOM.
//!
//! Each `<Obj>` (at any depth: `-InputObject $array` nests them in a `<LST>`) holding a
//! `Name` and an `Enabled` property, or an `Id` or `Type` of a Defender for Cloud setting,
//! is a setting; together they are a listing, like a PowerShell array. Locations are
//! `line N`: the line of the `Enabled` element (of the object, when `Enabled` is missing).

use std::borrow::Cow;

use quick_xml::Reader;
use quick_xml::events::Event;

use super::lines::line_at;
use super::reason::Written;
use super::{
    Body, Extent, Flag, Format, Item, Location, Parsed, Parser, Reason, SETTINGS_TYPE, Setting,
    Text, is_settings_id,
};
use crate::escape::{EXCERPT_CHARS, excerpt};

/// `Export-Clixml` of `Get-AzSecuritySetting`.
pub const POWERSHELL_CLIXML: Format = Format::new("powershell-clixml");

/// PowerShell CLIXML archives.
pub const PARSER: Parser = Parser {
    family: "powershell-clixml",
    formats: &[POWERSHELL_CLIXML],
    parse,
};

const NAMESPACE: &str = "schemas.microsoft.com/powershell/2004/04";

fn parse(input: &Text<'_>) -> Option<Parsed> {
    let start = input.start();
    let root = match start.strip_prefix("<?xml") {
        Some(rest) => rest.split_once("?>").map(|(_, r)| r.trim_start())?,
        None => start,
    };
    if !root.starts_with("<Objs") || !root.get(..1024).unwrap_or(root).contains(NAMESPACE) {
        return None;
    }
    let base = input.text().len() - start.len();
    Some(Parsed::new(POWERSHELL_CLIXML, read(input, start, base)))
}

/// A property being read: its name, element and where it starts.
struct Property {
    key: String,
    tag: String,
    offset: usize,
    text: String,
}

/// An `<Obj>` being read.
#[derive(Default)]
struct Frame {
    offset: usize,
    name: Option<String>,
    id: Option<String>,
    type_: Option<String>,
    enabled: Option<(Flag, usize)>,
    /// Every property read so far: its name, its value as written and where it starts.
    properties: Vec<(String, String, usize)>,
    /// Each property's key in lower case: its index in `properties`.
    seen: std::collections::HashMap<String, usize>,
}

impl Frame {
    /// Reads a property into the object; two values for one property (its name twice, in
    /// any case, as PowerShell compares names) are an error naming both.
    fn set(&mut self, property: Property, input: &Text<'_>) -> Result<(), Reason> {
        let Property {
            key,
            tag,
            offset,
            text,
        } = property;
        let shown = if tag == "Nil" {
            "<Nil />".to_owned()
        } else {
            text.clone()
        };
        let lower = key.to_ascii_lowercase();
        // Through a map, not a walk over the object's properties per property: an object
        // may hold any number of them.
        if let Some((first_key, first_value, first_offset)) =
            self.seen.get(&lower).and_then(|&i| self.properties.get(i))
        {
            let line = |at: usize| line_at(input.lines(), at);
            return Err(Reason::TwoValues {
                record: "CLIXML object",
                first: Box::new(Written {
                    key: first_key.clone(),
                    value: first_value.clone(),
                    line: line(*first_offset),
                }),
                second: Box::new(Written {
                    key,
                    value: shown,
                    line: line(offset),
                }),
            });
        }
        let string = (tag == "S").then_some(text.clone());
        match lower.as_str() {
            "name" => self.name = string,
            "id" => self.id = string,
            "type" => self.type_ = string,
            "enabled" => self.enabled = Some((flag(&tag, &text), offset)),
            _ => {}
        }
        self.seen.insert(lower, self.properties.len());
        self.properties.push((key, shown, offset));
        Ok(())
    }

    fn into_setting(self, input: &Text<'_>) -> Option<Setting> {
        let typed = self.id.as_deref().is_some_and(is_settings_id)
            || self
                .type_
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case(SETTINGS_TYPE));
        let named = self.name.is_some() || self.id.is_some();
        if !(named && (typed || self.enabled.is_some())) {
            return None;
        }
        let (enabled, offset) = self.enabled.unwrap_or((Flag::Missing, self.offset));
        Some(Setting {
            name: self.name.filter(|n| !n.is_empty()),
            id: self.id.filter(|i| !i.is_empty()),
            subscription: None,
            enabled,
            location: Location::Line(line_at(input.lines(), offset)),
            recovered: None,
        })
    }
}

/// The value of an `Enabled` property as CLIXML writes it: `<B>` a boolean, `<S>` text,
/// `<Nil>` null, anything else a value of another kind.
fn flag(tag: &str, text: &str) -> Flag {
    match tag {
        "B" => match text.trim() {
            "true" => Flag::Bool(true),
            "false" => Flag::Bool(false),
            other => Flag::Text(other.to_owned()),
        },
        "S" => Flag::from_cell(Some(text)),
        "Nil" => Flag::Null,
        "Obj" | "Ref" => Flag::Other("an object"),
        _ => Flag::Other("a number"),
    }
}

/// Whether a character may appear in an XML 1.0 document (`Char` of the specification):
/// not NUL, not the other C0 controls but tab and line ends, not the surrogates, `U+FFFE`
/// or `U+FFFF`.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Why text an XML parser must reject is not XML: a character XML does not allow.
fn check_chars(text: &str) -> Result<(), String> {
    match text.chars().find(|&c| !is_xml_char(c)) {
        Some(c) => Err(format!(
            "the character U+{:04X}, which XML does not allow",
            u32::from(c)
        )),
        None => Ok(()),
    }
}

/// Why an element's attributes are not well-formed XML: one written twice, a value with an
/// entity that is not defined or a character XML does not allow.
fn check_attributes(e: &quick_xml::events::BytesStart<'_>) -> Result<(), String> {
    let of = |why: String| format!("the attributes of <{}>: {why}", e.name().as_ref());
    for attribute in e.attributes() {
        let attribute = attribute.map_err(|e| of(e.to_string()))?;
        let value = attribute
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| of(e.to_string()))?;
        check_chars(&value).map_err(of)?;
    }
    Ok(())
}

/// The text of an entity or character reference (`&amp;`, `&#49;`); why not, for one an
/// XML parser rejects (an undefined entity, `&#0;`, a character XML does not allow).
fn resolve(reference: &quick_xml::events::BytesRef<'_>) -> Result<String, String> {
    let name = reference.xml_content(quick_xml::XmlVersion::Implicit1_0);
    match reference.resolve_char_ref() {
        Ok(Some(c)) if is_xml_char(c) => Ok(c.to_string()),
        Ok(Some(c)) => Err(format!(
            "the character reference &{name}; is U+{:04X}, which XML does not allow",
            u32::from(c)
        )),
        Ok(None) => quick_xml::escape::resolve_predefined_entity(&name)
            .map(str::to_owned)
            .ok_or_else(|| format!("the entity &{name}; is not defined")),
        Err(e) => Err(format!("the character reference &{name}; is invalid ({e})")),
    }
}

/// The text an event holds (text, CDATA, a reference resolved); why not, for a reference
/// XML rejects; `None` for other events.
fn text_of<'e>(event: &'e Event<'_>) -> Option<Result<Cow<'e, str>, String>> {
    match event {
        Event::Text(t) => Some(Ok(t.xml_content(quick_xml::XmlVersion::Implicit1_0))),
        Event::CData(t) => Some(Ok(t.xml_content(quick_xml::XmlVersion::Implicit1_0))),
        Event::GeneralRef(r) => Some(resolve(r).map(Cow::Owned)),
        _ => None,
    }
}

/// Appends text read inside an element to the property being read, if any; why not, when
/// the text is not XML.
fn append(
    property: Option<&mut Property>,
    text: Result<Cow<'_, str>, String>,
) -> Result<(), String> {
    let text = text?;
    check_chars(&text)?;
    if let Some(p) = property {
        p.text.push_str(&text);
    }
    Ok(())
}

fn read(input: &Text<'_>, xml: &str, base: usize) -> Body {
    let invalid = |why: &str, at: usize| {
        Body::Malformed(Reason::InvalidXml(format!(
            "{} at line {}",
            excerpt(why, EXCERPT_CHARS),
            line_at(input.lines(), at)
        )))
    };
    let mut reader = Reader::from_str(xml);
    // Elements open: their names, and whether each is a property list (`Props`, `MS`).
    let mut open: Vec<String> = Vec::new();
    let mut frames: Vec<Frame> = Vec::new();
    let mut property: Option<Property> = None;
    let mut settings = Vec::new();
    loop {
        let offset = base + usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(e) => {
                let at = base + usize::try_from(reader.error_position()).unwrap_or(usize::MAX);
                return invalid(&e.to_string(), at);
            }
        };
        if let Some(text) = text_of(&event) {
            if let Err(why) = append(property.as_mut(), text) {
                return invalid(&why, offset);
            }
            continue;
        }
        match event {
            Event::Start(e) => {
                let tag = e.name().as_ref().to_owned();
                let name = match check_attributes(&e).and_then(|()| property_name(&e, &open)) {
                    Ok(name) => name,
                    Err(why) => return invalid(&why, offset),
                };
                if tag == "Obj" {
                    frames.push(Frame {
                        offset,
                        ..Frame::default()
                    });
                } else if let Some(key) = name {
                    property = Some(Property {
                        key,
                        tag: tag.clone(),
                        offset,
                        text: String::new(),
                    });
                }
                open.push(tag);
            }
            Event::Empty(e) => {
                let name = match check_attributes(&e).and_then(|()| property_name(&e, &open)) {
                    Ok(name) => name,
                    Err(why) => return invalid(&why, offset),
                };
                if let (Some(key), Some(frame)) = (name, frames.last_mut()) {
                    let property = Property {
                        key,
                        tag: e.name().as_ref().to_owned(),
                        offset,
                        text: String::new(),
                    };
                    if let Err(why) = frame.set(property, input) {
                        return Body::Malformed(why);
                    }
                }
            }
            Event::End(e) => {
                open.pop();
                let tag = e.name().as_ref().to_owned();
                if tag == "Obj" {
                    if let Some(setting) = frames.pop().and_then(|f| f.into_setting(input)) {
                        settings.push(setting);
                    }
                } else if property.as_ref().is_some_and(|p| p.tag == tag)
                    && let (Some(p), Some(frame)) = (property.take(), frames.last_mut())
                    && let Err(why) = frame.set(p, input)
                {
                    return Body::Malformed(why);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !open.is_empty() {
        return Body::Malformed(Reason::TruncatedXml {
            line: input.lines().len(),
        });
    }
    if settings.is_empty() {
        return Body::Unrecognized(Reason::ClixmlWithoutSettings);
    }
    Body::Items(vec![Item::Settings {
        extent: Extent::Listing,
        settings,
    }])
}

/// The `N` attribute of an element directly inside a property list (`<Props>`, `<MS>`).
fn property_name(
    e: &quick_xml::events::BytesStart<'_>,
    open: &[String],
) -> Result<Option<String>, String> {
    if !matches!(open.last().map(String::as_str), Some("Props" | "MS")) {
        return Ok(None);
    }
    let Some(attribute) = e.try_get_attribute("N").map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    attribute
        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
        .map(|name| Some(name.into_owned()))
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUB: &str = "7b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e";

    fn obj(ref_id: usize, name: &str, enabled: &str) -> String {
        format!(
            "  <Obj RefId=\"{ref_id}\">\r\n    <TNRef RefId=\"0\" />\r\n    <ToString>Microsoft.Azure.Commands.Security.Models.Settings.PSSecurityDataExportSetting</ToString>\r\n    <Props>\r\n      <B N=\"Enabled\">{enabled}</B>\r\n      <S N=\"Id\">/subscriptions/{SUB}/providers/Microsoft.Security/settings/{name}</S>\r\n      <S N=\"Name\">{name}</S>\r\n      <S N=\"Type\">Microsoft.Security/settings</S>\r\n    </Props>\r\n  </Obj>\r\n"
        )
    }

    fn archive(objs: &str) -> String {
        format!(
            "\u{feff}<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\">\r\n{objs}</Objs>"
        )
    }

    fn settings(text: &str) -> Vec<Setting> {
        let parsed = parse(&Text::new(text)).unwrap();
        assert_eq!(parsed.format, POWERSHELL_CLIXML);
        match parsed.body {
            Body::Items(items) => match items.into_iter().next() {
                Some(Item::Settings { settings, .. }) => settings,
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn each_obj_with_name_and_enabled_is_a_setting() {
        let text = archive(&(obj(0, "MCAS", "true") + &obj(1, "WDATP", "false")));
        let found = settings(&text);
        assert_eq!(found.len(), 2);
        assert_eq!(found[1].name.as_deref(), Some("WDATP"));
        assert_eq!(found[1].enabled, Flag::Bool(false));
        assert_eq!(found[1].location, Location::Line(16));
        assert!(found[1].id.as_deref().is_some_and(|i| i.contains(SUB)));
    }

    #[test]
    fn nil_and_entities_are_read() {
        let text = archive(
            "<Obj RefId=\"0\"><MS><S N=\"Name\">W&amp;DATP</S><Nil N=\"Enabled\" /></MS></Obj>",
        );
        let found = settings(&text);
        assert_eq!(found[0].name.as_deref(), Some("W&DATP"));
        assert_eq!(found[0].enabled, Flag::Null);
    }

    fn malformed(text: &str) -> String {
        match parse(&Text::new(text)).unwrap().body {
            Body::Malformed(why) => why.to_string(),
            other => panic!("not malformed: {other:?}"),
        }
    }

    #[test]
    fn a_property_written_twice_in_one_object_is_malformed_naming_both_values() {
        let twice = obj(0, "WDATP", "false").replace(
            "<B N=\"Enabled\">false</B>",
            "<B N=\"Enabled\">false</B><B N=\"Enabled\">true</B>",
        );
        let why = malformed(&archive(&twice));
        assert!(
            why.contains(
                "one CLIXML object: \"Enabled\" is \"false\" at line 6 and \"Enabled\" is \"true\" at line 6"
            ),
            "{why}"
        );
        // In any case, in either property list, with the same value too.
        let twice = obj(0, "WDATP", "true")
            .replace("</Props>", "</Props><MS><B N=\"enabled\">true</B></MS>");
        assert!(malformed(&archive(&twice)).contains("two values for one property"));
        let nil = obj(0, "WDATP", "true").replace("</Props>", "<Nil N=\"ENABLED\" /></Props>");
        assert!(malformed(&archive(&nil)).contains("\"ENABLED\" is \"<Nil />\""));
        // One property per object: the same name in two objects is two settings.
        let two = archive(&(obj(0, "MCAS", "true") + &obj(1, "WDATP", "true")));
        assert_eq!(settings(&two).len(), 2);
    }

    #[test]
    fn xml_an_xml_parser_rejects_is_malformed() {
        let with = |enabled: &str| archive(&obj(0, "WDATP", "true").replace(">true<", enabled));
        for (enabled, reason) in [
            (
                ">tr&bogus;ue<",
                "the entity &bogus; is not defined at line 6",
            ),
            (">true&#0;<", "the character reference &#0; is invalid"),
            (">true&#1;<", "&#1; is U+0001, which XML does not allow"),
            (
                ">true\u{1}<",
                "the character U+0001, which XML does not allow",
            ),
            (
                " N=\"Enabled\">true<",
                "the attributes of <B>: position 14: duplicated attribute",
            ),
            (" X=\"&nope;\">true<", "the attributes of <B>:"),
        ] {
            let why = malformed(&with(enabled));
            assert!(why.contains(reason), "{enabled}: {why}");
        }
        // What XML defines is read.
        let found = settings(&with(">tr&#117;&#x65;<"));
        assert_eq!(found[0].enabled, Flag::Bool(true));
    }

    #[test]
    fn other_xml_and_broken_archives() {
        assert!(parse(&Text::new("<html><body/></html>")).is_none());
        let truncated = archive(&obj(0, "WDATP", "true"));
        let cut = truncated.get(..truncated.len() - 40).unwrap();
        assert!(matches!(
            parse(&Text::new(cut)).unwrap().body,
            Body::Malformed(_)
        ));
        let other = archive("<Obj RefId=\"0\"><Props><S N=\"Name\">x</S></Props></Obj>");
        assert!(matches!(
            parse(&Text::new(&other)).unwrap().body,
            Body::Unrecognized(Reason::ClixmlWithoutSettings)
        ));
        assert!(matches!(
            parse(&Text::new(&archive("</Obj>"))).unwrap().body,
            Body::Malformed(_)
        ));
    }
}
